using Bunit;
using MudBlazor;
using SaeWorkbench.Web.Components.Layout;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The layout writes exactly MudBlazor's theme CSS, from a per-process copy.</summary>
public sealed class WorkbenchThemeCssTests : MudComponentTest
{
    [Fact]
    public void Is_what_MudThemeProvider_renders_in_both_themes()
    {
        foreach (var dark in new[] { false, true })
        {
            var mud = Context.Render<MudThemeProvider>(p => p.Add(t => t.Theme, WorkbenchThemeCss.Theme).Add(t => t.IsDarkMode, dark).Add(t => t.ObserveSystemDarkModeChange, false));
            var ours = WorkbenchThemeCss.Markup(dark).Value;
            Assert.Equal(Normalise(mud.Markup), Normalise(ours));
            Assert.Contains(dark ? "--mud-palette-background: rgba(17,22,29,1)" : "--mud-palette-background: rgba(247,248,250,1)", ours);
            Assert.Same(ours, WorkbenchThemeCss.Markup(dark).Value); // rendered once
        }
    }

    // bUnit and the HtmlRenderer may differ in line endings only.
    private static string Normalise(string html) => html.Replace("\r\n", "\n").Trim();
}
