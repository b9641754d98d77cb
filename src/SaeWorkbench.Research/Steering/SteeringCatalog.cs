using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Steering;

/// <summary>A dictionary the steering page can run on (one with a model folder recorded).</summary>
public sealed record SteerableDictionary(long Id, string Name, string HookName, int DSae);

/// <summary>
/// A latent offered by the steering page's search: its consensus label as the viewer may see it (null when it has none
/// or when blind mode hides it: <see cref="LabelHidden"/>), its statistics and the strength a form starts with.
/// </summary>
public sealed record SteerableLatent(int Index, string? Label, bool LabelHidden, double? MaxActivation, double? Density, bool IsDead, double DefaultStrength);

/// <summary>
/// The reads the steering page needs besides comparisons: which dictionaries can be steered, their tokenizers, and latents
/// found by their labels. Labels go through <see cref="InterpretationVisibility"/>: in blind mode a hidden label is neither
/// shown nor matched.
/// </summary>
public sealed class SteeringCatalog(IDbContextFactory<WorkbenchDbContext> factory, WorkbenchPaths paths, TokenText tokenText)
{
    public const int MaxResults = 50;

    /// <summary>Dictionaries with a model folder, newest first.</summary>
    public async Task<IReadOnlyList<SteerableDictionary>> DictionariesAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Dictionaries.AsNoTracking().Where(d => d.ModelPath != null).OrderByDescending(d => d.Id)
            .Select(d => new SteerableDictionary(d.Id, d.Name, d.HookName, d.DSae)).ToListAsync(ct);
    }

    /// <summary>The tokenizer of the dictionary's model (null when the dictionary or its tokenizer is missing).</summary>
    public async Task<ITokenizer?> TokenizerAsync(long dictionaryId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var modelPath = await db.Dictionaries.AsNoTracking().Where(d => d.Id == dictionaryId).Select(d => d.ModelPath).FirstOrDefaultAsync(ct);
        return string.IsNullOrWhiteSpace(modelPath) ? null : tokenText.TokenizerFor(paths.Resolve(modelPath));
    }

    /// <summary>
    /// Latents of a dictionary for <paramref name="query"/>: a number (or "#n") finds that latent; text finds the latents
    /// whose label, as <paramref name="actor"/> may see it, contains it (any case); nothing lists labelled latents.
    /// Labelled first, then by label and index; at most <paramref name="take"/> (≤ <see cref="MaxResults"/>).
    /// </summary>
    public async Task<IReadOnlyList<SteerableLatent>> SearchLatentsAsync(Actor? actor, long dictionaryId, string? query, int take = 20,
        CancellationToken ct = default)
    {
        take = Math.Clamp(take, 1, MaxResults);
        var text = (query ?? "").Trim();
        await using var db = await factory.CreateDbContextAsync(ct);
        var latents = db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId);
        if (int.TryParse(text.TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            latents = latents.Where(l => l.Index == index);
        else
        {
            // Only labels the viewer may see can match (a hidden one would betray itself by matching).
            if (InterpretationVisibility.ListViewer(actor) is { } viewer) latents = InterpretationVisibility.WithoutHidden(db, latents, viewer);
            latents = latents.Where(l => l.ConsensusLabel != null);
            if (text.Length > 0)
            {
                var lower = text.ToLowerInvariant();
                latents = latents.Where(l => l.ConsensusLabel!.ToLower().Contains(lower));
            }
        }
        var rows = await latents.OrderBy(l => l.ConsensusLabel == null).ThenBy(l => l.ConsensusLabel).ThenBy(l => l.Index).Take(take)
            .Select(l => new { l.Id, l.Index, l.ConsensusLabel, l.MaxActivation, l.Density, l.IsDead }).ToListAsync(ct);
        var hidden = await InterpretationVisibility.HiddenConsensusAsync(db, actor, rows.Select(r => r.Id).ToList(), ct);
        return rows.Select(r => new SteerableLatent(r.Index, hidden.Contains(r.Id) ? null : r.ConsensusLabel, hidden.Contains(r.Id),
            r.MaxActivation, r.Density, r.IsDead, SteeringDefaults.Strength(r.MaxActivation))).ToList();
    }
}
