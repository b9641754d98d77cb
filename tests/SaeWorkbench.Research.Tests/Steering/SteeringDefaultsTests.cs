using System.Globalization;
using System.Text.RegularExpressions;
using SaeWorkbench.Research.Steering;

namespace SaeWorkbench.Research.Tests.Steering;

public partial class SteeringDefaultsTests
{
    [Fact]
    public void The_default_strength_is_the_measured_multiple_of_max_activation_and_a_fixed_value_before_analysis()
    {
        Assert.Equal(SteeringDefaults.MaxActivationMultiple * 2.5, SteeringDefaults.Strength(2.5), 9);
        Assert.Equal(SteeringDefaults.WithoutAnalysis, SteeringDefaults.Strength(null));
        Assert.Equal(SteeringDefaults.WithoutAnalysis, SteeringDefaults.Strength(0));      // dead: no max to scale
        Assert.Equal(SteeringDefaults.WithoutAnalysis, SteeringDefaults.Strength(double.NaN));
    }

    [Fact]
    public void The_default_multiple_is_the_one_the_steer_strength_section_records()
    {
        // docs/performance.md's steer-strength section records the multiple in use and the measurement behind it; the code
        // must not drift from it unnoticed (a new choice comes with its measurement, recorded there).
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "performance.md"));
        var section = doc.IndexOf("### `steer-strength`", StringComparison.Ordinal);
        Assert.True(section >= 0, "docs/performance.md has no steer-strength section");
        var next = doc.IndexOf("\n### ", section + 1, StringComparison.Ordinal);
        var text = next < 0 ? doc[section..] : doc[section..next];
        var chosen = ChosenMultiple().Match(text);
        Assert.True(chosen.Success, "the steer-strength section does not state the chosen MaxActivationMultiple");
        var recorded = double.Parse(chosen.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(recorded == SteeringDefaults.MaxActivationMultiple,
            $"docs/performance.md records MaxActivationMultiple = {recorded}, the code uses {SteeringDefaults.MaxActivationMultiple}");
    }

    [GeneratedRegex(@"MaxActivationMultiple`?\s*=\s*([0-9]+(?:\.[0-9]+)?)")]
    private static partial Regex ChosenMultiple();

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return dir!.FullName;
    }
}
