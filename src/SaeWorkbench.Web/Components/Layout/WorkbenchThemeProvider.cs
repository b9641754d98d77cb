using System.Text;
using MudBlazor;

namespace SaeWorkbench.Web.Components.Layout;

/// <summary>
/// MudBlazor's theme provider with two per-page costs removed (measured on the feature page, issue 6):
/// <list type="bullet">
/// <item>Its disposal calls into JavaScript to stop watching the system's dark mode. A prerendered page has no
/// JavaScript, so every page threw and caught an exception there (~4 % of a feature page's CPU); before the circuit is
/// interactive nothing was ever watched, so there is nothing to stop.</item>
/// <item>It writes the ~200 CSS custom properties of the theme on every render; they depend only on the theme and on
/// dark or light, so each is written once per process.</item>
/// </list>
/// </summary>
public sealed class WorkbenchThemeProvider : MudThemeProvider
{
    // Keyed by the theme instance: the workbench has one, built once and never changed (MainLayout).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<MudTheme, string[]> Css = new();

    protected override void GenerateTheme(StringBuilder theme)
    {
        if (Theme is not { } t) { base.GenerateTheme(theme); return; }
        var variants = Css.GetValue(t, static _ => new string[2]);
        // MUD0010 guards against a parameter whose state the component changes itself; MudThemeProvider changes dark
        // mode only when it watches the system's preference, which MainLayout turns off (the user's own choice rules).
#pragma warning disable MUD0010
        var slot = IsDarkMode ? 1 : 0;
#pragma warning restore MUD0010
        if (Volatile.Read(ref variants[slot]) is not { } css)
        {
            var built = new StringBuilder(16_384);
            base.GenerateTheme(built);
            css = built.ToString();
            Volatile.Write(ref variants[slot], css);
        }
        theme.Append(css);
    }

    protected override ValueTask DisposeAsyncCore() =>
        RendererInfo.IsInteractive ? base.DisposeAsyncCore() : ValueTask.CompletedTask;
}
