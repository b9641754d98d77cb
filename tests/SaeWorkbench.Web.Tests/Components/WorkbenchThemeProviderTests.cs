using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.JSInterop;
using MudBlazor;
using MudBlazor.Services;
using SaeWorkbench.Web.Components.Layout;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The layout's theme provider writes exactly MudBlazor's theme CSS, built once per theme and mode.</summary>
public sealed class WorkbenchThemeProviderTests : MudComponentTest
{
    private string Markup<T>(MudTheme theme, bool dark) where T : MudThemeProvider =>
        Context.Render<T>(p => p.Add(t => t.Theme, theme).Add(t => t.IsDarkMode, dark).Add(t => t.ObserveSystemDarkModeChange, false)).Markup;

    [Fact]
    public void The_kept_theme_CSS_is_what_MudThemeProvider_writes_in_each_mode()
    {
        var light = Markup<MudThemeProvider>(WorkbenchTheme.Theme, dark: false);
        var dark = Markup<MudThemeProvider>(WorkbenchTheme.Theme, dark: true);
        Assert.Contains("--mud-palette-primary", light);
        Assert.NotEqual(light, dark);
        foreach (var _ in Enumerable.Range(0, 2)) // the second time from what was kept
        {
            Assert.Equal(light, Markup<WorkbenchThemeProvider>(WorkbenchTheme.Theme, dark: false));
            Assert.Equal(dark, Markup<WorkbenchThemeProvider>(WorkbenchTheme.Theme, dark: true));
        }
    }

    [Fact]
    public void Another_theme_object_gets_its_own_CSS()
    {
        Markup<WorkbenchThemeProvider>(WorkbenchTheme.Theme, dark: false);
        var other = WorkbenchTheme.Create();
        other.PaletteLight.Primary = "#123456";
        var expected = Markup<MudThemeProvider>(other, dark: false);
        Assert.NotEqual(Markup<MudThemeProvider>(WorkbenchTheme.Theme, dark: false), expected);
        Assert.Equal(expected, Markup<WorkbenchThemeProvider>(other, dark: false));
    }

    [Fact]
    public async Task A_prerender_disposes_it_without_calling_a_browser()
    {
        // MudThemeProvider itself calls the (absent) browser when a prerender's renderer disposes it.
        Assert.NotEmpty(await BrowserCallsOfPrerenderAsync<MudThemeProvider>());
        Assert.Empty(await BrowserCallsOfPrerenderAsync<WorkbenchThemeProvider>());
    }

    /// <summary>The JS calls a theme provider makes when prerendered to HTML and disposed, as a page's prerender does.</summary>
    private static async Task<IReadOnlyCollection<string>> BrowserCallsOfPrerenderAsync<T>() where T : MudThemeProvider
    {
        var browser = new NoBrowser();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMudServices();
        services.AddSingleton<IJSRuntime>(browser);
        await using var provider = services.BuildServiceProvider();
        var renderer = new HtmlRenderer(provider, NullLoggerFactory.Instance);
        var parameters = ParameterView.FromDictionary(new Dictionary<string, object?>
        {
            [nameof(MudThemeProvider.Theme)] = WorkbenchTheme.Theme, [nameof(MudThemeProvider.ObserveSystemDarkModeChange)] = false,
        });
        var html = await renderer.Dispatcher.InvokeAsync(async () => (await renderer.RenderComponentAsync<T>(parameters)).ToHtmlString());
        Assert.Contains("--mud-palette-primary", html);
        await renderer.DisposeAsync();
        return browser.Calls;
    }

    /// <summary>What a prerender has instead of a browser: every call is recorded (and answered with nothing).</summary>
    private sealed class NoBrowser : IJSRuntime
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Calls { get; } = new();

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            Calls.Enqueue(identifier);
            return ValueTask.FromResult(default(TValue)!);
        }
    }
}
