using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.JSInterop;
using MudBlazor;

namespace SaeWorkbench.Web.Components.Layout;

/// <summary>
/// The <c>&lt;style&gt;</c> elements MudBlazor's <see cref="MudThemeProvider"/> writes for a theme — its ~200 CSS custom
/// properties and the scrollbar — rendered once per process for dark and once for light, by MudThemeProvider itself in
/// a private <see cref="HtmlRenderer"/> at start-up, and then written by the layout as one markup string.
/// <para>
/// Why not the component on every page (the page budget, docs/performance.md): each instance builds a default <see cref="MudTheme"/>
/// (parsing ~100 colour strings), writes the CSS through three string copies, and on disposal after a prerender calls
/// into JavaScript that is not there and catches the exception: ~15 % of the bytes a list page allocated and ~4 % of
/// a feature page's CPU. The layout has no use for the rest of the component: the theme is the user's saved choice
/// (no watching of the system's dark mode), and every MudBlazor component reads only the CSS variables.
/// </para>
/// </summary>
public static class WorkbenchThemeCss
{
    /// <summary>The workbench's one theme (read only; building it allocates a few hundred objects).</summary>
    public static MudTheme Theme { get; } = WorkbenchTheme.Create();

    // [light, dark], rendered by PrepareAsync at start-up (WorkbenchHostExtensions.PrepareWorkbenchAsync), so no page
    // render ever waits for them; a host that skipped it (component tests) renders one on first use.
    private static readonly string?[] Variants = new string?[2];

    /// <summary>Renders both variants (once per process; again only if a previous render failed).</summary>
    public static async Task PrepareAsync()
    {
        foreach (var dark in new[] { false, true })
        {
            if (Volatile.Read(ref Variants[dark ? 1 : 0]) is null) Volatile.Write(ref Variants[dark ? 1 : 0], await RenderAsync(Theme, dark));
        }
    }

    /// <summary>The theme's style elements for dark or light, exactly as <see cref="MudThemeProvider"/> renders them.</summary>
    public static MarkupString Markup(bool dark)
    {
        var slot = dark ? 1 : 0;
        if (Volatile.Read(ref Variants[slot]) is not { } css)
        {
            css = Task.Run(() => RenderAsync(Theme, dark)).GetAwaiter().GetResult();
            Volatile.Write(ref Variants[slot], css);
        }
        return new MarkupString(css);
    }

    /// <summary>What <see cref="MudThemeProvider"/> renders for <paramref name="theme"/> (tests compare it with the component).</summary>
    public static async Task<string> RenderAsync(MudTheme theme, bool dark)
    {
        await using var services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddSingleton<IJSRuntime, NoJavaScript>()
            .BuildServiceProvider();
        await using var renderer = new HtmlRenderer(services, NullLoggerFactory.Instance);
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var root = await renderer.RenderComponentAsync<MudThemeProvider>(ParameterView.FromDictionary(new Dictionary<string, object?>
            {
                [nameof(MudThemeProvider.Theme)] = theme,
                [nameof(MudThemeProvider.IsDarkMode)] = dark,
                [nameof(MudThemeProvider.ObserveSystemDarkModeChange)] = false,
            }));
            return root.ToHtmlString();
        });
    }

    /// <summary>A static render has no browser: any script call the component makes does nothing.</summary>
    private sealed class NoJavaScript : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => ValueTask.FromResult(default(TValue)!);
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => ValueTask.FromResult(default(TValue)!);
    }
}
