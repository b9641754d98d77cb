using MudBlazor;
using MudBlazor.Utilities;
using SaeWorkbench.Web.Components.Layout;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>
/// WCAG 2.x AA contrast of the colour pairs the pages use, in both themes, computed from the theme itself
/// (relative luminance of sRGB, ratio (L1 + 0.05) / (L2 + 0.05); 4.5:1 for text, 3:1 for the peak outline).
/// Translucent colours are blended over what they sit on first.
/// </summary>
public sealed class ThemeContrastTests
{
    private const double Text = 4.5;
    private const double NonText = 3.0;

    public static TheoryData<bool> Themes => new() { false, true };

    private static Palette PaletteOf(bool dark) => dark ? WorkbenchTheme.Create().PaletteDark : WorkbenchTheme.Create().PaletteLight;

    private readonly record struct Rgb(double R, double G, double B)
    {
        public static Rgb From(MudColor c, Rgb? under = null) => Over(new Rgb(c.R, c.G, c.B), c.A / 255.0, under ?? new Rgb(255, 255, 255));

        public static Rgb Over(Rgb top, double alpha, Rgb under) =>
            new(alpha * top.R + (1 - alpha) * under.R, alpha * top.G + (1 - alpha) * under.G, alpha * top.B + (1 - alpha) * under.B);

        public double Luminance => 0.2126 * Linear(R) + 0.7152 * Linear(G) + 0.0722 * Linear(B);

        private static double Linear(double channel)
        {
            var c = channel / 255;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }

        public override string ToString() => $"rgb({R:F0}, {G:F0}, {B:F0})";
    }

    private static double Ratio(Rgb a, Rgb b)
    {
        var (hi, lo) = (Math.Max(a.Luminance, b.Luminance), Math.Min(a.Luminance, b.Luminance));
        return (hi + 0.05) / (lo + 0.05);
    }

    [Fact]
    public void The_formula_matches_known_values()
    {
        Assert.Equal(21, Ratio(new(0, 0, 0), new(255, 255, 255)), 2);
        Assert.Equal(1, Ratio(new(119, 119, 119), new(119, 119, 119)), 2);
        Assert.Equal(4.48, Ratio(new(119, 119, 119), new(255, 255, 255)), 2); // #777 on white: the classic near miss
    }

    [Theory, MemberData(nameof(Themes))]
    public void Text_links_and_accents_pass_AA_on_the_backgrounds_they_sit_on(bool dark)
    {
        var p = PaletteOf(dark);
        var background = Rgb.From(p.Background);
        var surface = Rgb.From(p.Surface, background);
        var failures = new List<string>();
        void Check(string name, MudColor fg, Rgb bg, string bgName, double min = Text)
        {
            var ratio = Ratio(Rgb.From(fg, bg), bg);
            if (ratio < min) failures.Add($"{name} on {bgName}: {ratio:F2} < {min}");
        }
        // Table rows: striped and hovered rows are translucent over the surface.
        var striped = Rgb.From(p.TableStriped, surface);
        var hovered = Rgb.From(p.TableHover, surface);
        foreach (var (bg, bgName) in new[] { (background, "background"), (surface, "surface"), (striped, "striped row"), (hovered, "hovered row") })
        {
            Check("text", p.TextPrimary, bg, bgName);
            Check("secondary text", p.TextSecondary, bg, bgName);
            // Links (MudLink) and outlined buttons are primary-coloured text; alerts and chips use the status colours as text.
            foreach (var (name, c) in new[] { ("primary", p.Primary), ("secondary", p.Secondary), ("info", p.Info), ("success", p.Success), ("warning", p.Warning), ("error", p.Error) })
                Check(name, c, bg, bgName);
        }
        // Filled buttons and chips: contrast text on the colour.
        foreach (var (name, c, text) in new[]
                 {
                     ("primary", p.Primary, p.PrimaryContrastText), ("secondary", p.Secondary, p.SecondaryContrastText), ("info", p.Info, p.InfoContrastText),
                     ("success", p.Success, p.SuccessContrastText), ("warning", p.Warning, p.WarningContrastText), ("error", p.Error, p.ErrorContrastText),
                 })
            Check($"{name} contrast text", text, Rgb.From(c, background), $"filled {name}");
        Check("app bar text", p.AppbarText, Rgb.From(p.AppbarBackground, background), "app bar");
        Check("drawer text", p.DrawerText, Rgb.From(p.DrawerBackground, background), "drawer");
        Assert.True(failures.Count == 0, $"{(dark ? "dark" : "light")} theme: {string.Join("; ", failures)}");
    }

    [Theory, MemberData(nameof(Themes))]
    public void Heatmap_text_stays_readable_up_to_the_strongest_colour(bool dark)
    {
        var p = PaletteOf(dark);
        var heat = WorkbenchTheme.Heatmap(dark);
        var background = Rgb.From(p.Background);
        var surface = Rgb.From(p.Surface, background);
        foreach (var under in new[] { background, surface })
        {
            for (var step = 0; step <= 100; step++)
            {
                var alpha = WorkbenchTheme.HeatmapAlpha(step / 100.0);
                var bg = Rgb.Over(new Rgb(heat.R, heat.G, heat.B), alpha, under);
                var ratio = Ratio(Rgb.From(p.TextPrimary, bg), bg);
                Assert.True(ratio >= Text, $"{(dark ? "dark" : "light")}: token text on {bg} (t = {step / 100.0}) has contrast {ratio:F2}");
            }
            var peak = Rgb.From(new MudColor(heat.Peak), under);
            Assert.True(Ratio(peak, under) >= NonText, $"peak outline {heat.Peak} on {under}: {Ratio(peak, under):F2}");
        }
        Assert.Equal(WorkbenchTheme.HeatmapMaxAlpha, WorkbenchTheme.HeatmapAlpha(1));
        Assert.Equal(WorkbenchTheme.HeatmapMaxAlpha, WorkbenchTheme.HeatmapAlpha(3)); // clamped
        Assert.Equal(0, WorkbenchTheme.HeatmapAlpha(0));
    }

    [Fact]
    public void The_old_heatmap_colour_would_fail_in_the_dark_theme()
    {
        // Guards the test itself: the original rgba(255, 140, 0, 0.9) under light text on the dark page is 2.4:1.
        var p = PaletteOf(dark: true);
        var bg = Rgb.Over(new Rgb(255, 140, 0), 0.9, Rgb.From(p.Background));
        Assert.True(Ratio(Rgb.From(p.TextPrimary, bg), bg) < Text);
    }
}
