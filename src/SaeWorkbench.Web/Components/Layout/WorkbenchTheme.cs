using MudBlazor;

namespace SaeWorkbench.Web.Components.Layout;

/// <summary>Colours chosen for WCAG AA contrast of text on backgrounds in both themes.</summary>
public static class WorkbenchTheme
{
    public static MudTheme Create() => new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5fa8",
            Secondary = "#8a3b12",
            AppbarBackground = "#1f3b5c",
            AppbarText = "#ffffff",
            Background = "#f7f8fa",
            TextPrimary = "#1b1f24",
            TextSecondary = "#4a5360",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8cb8ff",
            Secondary = "#ffb38a",
            AppbarBackground = "#16202c",
            AppbarText = "#e8eef6",
            Background = "#11161d",
            Surface = "#1a222c",
            DrawerBackground = "#161d26",
            TextPrimary = "#e8eef6",
            TextSecondary = "#b5c0cc",
        },
    };
}
