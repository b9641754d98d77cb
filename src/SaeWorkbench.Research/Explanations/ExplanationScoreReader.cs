using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;

namespace SaeWorkbench.Research.Explanations;

/// <summary>The latest score of one interpretation by one scorer and rater.</summary>
public sealed record InterpretationScoreView(long InterpretationId, string Scorer, string Rater, bool ByModel, double? BalancedAccuracy, double? Auroc,
    int Contexts, int Unanswered, string? PromptVersion, long? Seed, bool IsStale, DateTimeOffset? At);

/// <summary>
/// One stored score in an interpretation's score history, newest first: <see cref="IsCurrent"/> marks the one shown
/// for its scorer and model (the newest of the newest version); the others are superseded by a later score or an edit.
/// </summary>
public sealed record ScoreHistoryEntry(long Id, string Scorer, string Model, double? BalancedAccuracy, double? Auroc, int Contexts, int Unanswered,
    string PromptVersion, long Seed, int InterpretationVersion, bool IsCurrent, long? JobId, DateTimeOffset At);

/// <summary>One bar of a score histogram: scores in [From, To) (the last bar includes 1).</summary>
public sealed record ScoreBin(double From, double To, int Human, int Machine);

/// <summary>How a dictionary's interpretations score, written by people vs by models.</summary>
public sealed record ScoreDistribution(string Scorer, IReadOnlyList<ScoreBin> Bins, int HumanCount, int MachineCount, double? HumanMean, double? MachineMean);

/// <summary>
/// Reads scores for pages and exports (docs/science.md §13): for each interpretation its latest model score per scorer
/// and model, and the human detection score pooled from the blind detection test; a score of an older version of the
/// interpretation is marked stale.
/// </summary>
public sealed class ExplanationScoreReader(IDbContextFactory<WorkbenchDbContext> factory)
{
    public const int Bins = 10;

    public async Task<IReadOnlyDictionary<long, IReadOnlyList<InterpretationScoreView>>> ForInterpretationsAsync(IReadOnlyCollection<long> interpretationIds, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var interpretations = await db.Interpretations.AsNoTracking().Where(i => interpretationIds.Contains(i.Id))
            .Select(i => new { i.Id, i.Version, i.DetectionScore, i.DetectionRatings }).ToListAsync(ct);
        var rows = await db.ExplanationScores.AsNoTracking().Where(s => interpretationIds.Contains(s.InterpretationId)).ToListAsync(ct);
        var result = new Dictionary<long, IReadOnlyList<InterpretationScoreView>>();
        foreach (var i in interpretations)
        {
            var list = new List<InterpretationScoreView>();
            if (i.DetectionRatings > 0)
                list.Add(new(i.Id, Scorers.Detection, $"{i.DetectionRatings} people", false, i.DetectionScore, null, 0, 0, null, null, false, null));
            list.AddRange(rows.Where(r => r.InterpretationId == i.Id).GroupBy(r => (r.Scorer, r.ModelName))
                .Select(g => g.OrderByDescending(r => r.InterpretationVersion).ThenByDescending(r => r.Id).First())
                .OrderBy(r => r.Scorer).ThenBy(r => r.ModelName)
                .Select(r => new InterpretationScoreView(i.Id, r.Scorer, r.ModelName, true, r.BalancedAccuracy, r.Auroc, r.Contexts, r.Unanswered,
                    r.PromptVersion, r.Seed, r.InterpretationVersion != i.Version, r.CreatedAt)));
            result[i.Id] = list;
        }
        return result;
    }

    /// <summary>Every model score of one interpretation, newest first, the current one per scorer and model marked.</summary>
    public async Task<IReadOnlyList<ScoreHistoryEntry>> HistoryAsync(long interpretationId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.ExplanationScores.AsNoTracking().Where(s => s.InterpretationId == interpretationId).ToListAsync(ct);
        // The same choice as ForInterpretationsAsync: newest interpretation version first, then the newest score.
        var current = rows.GroupBy(r => (r.Scorer, r.ModelName))
            .Select(g => g.OrderByDescending(r => r.InterpretationVersion).ThenByDescending(r => r.Id).First().Id).ToHashSet();
        return rows.OrderByDescending(r => r.Id)
            .Select(r => new ScoreHistoryEntry(r.Id, r.Scorer, r.ModelName, r.BalancedAccuracy, r.Auroc, r.Contexts, r.Unanswered, r.PromptVersion, r.Seed,
                r.InterpretationVersion, current.Contains(r.Id), r.JobId, r.CreatedAt)).ToList();
    }

    /// <summary>
    /// Whether interpretation <paramref name="interpretationId"/> was written by a model, and which: the page header
    /// marks a machine-made consensus label without loading the labelling panel's view.
    /// </summary>
    public async Task<string?> ExplanationModelOfAsync(long interpretationId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Interpretations.AsNoTracking().Where(i => i.Id == interpretationId && !i.IsDeleted).Select(i => i.ExplanationModelName).FirstOrDefaultAsync(ct);
    }

    /// <summary>Histogram of each interpretation's best current score by <paramref name="scorer"/>, split by who wrote it.</summary>
    public async Task<ScoreDistribution> DistributionAsync(long dictionaryId, string scorer, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var scored = await (from s in db.ExplanationScores
                            join i in db.Interpretations on s.InterpretationId equals i.Id
                            join l in db.Latents on i.LatentId equals l.Id
                            where l.DictionaryId == dictionaryId && !i.IsDeleted && s.Scorer == scorer && s.InterpretationVersion == i.Version && s.BalancedAccuracy != null
                            select new { i.Id, s.ModelName, ScoreId = s.Id, Machine = i.ExplanationModelName != null, Score = s.BalancedAccuracy!.Value }).ToListAsync(ct);
        // A score run again supersedes the older one of the same model: only each model's newest score of the version counts.
        var best = scored.GroupBy(s => s.Id)
            .Select(g => (Machine: g.First().Machine, Score: g.GroupBy(x => x.ModelName).Max(m => m.MaxBy(x => x.ScoreId)!.Score))).ToList();
        return Distribution(scorer, best);
    }

    /// <summary>The histogram maths, apart so that it can be tested on hand-made numbers.</summary>
    public static ScoreDistribution Distribution(string scorer, IReadOnlyList<(bool Machine, double Score)> scores)
    {
        var bins = Enumerable.Range(0, Bins).Select(b => new int[2]).ToArray();
        foreach (var (machine, score) in scores)
            bins[Math.Clamp((int)Math.Floor(score * Bins), 0, Bins - 1)][machine ? 1 : 0]++;
        var human = scores.Where(s => !s.Machine).Select(s => s.Score).ToList();
        var model = scores.Where(s => s.Machine).Select(s => s.Score).ToList();
        return new ScoreDistribution(scorer, bins.Select((c, b) => new ScoreBin((double)b / Bins, (double)(b + 1) / Bins, c[0], c[1])).ToList(),
            human.Count, model.Count, human.Count == 0 ? null : human.Average(), model.Count == 0 ? null : model.Average());
    }
}
