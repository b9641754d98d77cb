using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Explanations;

/// <summary>One context of a scoring sample: its tokens, the latent's activation on each (zeros for a verified
/// non-activating context), and the interval bin it was drawn from (-1 when non-activating).</summary>
public sealed record SampledContext(long ExampleId, bool IsActivating, int Bin, int[] TokenIds, float[] Activations);

/// <summary>The contexts a rater — a person or a model — is shown, in display order, and the seed that drew them.</summary>
public sealed record ScoringSample(long Seed, IReadOnlyList<SampledContext> Contexts);

/// <summary>
/// The one sampler behind every detection and fuzzing score (docs/science.md §13): people in the blind detection
/// test and models in the scoring jobs see contexts drawn by this class, so their scores are on one scale.
/// Activating contexts are the latent's stored interval samples (top examples when it has none), spread across the
/// bins; non-activating contexts are other latents' stored examples from the same analysis on which this latent's
/// activation, recomputed by the model and the SAE (<see cref="TestTextService.MaxActivationsAsync"/>), is exactly 0.
/// <see cref="DetectionScoring.BuildRatingSet"/> balances and shuffles them with the seed.
/// </summary>
public sealed class ScoringContextSampler(IDbContextFactory<WorkbenchDbContext> factory, TestTextService probe)
{
    /// <summary>Candidates drawn from other latents' examples before verification (more than needed: some fire).</summary>
    public const int NonActivatingCandidates = 40;

    public async Task<Validated<ScoringSample>> DrawAsync(long latentId, long seed, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var latent = await db.Latents.AsNoTracking().Where(l => l.Id == latentId).Select(l => new { l.DictionaryId, l.Index }).FirstOrDefaultAsync(ct);
        if (latent is null) return Validated<ScoringSample>.Fail("latent", $"There is no latent {latentId}.");
        var analysisId = await db.LatentAnalyses.Where(a => a.DictionaryId == latent.DictionaryId && a.IsCurrent).Select(a => (long?)a.Id).FirstOrDefaultAsync(ct);
        if (analysisId is null)
            return Validated<ScoringSample>.Fail("contexts", "This dictionary has no feature analysis yet; analyse it before rating.");

        var mine = await db.Set<FeatureExample>().AsNoTracking().Where(e => e.AnalysisId == analysisId && e.LatentId == latentId)
            .Select(e => new { e.Id, e.Kind, e.Bin, e.TokenIds, e.Activations }).ToListAsync(ct);
        var intervals = mine.Where(e => e.Kind == FeatureExampleKind.Interval).ToList();
        var activatingRows = intervals.Count > 0 ? intervals : mine;
        var activating = activatingRows.Select(e => new ActivatingContext(e.Id, e.Kind == FeatureExampleKind.Interval ? e.Bin : 0)).ToList();

        // A seeded, spread-out sample of other latents' examples: order by a multiplicative hash of the id.
        var multiplier = 2 * (Math.Abs(seed % 100_003) + 1) + 1;
        var others = await db.Set<FeatureExample>().AsNoTracking()
            .Where(e => e.AnalysisId == analysisId && e.LatentId != latentId)
            .OrderBy(e => (e.Id * multiplier) % 1_000_003).ThenBy(e => e.Id)
            .Select(e => new { e.Id, e.TokenIds }).Take(NonActivatingCandidates).ToListAsync(ct);
        var mineTokens = mine.Select(e => Convert.ToBase64String(e.TokenIds)).ToHashSet(StringComparer.Ordinal);
        others = others.Where(o => !mineTokens.Contains(Convert.ToBase64String(o.TokenIds))).ToList();
        float[] maxima;
        try
        {
            maxima = await probe.MaxActivationsAsync(latent.DictionaryId, latent.Index, others.Select(o => PackedArrays.ToInt32(o.TokenIds)).ToList(), ct);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException)
        {
            return Validated<ScoringSample>.Fail("contexts", $"Could not check which contexts leave this latent silent: {e.Message}");
        }
        var silent = others.Where((o, k) => maxima[k] == 0f).Select(o => o.Id).ToList();

        var built = DetectionScoring.BuildRatingSet(activating, silent, seed);
        if (!built.IsValid) return Validated<ScoringSample>.Fail(built.Validation.Errors.Keys.First(), built.Validation.Errors.Values.First());
        var rows = mine.ToDictionary(e => e.Id, e => (Tokens: e.TokenIds, Activations: (byte[]?)e.Activations));
        foreach (var o in others) rows[o.Id] = (o.TokenIds, null);
        var bins = activating.ToDictionary(a => a.ContextId, a => a.Bin);
        return Validated<ScoringSample>.Ok(new ScoringSample(seed, built.Value!.Items.Select(item =>
        {
            var (tokens, acts) = rows[item.ContextId];
            var ids = PackedArrays.ToInt32(tokens);
            return new SampledContext(item.ContextId, item.IsActivating, item.IsActivating ? bins[item.ContextId] : -1, ids,
                item.IsActivating && acts is not null ? PackedArrays.ToFloat16(acts) : new float[ids.Length]);
        }).ToList()));
    }
}
