using Bunit;
using MudBlazor;
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
}
