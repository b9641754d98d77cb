using SaeWorkbench.Research.Explanations;

namespace SaeWorkbench.Research.Tests.Explanations;

public sealed class ScoreDistributionTests
{
    [Fact]
    public void Scores_fall_into_tenths_split_by_author_kind_with_one_in_the_last_bar()
    {
        var d = ExplanationScoreReader.Distribution("detection", [(false, 0.5), (false, 0.55), (true, 1.0), (true, 0.95), (true, 0.0)]);

        Assert.Equal(10, d.Bins.Count);
        Assert.Equal((2, 0), (d.Bins[5].Human, d.Bins[5].Machine));
        Assert.Equal((0, 2), (d.Bins[9].Human, d.Bins[9].Machine));
        Assert.Equal((0, 1), (d.Bins[0].Human, d.Bins[0].Machine));
        Assert.Equal((2, 3), (d.HumanCount, d.MachineCount));
        Assert.Equal(0.525, d.HumanMean!.Value, 12);
        Assert.Equal(1.95 / 3, d.MachineMean!.Value, 12);
    }
}
