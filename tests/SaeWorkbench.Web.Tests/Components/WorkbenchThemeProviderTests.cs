using Bunit;
using MudBlazor;
using SaeWorkbench.Web.Components.Layout;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The layout's theme provider writes exactly MudBlazor's CSS, from a per-process copy.</summary>
public sealed class WorkbenchThemeProviderTests : MudComponentTest
{
    [Fact]
    public void Writes_the_same_css_as_MudBlazor_in_both_themes_and_follows_a_switch()
    {
        var theme = WorkbenchTheme.Create();
        foreach (var dark in new[] { false, true, false })
        {
            var ours = Context.Render<WorkbenchThemeProvider>(p => p.Add(t => t.Theme, theme).Add(t => t.IsDarkMode, dark).Add(t => t.ObserveSystemDarkModeChange, false));
            var mud = Context.Render<MudThemeProvider>(p => p.Add(t => t.Theme, theme).Add(t => t.IsDarkMode, dark).Add(t => t.ObserveSystemDarkModeChange, false));
            Assert.Equal(mud.Markup, ours.Markup);
            Assert.Contains(dark ? "--mud-palette-background: rgba(17,22,29,1)" : "--mud-palette-background: rgba(247,248,250,1)", ours.Markup);
        }
        // One instance switching theme (the toggle in the app bar) re-renders the other palette.
        var one = Context.Render<WorkbenchThemeProvider>(p => p.Add(t => t.Theme, theme).Add(t => t.IsDarkMode, false).Add(t => t.ObserveSystemDarkModeChange, false));
        one.Render(p => p.Add(t => t.IsDarkMode, true));
        Assert.Contains("--mud-palette-background: rgba(17,22,29,1)", one.Markup);
    }
}
