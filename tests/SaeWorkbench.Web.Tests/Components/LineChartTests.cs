using Bunit;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>Chart axis numbers fit the tick column (bUnit, no browser).</summary>
public sealed class LineChartTests : MudComponentTest
{
    [Theory]
    [InlineData(84000, "84k")]
    [InlineData(8400, "8.4k")]
    [InlineData(1234567, "1.23M")]
    [InlineData(999950, "1M")]
    [InlineData(2.5e9, "2.5B")]
    [InlineData(123.4, "123")]
    [InlineData(1.5, "1.5")]
    [InlineData(0.25, "0.25")]
    [InlineData(0.00012, "1.2e-4")]
    [InlineData(-56000, "-56k")]
    [InlineData(0, "0")]
    public void Axis_numbers_are_compact(double value, string expected) =>
        Assert.Equal(expected, ChartNumbers.Compact(value));

    [Fact]
    public void Tick_labels_of_a_large_series_have_no_exponent_and_fit_five_characters()
    {
        var chart = Context.Render<LineChart>(p => p
            .Add(c => c.Title, "tokens")
            .Add(c => c.Points, new List<(double, double)> { (0, 0), (100, 42000), (200, 84000) }));

        var ticks = chart.FindAll("text.tick").Select(t => t.TextContent).ToList();

        Assert.Contains("84k", ticks);
        Assert.All(ticks, t => Assert.DoesNotContain("E", t));
        Assert.All(ticks, t => Assert.True(t.Length <= 5, t));
    }

    [Fact]
    public void The_top_tick_label_sits_wholly_inside_the_chart()
    {
        var chart = Context.Render<LineChart>(p => p
            .Add(c => c.Title, "loss")
            .Add(c => c.Points, new List<(double, double)> { (0, 0.9), (100, 0.5), (200, 0.77) }));

        // A label's y is its baseline; its glyphs rise about one font size (10 units in app.css) above it.
        var baselines = chart.FindAll("text.tick").Select(t => double.Parse(t.GetAttribute("y")!, System.Globalization.CultureInfo.InvariantCulture));

        Assert.All(baselines, y => Assert.True(y >= 10, $"a tick label's baseline at y = {y} is cut by the chart's top edge"));
    }
}
