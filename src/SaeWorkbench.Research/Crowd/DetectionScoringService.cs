using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Crowd;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Crowd;

/// <summary>One context as the rater sees it: tokens only, no activation and no hint of which kind it is.</summary>
public sealed record DetectionContextView(int Position, int[] TokenIds, bool? Marked);

/// <summary>A rater's detection set for one interpretation.</summary>
public sealed record DetectionSessionView(long SessionId, long InterpretationId, long LatentId, long DictionaryId, int LatentIndex,
    string Label, string DescriptionHtml, bool Submitted, IReadOnlyList<DetectionContextView> Contexts);

/// <summary>An interpretation's pooled detection score.</summary>
public sealed record DetectionScoreView(long InterpretationId, DetectionScore Score);

/// <summary>
/// Human detection scoring. Opening a rating draws the set once, with the seed
/// <see cref="DetectionScoring.SeedFor"/>, from <see cref="ScoringContextSampler"/> — the sampler the model scorers
/// use too, so human and machine scores are comparable — and stores it. Submitting stores the marks, recomputes the interpretation's score
/// over all its ratings, the latent's consensus (detection breaks score ties) and one audit entry, in one transaction.
/// </summary>
public sealed class DetectionScoringService(
    IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions, ScoringContextSampler sampler)
{
    /// <summary>The caller's set for the interpretation: the stored one, or a new one drawn now.</summary>
    public async Task<Outcome<DetectionSessionView>> OpenAsync(Actor actor, long interpretationId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var target = await (from i in db.Interpretations
                            join l in db.Latents on i.LatentId equals l.Id
                            where i.Id == interpretationId
                            select new { i, l.DictionaryId, l.Index }).AsNoTracking().FirstOrDefaultAsync(ct);
        // The label and description are what a rater is shown: only to one who may see them (blind mode, deletion).
        if (target is null || !await InterpretationVisibility.MaySeeAsync(db, actor, target.i, ct))
            return Outcome<DetectionSessionView>.NotFound($"Interpretation {interpretationId}");
        var existing = await db.DetectionSessions.AsNoTracking().FirstOrDefaultAsync(s => s.InterpretationId == interpretationId && s.RaterId == actor.UserId, ct);
        var allowed = DetectionScoring.CanRate(actor.Role, actor.UserId, new DetectionTarget(target.i.AuthorId, target.i.IsDeleted), existing?.SubmittedAt is not null);
        if (!allowed.IsValid) return Outcome<DetectionSessionView>.Refused(allowed);
        if (existing is not null) return Outcome<DetectionSessionView>.Ok(await ViewAsync(db, existing, ct));

        var seed = DetectionScoring.SeedFor(interpretationId, actor.UserId);
        var drawn = await sampler.DrawAsync(target.i.LatentId, seed, ct);
        if (!drawn.IsValid) return Outcome<DetectionSessionView>.Refused(drawn.Validation);
        var sample = drawn.Value!;

        var created = await transactions.RunAsync(async (w, ct) =>
        {
            var again = await w.Db.DetectionSessions.FirstOrDefaultAsync(s => s.InterpretationId == interpretationId && s.RaterId == actor.UserId, ct);
            if (again is not null) return again;
            var session = new DetectionSession { InterpretationId = interpretationId, RaterId = actor.UserId, Seed = seed, CreatedAt = w.Now };
            w.Db.DetectionSessions.Add(session);
            await w.Db.SaveChangesAsync(ct);
            w.Db.DetectionContexts.AddRange(sample.Contexts.Select((item, position) => new DetectionContext
            {
                SessionId = session.Id, Position = position, TokenIds = PackedArrays.FromInt32(item.TokenIds), IsActivating = item.IsActivating,
                SourceExampleId = item.ExampleId, Bin = item.Bin,
            }));
            AuditRecorder.Add(w.Db, actor, "detection.open", "Interpretation", interpretationId, null,
                new { SessionId = session.Id, session.Seed, Contexts = sample.Contexts.Count }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            return session;
        }, ct);
        await using var read = await factory.CreateDbContextAsync(ct);
        return Outcome<DetectionSessionView>.Ok(await ViewAsync(read, created, ct));
    }

    /// <summary>Stores the rater's marks (positions of the contexts they say match) and rescores the interpretation.</summary>
    public async Task<Outcome<DetectionScoreView>> SubmitAsync(Actor actor, long interpretationId, IReadOnlyCollection<int> markedPositions, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.RateDetection))
            return Outcome<DetectionScoreView>.Forbidden(actor.Role, WorkbenchAction.RateDetection);
        return await transactions.RunAsync(async (w, ct) =>
        {
            var interpretation = await w.Db.Interpretations.FirstOrDefaultAsync(i => i.Id == interpretationId, ct);
            if (interpretation is null || !await InterpretationVisibility.MaySeeAsync(w.Db, actor, interpretation, ct))
                return Outcome<DetectionScoreView>.NotFound($"Interpretation {interpretationId}");
            var session = await w.Db.DetectionSessions.FirstOrDefaultAsync(s => s.InterpretationId == interpretationId && s.RaterId == actor.UserId, ct);
            var allowed = DetectionScoring.CanRate(actor.Role, actor.UserId, new DetectionTarget(interpretation.AuthorId, interpretation.IsDeleted), session?.SubmittedAt is not null);
            if (!allowed.IsValid) return Outcome<DetectionScoreView>.Refused(allowed);
            if (session is null)
                return Outcome<DetectionScoreView>.Refused(ValidationResult.Fail("interpretation", "Open the rating first; you can only mark contexts you were shown."));
            var contexts = await w.Db.DetectionContexts.Where(c => c.SessionId == session.Id).OrderBy(c => c.Position).ToListAsync(ct);
            var set = new DetectionRatingSet(contexts.Select(c => new DetectionItem(c.Position, c.IsActivating)).ToList(), session.Seed);
            var marks = DetectionScoring.Marks(set, markedPositions.Select(p => (long)p).ToList());
            if (!marks.IsValid) return Outcome<DetectionScoreView>.Refused(marks.Validation);
            var marked = markedPositions.ToHashSet();
            foreach (var c in contexts) c.MarkedAsMatching = marked.Contains(c.Position);
            var own = DetectionScoring.Score([new DetectionRating(actor.UserId, marks.Value!)]);
            (session.TruePositives, session.FalsePositives, session.TrueNegatives, session.FalseNegatives, session.SubmittedAt) =
                (own.TruePositives, own.FalsePositives, own.TrueNegatives, own.FalseNegatives, w.Now);
            await w.Db.SaveChangesAsync(ct);

            var score = await PooledAsync(w.Db, interpretationId, ct);
            interpretation.DetectionScore = score.BalancedAccuracy;
            interpretation.DetectionRatings = score.Raters;
            AuditRecorder.Add(w.Db, actor, "detection.rate", "Interpretation", interpretationId, null,
                new { SessionId = session.Id, Marked = marked.Order().ToList(), own.TruePositives, own.FalsePositives, own.TrueNegatives, own.FalseNegatives, score.BalancedAccuracy }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            await LabellingService.RecomputeConsensusForCrowdAsync(w, interpretation.LatentId, ct);
            w.Publish(new DetectionScored(interpretation.LatentId, interpretationId, score.Raters, score.BalancedAccuracy));
            return Outcome<DetectionScoreView>.Ok(new DetectionScoreView(interpretationId, score));
        }, ct);
    }

    /// <summary>
    /// The pooled score of each interpretation that <paramref name="actor"/> may see (those without ratings, and those
    /// hidden from the caller, are absent: <see cref="InterpretationVisibility"/>).
    /// </summary>
    public async Task<IReadOnlyDictionary<long, DetectionScore>> ScoresAsync(Actor? actor, IReadOnlyCollection<long> interpretationIds, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        interpretationIds = await InterpretationVisibility.VisibleAsync(db, actor, interpretationIds, ct);
        var sessions = await db.DetectionSessions.AsNoTracking()
            .Where(s => interpretationIds.Contains(s.InterpretationId) && s.SubmittedAt != null).ToListAsync(ct);
        return sessions.GroupBy(s => s.InterpretationId).ToDictionary(g => g.Key, g => Pool(g));
    }

    private static async Task<DetectionScore> PooledAsync(WorkbenchDbContext db, long interpretationId, CancellationToken ct) =>
        Pool(await db.DetectionSessions.Where(s => s.InterpretationId == interpretationId && s.SubmittedAt != null).ToListAsync(ct));

    /// <summary>The stored counts of each rating, expanded to marks and pooled by <see cref="DetectionScoring.Score"/>.</summary>
    private static DetectionScore Pool(IEnumerable<DetectionSession> sessions) =>
        DetectionScoring.Score(sessions.Select(s => new DetectionRating(s.RaterId,
            Enumerable.Repeat(new DetectionMark(true, true), s.TruePositives)
                .Concat(Enumerable.Repeat(new DetectionMark(false, true), s.FalsePositives))
                .Concat(Enumerable.Repeat(new DetectionMark(false, false), s.TrueNegatives))
                .Concat(Enumerable.Repeat(new DetectionMark(true, false), s.FalseNegatives)).ToList())));

    private static async Task<DetectionSessionView> ViewAsync(WorkbenchDbContext db, DetectionSession s, CancellationToken ct)
    {
        var x = await (from i in db.Interpretations
                       join l in db.Latents on i.LatentId equals l.Id
                       where i.Id == s.InterpretationId
                       select new { i.LatentId, l.DictionaryId, l.Index, i.Label, i.Description, i.DescriptionHtml }).AsNoTracking().FirstAsync(ct);
        var contexts = await db.DetectionContexts.AsNoTracking().Where(c => c.SessionId == s.Id).OrderBy(c => c.Position)
            .Select(c => new { c.Position, c.TokenIds, c.MarkedAsMatching }).ToListAsync(ct);
        return new DetectionSessionView(s.Id, s.InterpretationId, x.LatentId, x.DictionaryId, x.Index, x.Label,
            StoredMarkdown.Html(x.DescriptionHtml, x.Description), s.SubmittedAt is not null,
            contexts.Select(c => new DetectionContextView(c.Position, PackedArrays.ToInt32(c.TokenIds), c.MarkedAsMatching)).ToList());
    }
}
