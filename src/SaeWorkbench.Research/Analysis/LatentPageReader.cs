using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Analysis;

/// <summary>
/// What a feature page's header shows: the latent with its consensus as <paramref name="Latent"/> (blanked where blind
/// mode hides it from the viewer), the dictionary's name, model and hook, the model folder its token text comes from,
/// and the current analysis (the key of its cached dashboard).
/// </summary>
public sealed record LatentHeader(Latent Latent, string DictionaryName, string ModelName, string HookName, string? ModelPath, long? AnalysisId);

/// <summary>
/// Where a missing latent leaves the reader: the dictionary (null when that does not exist either), how many latents it
/// has, and the existing index nearest to the one asked for (null when it has none).
/// </summary>
public sealed record MissingLatent(string? DictionaryName, int LatentCount, int? NearestIndex);

/// <summary>The feature page's own reads (the dashboard itself is <see cref="FeatureDashboardReader"/>'s).</summary>
public sealed class LatentPageReader(IDbContextFactory<WorkbenchDbContext> dbFactory)
{
    /// <summary>
    /// Latent <paramref name="index"/> of dictionary <paramref name="dictionaryId"/> in one query with its dictionary and
    /// current analysis; null when there is no such latent.
    /// </summary>
    public async Task<LatentHeader?> GetAsync(long dictionaryId, int index, Actor? viewer, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Latents.AsNoTracking()
            .Where(l => l.DictionaryId == dictionaryId && l.Index == index)
            .Join(db.Dictionaries, l => l.DictionaryId, d => d.Id, (l, d) => new
            {
                Latent = l, d.Name, d.ModelName, d.HookName, d.ModelPath,
                AnalysisId = db.LatentAnalyses.Where(a => a.DictionaryId == l.DictionaryId && a.IsCurrent).Select(a => (long?)a.Id).FirstOrDefault(),
            })
            .FirstOrDefaultAsync(ct);
        if (row is null) return null;
        await HideBlindConsensusAsync(db, viewer, row.Latent, ct);
        return new LatentHeader(row.Latent, row.Name, row.ModelName, row.HookName, row.ModelPath, row.AnalysisId);
    }

    /// <summary>The latent alone again (after a labelling change), with the same blind-mode rule.</summary>
    public async Task<Latent?> LatentAsync(long dictionaryId, int index, Actor? viewer, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var latent = await db.Latents.AsNoTracking().FirstOrDefaultAsync(l => l.DictionaryId == dictionaryId && l.Index == index, ct);
        if (latent is not null) await HideBlindConsensusAsync(db, viewer, latent, ct);
        return latent;
    }

    /// <summary>What to offer instead of latent <paramref name="index"/>, which does not exist.</summary>
    public async Task<MissingLatent> MissingAsync(long dictionaryId, int index, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var name = await db.Dictionaries.AsNoTracking().Where(d => d.Id == dictionaryId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (name is null) return new MissingLatent(null, 0, null);
        var latents = db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId);
        var count = await latents.CountAsync(ct);
        // The closest index below and above (indices may have gaps in an imported dictionary); the nearer one wins.
        var below = await latents.Where(l => l.Index < index).MaxAsync(l => (int?)l.Index, ct);
        var above = await latents.Where(l => l.Index > index).MinAsync(l => (int?)l.Index, ct);
        int? nearest = (below, above) switch
        {
            ({ } b, { } a) => index - b <= a - index ? b : a,
            ({ } b, null) => b,
            (null, { } a) => a,
            _ => null,
        };
        return new MissingLatent(name, count, nearest);
    }

    /// <summary>Blind mode (<see cref="InterpretationVisibility"/>): no consensus of a blind latent for a labeller who has not written their own.</summary>
    private static async Task HideBlindConsensusAsync(WorkbenchDbContext db, Actor? viewer, Latent latent, CancellationToken ct)
    {
        if ((await InterpretationVisibility.HiddenConsensusAsync(db, viewer, [latent.Id], ct)).Count == 0) return;
        latent.LabelStatus = LabelStatus.Unlabelled;
        latent.ConsensusLabel = null;
        latent.ConsensusTag = null;
    }
}
