using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Labelling;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Crowd;

/// <summary>Alpha as the Agreement page shows it: null when undefined, with the reason and the latents behind it.</summary>
public sealed record AlphaFigure(double? Alpha, int Latents, int Values, string? UndefinedReason)
{
    public static AlphaFigure From(AlphaResult r) => new(r.IsDefined ? r.Alpha : null, r.Units, r.PairableValues, r.UndefinedReason);
}

/// <param name="SharedLatents">Latents both labelled (with a value for the figure).</param>
public sealed record PairAgreementView(string UserA, string? NameA, string UserB, string? NameB, int SharedLatents,
    double? TagPercentAgreement, AlphaFigure TagAlpha, AlphaFigure ConfidenceAlpha);

/// <summary>One labeller's row: their labels in the scope, how often their tag matches others' on shared latents, and how many were accepted.</summary>
public sealed record LabellerAgreementView(string UserId, string? UserName, int Labels, int Partners, int SharedLatents,
    double? TagAgreementWithOthers, int Accepted, double? AcceptedRate);

/// <summary>Agreement among the labellers of one scope.</summary>
public sealed record ScopeAgreementView(long ScopeId, int LatentsWithTwoOrMore, AlphaFigure TagAlpha, AlphaFigure ConfidenceAlpha,
    IReadOnlyList<PairAgreementView> Pairs, IReadOnlyList<LabellerAgreementView> Labellers);

/// <summary>
/// Agreement between labellers of a scope, computed by <see cref="Agreement"/> (the one function).
/// Units are the scope's latents; each labeller's value for a latent is their latest live interpretation
/// (an edit replaces it; a second interpretation by the same person counts once, the newest). Tags are nominal
/// (interpretations without a tag are missing data), confidence (1–5) is interval.
/// </summary>
public sealed class AgreementService(IDbContextFactory<WorkbenchDbContext> factory)
{
    public async Task<ScopeAgreementView?> ForScopeAsync(long scopeId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.LabellingScopes.AnyAsync(s => s.Id == scopeId, ct)) return null;
        var rows = await (from m in db.ScopeLatents
                          join i in db.Interpretations on m.LatentId equals i.LatentId
                          where m.ScopeId == scopeId && !i.IsDeleted
                          select new { i.Id, i.LatentId, i.AuthorId, i.Tag, i.Confidence, i.Review, i.CreatedAt }).AsNoTracking().ToListAsync(ct);
        var latest = rows.GroupBy(r => (r.LatentId, r.AuthorId))
            .Select(g => g.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).First()).ToList();
        var names = await db.Users.AsNoTracking().Select(u => new { u.Id, u.UserName }).ToDictionaryAsync(u => u.Id, u => u.UserName, ct);

        var tags = latest.Where(r => r.Tag is not null)
            .Select(r => new CodedValue<string>(Unit(r.LatentId), r.AuthorId, r.Tag!)).ToList();
        var confidence = latest.Select(r => new CodedValue<double>(Unit(r.LatentId), r.AuthorId, r.Confidence)).ToList();

        var tagPairs = Agreement.ByCoderPair(tags, Agreement.NominalDelta);
        var confidencePairs = Agreement.ByCoderPair(confidence, Agreement.IntervalDelta)
            .ToDictionary(p => (p.CoderA, p.CoderB));
        var pairKeys = tagPairs.Select(p => (p.CoderA, p.CoderB)).Union(confidencePairs.Keys).Order().ToList();
        var tagByKey = tagPairs.ToDictionary(p => (p.CoderA, p.CoderB));
        var pairs = pairKeys.Select(k =>
        {
            var t = tagByKey.GetValueOrDefault(k);
            var c = confidencePairs.GetValueOrDefault(k);
            return new PairAgreementView(k.CoderA, names.GetValueOrDefault(k.CoderA), k.CoderB, names.GetValueOrDefault(k.CoderB),
                Math.Max(t?.SharedUnits ?? 0, c?.SharedUnits ?? 0), t?.PercentAgreement,
                t is null ? new AlphaFigure(null, 0, 0, "No latent has a tag from both.") : AlphaFigure.From(t.Alpha),
                c is null ? new AlphaFigure(null, 0, 0, "No shared latent.") : AlphaFigure.From(c.Alpha));
        }).ToList();

        var byCoder = Agreement.ByCoder(tagPairs).ToDictionary(c => c.CoderId);
        var labellers = latest.GroupBy(r => r.AuthorId).Select(g =>
        {
            var mine = byCoder.GetValueOrDefault(g.Key);
            var accepted = g.Count(r => r.Review == ReviewDecision.Accepted);
            return new LabellerAgreementView(g.Key, names.GetValueOrDefault(g.Key), g.Count(), mine?.Partners ?? 0, mine?.SharedUnits ?? 0,
                mine?.PercentAgreement, accepted, (double)accepted / g.Count());
        }).OrderByDescending(l => l.Labels).ThenBy(l => l.UserName, StringComparer.OrdinalIgnoreCase).ToList();

        var multi = latest.GroupBy(r => r.LatentId).Count(g => g.Count() >= 2);
        return new ScopeAgreementView(scopeId, multi, AlphaFigure.From(Agreement.Nominal(tags)), AlphaFigure.From(Agreement.Interval(confidence)), pairs, labellers);
    }

    private static string Unit(long latentId) => latentId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
