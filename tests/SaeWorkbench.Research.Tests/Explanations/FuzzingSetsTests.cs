using SaeWorkbench.Research.Explanations;

namespace SaeWorkbench.Research.Tests.Explanations;

public sealed class FuzzingSetsTests
{
    private static ScoringSample Sample(long seed) => new(seed, [
        new SampledContext(1, true, 0, [10, 11, 12, 13], [0f, 1f, 0.2f, 0.31f]),
        new SampledContext(2, false, -1, [20, 21, 22, 23, 24], new float[5]),
        new SampledContext(3, true, 1, [30, 31, 32], [2f, 0f, 0f]),
        new SampledContext(4, false, -1, [40, 41, 42], new float[3]),
    ]);

    [Fact]
    public void Activating_contexts_highlight_exactly_the_tokens_at_or_above_three_tenths_of_their_maximum()
    {
        var items = FuzzingSets.Build(Sample(5));

        Assert.Equal([false, true, false, true], items[0].Highlighted);
        Assert.Equal([true, false, false], items[2].Highlighted);
        Assert.True(items[0].IsCorrect && items[2].IsCorrect);
    }

    [Fact]
    public void Non_activating_contexts_highlight_as_many_random_tokens_as_activating_ones_fire_on_average()
    {
        // Firing tokens: 3 in context 1, 1 in context 3 → mean 2 → 2 random highlights each.
        var items = FuzzingSets.Build(Sample(5));

        Assert.False(items[1].IsCorrect);
        Assert.Equal(2, items[1].Highlighted.Count(h => h));
        Assert.Equal(2, items[3].Highlighted.Count(h => h));
    }

    [Fact]
    public void The_random_highlights_are_fixed_by_the_seed()
    {
        var again = FuzzingSets.Build(Sample(5)).Select(i => string.Concat(i.Highlighted.Select(h => h ? '1' : '0')));
        var first = FuzzingSets.Build(Sample(5)).Select(i => string.Concat(i.Highlighted.Select(h => h ? '1' : '0')));
        var seeds = Enumerable.Range(0, 20).Select(s => string.Join(",", FuzzingSets.Build(Sample(s)).Select(i => string.Concat(i.Highlighted.Select(h => h ? '1' : '0'))))).Distinct().Count();

        Assert.Equal(first, again);
        Assert.True(seeds > 1, "different seeds should pick different random highlights");
    }
}
