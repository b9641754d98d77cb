using MudBlazor;

namespace SaeWorkbench.Web.Components.Layout;

/// <summary>The heatmap's colour in one theme: tokens get rgba(R, G, B, alpha) behind the theme's primary text.</summary>
public sealed record HeatmapColours(byte R, byte G, byte B, string Peak);

/// <summary>
/// Colours chosen for WCAG AA contrast (4.5:1 for text, 3:1 for the peak outline) in both themes; ThemeContrastTests
/// computes every pair the pages use.
/// </summary>
public static class WorkbenchTheme
{
    public const double HeatmapMinAlpha = 0.12;
    public const double HeatmapMaxAlpha = 0.9;

    /// <summary>Light: orange over a light page. Dark: a deeper orange, so light text stays readable on the hottest token.</summary>
    public static HeatmapColours Heatmap(bool dark) => dark ? new(190, 70, 0, "#ff9a4d") : new(255, 140, 0, "#c25700");

    /// <summary>Highlight opacity for activation / max = <paramref name="t"/>: none at 0, then linear.</summary>
    public static double HeatmapAlpha(double t) => t <= 0 ? 0 : HeatmapMinAlpha + (HeatmapMaxAlpha - HeatmapMinAlpha) * Math.Min(1, t);

    /// <summary>CSS custom properties the layout sets for the heatmap (TokenHeatmap, app.css).</summary>
    public static string HeatmapCssVariables(bool dark)
    {
        var h = Heatmap(dark);
        return $"--heat-rgb: {h.R}, {h.G}, {h.B}; --heat-peak: {h.Peak};";
    }

    /// <summary>The workbench's one theme, given to MudThemeProvider by the layout (built once: it is a few hundred objects).</summary>
    public static MudTheme Theme { get; } = Create();

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
            Info = "#0a66c2",
            Success = "#2e7d32",
            Warning = "#8a5300",
            Error = "#c62828",
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
            DrawerText = "#e8eef6",
            DrawerIcon = "#b5c0cc",
            // MudBlazor's default stripe (20 % white) leaves links at 4.2:1 on striped rows; a fainter one keeps AA.
            TableStriped = "rgba(255,255,255,0.06)",
            TableHover = "rgba(255,255,255,0.08)",
            // Light accents carry dark text (white on #8cb8ff is 2:1).
            PrimaryContrastText = "#11161d",
            SecondaryContrastText = "#11161d",
            Info = "#7cc4ff",
            InfoContrastText = "#11161d",
            Success = "#5fd38d",
            SuccessContrastText = "#11161d",
            Warning = "#ffb74d",
            WarningContrastText = "#11161d",
            Error = "#ff8a80",
            ErrorContrastText = "#11161d",
        },
    };
}
