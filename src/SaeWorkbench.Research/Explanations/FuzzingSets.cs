using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Explanations;

/// <summary>A context shown to the fuzzing scorer with some tokens highlighted; <see cref="IsCorrect"/> says whether
/// the highlighted tokens are the ones where the latent fires (it stays on the server).</summary>
public sealed record FuzzingItem(SampledContext Context, bool IsCorrect, bool[] Highlighted);

/// <summary>
/// Fuzzing (docs/science.md §13), after delphi's default fuzzing scorer (EleutherAI/delphi,
/// delphi/scorers/classifier/fuzz.py and sample.py): the sample's activating contexts are highlighted correctly —
/// every token whose activation is at least <see cref="Threshold"/> × the context's maximum — and its non-activating
/// contexts have n tokens highlighted at random, n the ceiling of the mean number of firing tokens in the
/// activating contexts, so that both kinds carry about as many highlights. The random positions come from the
/// sample's seed (delphi fixes one seed for every latent; ours is recorded per score).
/// </summary>
public static class FuzzingSets
{
    /// <summary>Share of a context's maximum activation above which a token counts as firing (delphi's 0.3).</summary>
    public const double Threshold = 0.3;

    public static IReadOnlyList<FuzzingItem> Build(ScoringSample sample)
    {
        var activating = sample.Contexts.Where(c => c.IsActivating).ToList();
        var meanFiring = activating.Count == 0 ? 0 : activating.Average(c => c.Activations.Count(a => a > 0));
        var perWrong = Math.Max(1, (int)Math.Ceiling(meanFiring));
        // A different stream from the sample's own shuffle, still fixed by the seed.
        var rng = new SeededShuffle(unchecked(sample.Seed ^ 0x5DEECE66DL));
        return sample.Contexts.Select(c =>
        {
            if (c.IsActivating) return new FuzzingItem(c, true, CorrectHighlights(c.Activations));
            var positions = Enumerable.Range(0, c.TokenIds.Length).ToList();
            rng.Shuffle(positions);
            var highlighted = new bool[c.TokenIds.Length];
            foreach (var p in positions.Take(perWrong)) highlighted[p] = true;
            return new FuzzingItem(c, false, highlighted);
        }).ToList();
    }

    /// <summary>Tokens at or above <see cref="Threshold"/> × the maximum; none when nothing fires.</summary>
    public static bool[] CorrectHighlights(IReadOnlyList<float> activations)
    {
        var max = activations.Count == 0 ? 0f : activations.Max();
        return activations.Select(a => max > 0 && a >= Threshold * max).ToArray();
    }
}
