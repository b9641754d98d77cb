using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Data.Dictionaries;

/// <summary>
/// Keeps <see cref="Latent.SearchText"/> equal to its rule (<see cref="Of"/>): the lower-cased texts the feature list's
/// search matches — the consensus label, the top tokens' texts, the strongest context as it reads, and the label and
/// description of every live interpretation — each a field of its own, so a search is one substring test per latent
/// and no pass over the interpretations (docs/architecture.md §5). Lower-cased here, in .NET, so that SQLite and
/// PostgreSQL ignore case alike, beyond ASCII too (SQLite's own lower() and LIKE fold ASCII only).
/// <para>
/// The one place that writes the column, as <see cref="LatentBestScores"/> is for the best score:
/// <see cref="WorkbenchDbContext"/>'s save fills it on a new latent and asks <see cref="Collect"/> which latents a save
/// touches (a consensus or preview changed; an interpretation added, deleted, moved or edited), then
/// <see cref="RefreshAsync(WorkbenchDbContext, IReadOnlyCollection{long}, CancellationToken)"/> rewrites those in the same
/// transaction. Writers past the save (an analysis's set-based update of the previews) call
/// <see cref="RefreshDictionaryAsync"/>; start-up runs <see cref="RepairAsync"/>.
/// </para>
/// </summary>
public static class LatentSearchTexts
{
    /// <summary>Between fields, so that a search never matches across two of them; a field's own is replaced by a space.</summary>
    public const char Separator = '\u001F';

    /// <summary>The properties of a latent the rule reads.</summary>
    private static readonly string[] LatentInputs = [nameof(Latent.ConsensusLabel), nameof(Latent.TopTokens), nameof(Latent.TopContext)];

    /// <summary>The properties of an interpretation the rule reads; a vote, a review or a score changes none of them.</summary>
    private static readonly string[] InterpretationInputs =
        [nameof(Interpretation.LatentId), nameof(Interpretation.IsDeleted), nameof(Interpretation.Label), nameof(Interpretation.Description)];

    /// <summary>
    /// The rule: the consensus label, each top token's text (without its count), the strongest context as one running
    /// text (before, peak, after), then each live interpretation's label and description in id order; non-empty fields
    /// joined by <see cref="Separator"/>, lower-cased (invariant culture).
    /// </summary>
    public static string Of(string? consensusLabel, string? topTokens, string? topContext, IEnumerable<(string Label, string Description)> liveInterpretations)
    {
        var fields = new List<string?> { consensusLabel };
        fields.AddRange(PreviewFormat.TokenTexts(topTokens));
        fields.Add(PreviewFormat.ContextText(topContext));
        foreach (var (label, description) in liveInterpretations)
        {
            fields.Add(label);
            fields.Add(description);
        }
        return string.Join(Separator, fields.Where(f => !string.IsNullOrEmpty(f)).Select(f => f!.Replace(Separator, ' '))).ToLowerInvariant();
    }

    /// <summary>
    /// What a search for <paramref name="text"/> looks for in the stored texts: the text lower-cased as the rule
    /// lower-cases; null when it holds <see cref="Separator"/> (it would match across fields, so it matches nothing).
    /// </summary>
    public static string? Needle(string text) => text.Contains(Separator) ? null : text.ToLowerInvariant();

    /// <summary>What a save is about to change that can move a search text (read before the save).</summary>
    public sealed class Pending
    {
        internal readonly List<EntityEntry<Interpretation>> Interpretations = [];
        internal readonly HashSet<long> Latents = [];

        public bool IsEmpty => Interpretations.Count == 0 && Latents.Count == 0;
    }

    /// <summary>
    /// Fills the search text of every latent the save adds (a new latent has no interpretation yet; one added in the same
    /// save is refreshed after it) and collects the latents whose inputs the save changes. Reads the change tracker as it
    /// stands: the caller detects changes first.
    /// </summary>
    public static Pending Collect(WorkbenchDbContext db)
    {
        var pending = new Pending();
        foreach (var e in db.ChangeTracker.Entries<Latent>())
        {
            if (e.State == EntityState.Added)
            {
                var l = e.Entity;
                e.Property(x => x.SearchText).CurrentValue = Of(l.ConsensusLabel, l.TopTokens, l.TopContext, []);
            }
            else if (e.State == EntityState.Modified && LatentInputs.Any(p => e.Property(p).IsModified))
                pending.Latents.Add(e.Entity.Id);
        }
        foreach (var e in db.ChangeTracker.Entries<Interpretation>())
        {
            if (e.State is EntityState.Added or EntityState.Deleted
                || e.State == EntityState.Modified && InterpretationInputs.Any(p => e.Property(p).IsModified))
            {
                pending.Interpretations.Add(e);
                // An interpretation moved to another latent leaves its old one to recompute too.
                if (e.State != EntityState.Added) pending.Latents.Add(e.Property(i => i.LatentId).OriginalValue);
            }
        }
        return pending;
    }

    /// <summary>The latents a saved <paramref name="pending"/> touched: read after the save, when new rows have their ids.</summary>
    public static HashSet<long> Latents(Pending pending)
    {
        var latents = new HashSet<long>(pending.Latents);
        foreach (var e in pending.Interpretations) latents.Add(e.Entity.LatentId);
        return latents;
    }

    /// <summary>Rewrites the search texts of <paramref name="latentIds"/> that differ from the rule, in the caller's transaction when one is open.</summary>
    public static Task<int> RefreshAsync(WorkbenchDbContext db, IReadOnlyCollection<long> latentIds, CancellationToken ct = default)
    {
        if (latentIds.Count == 0) return Task.FromResult(0);
        var ids = latentIds.ToArray();
        return RefreshAsync(db, db.Latents.Where(l => ids.Contains(l.Id)), ct);
    }

    /// <summary>Rewrites the search texts of a dictionary's latents that differ from the rule (after a write past the save).</summary>
    public static Task<int> RefreshDictionaryAsync(WorkbenchDbContext db, long dictionaryId, CancellationToken ct = default) =>
        RefreshAsync(db, db.Latents.Where(l => l.DictionaryId == dictionaryId), ct);

    /// <summary>
    /// Brings every stored search text that differs from the rule up to date (a database migrated from before the column,
    /// or written by a tool that bypassed the save), one dictionary at a time; writes only the rows that differ. Run at
    /// start-up.
    /// </summary>
    public static async Task<int> RepairAsync(WorkbenchDbContext db, CancellationToken ct = default)
    {
        var written = 0;
        foreach (var dictionaryId in await db.Dictionaries.AsNoTracking().Select(d => d.Id).ToListAsync(ct))
            written += await RefreshDictionaryAsync(db, dictionaryId, ct);
        return written;
    }

    private static async Task<int> RefreshAsync(WorkbenchDbContext db, IQueryable<Latent> latents, CancellationToken ct)
    {
        var rows = await latents.AsNoTracking()
            .Select(l => new { l.Id, l.ConsensusLabel, l.TopTokens, l.TopContext, l.SearchText }).ToListAsync(ct);
        if (rows.Count == 0) return 0;
        var interpretations = (await db.Interpretations.AsNoTracking()
                .Where(i => !i.IsDeleted && latents.Select(l => l.Id).Contains(i.LatentId))
                .Select(i => new { i.Id, i.LatentId, i.Label, i.Description }).ToListAsync(ct))
            .OrderBy(i => i.Id).ToLookup(i => i.LatentId, i => (i.Label, i.Description));
        var changed = rows.Select(r => (r.Id, Stored: r.SearchText, Text: Of(r.ConsensusLabel, r.TopTokens, r.TopContext, interpretations[r.Id])))
            .Where(r => !string.Equals(r.Stored, r.Text, StringComparison.Ordinal)).ToList();
        if (changed.Count == 0) return 0;
        await WriteAsync(db, changed.Select(c => (c.Id, c.Text)).ToList(), ct);
        return changed.Count;
    }

    /// <summary>
    /// One UPDATE command, its parameters rebound for each row, in the open transaction or one of its own (a whole
    /// dictionary after an analysis is one transaction, not one per row): the same SQL on SQLite and PostgreSQL.
    /// </summary>
    private static async Task WriteAsync(WorkbenchDbContext db, List<(long Id, string Text)> rows, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
            try
            {
                await using var command = db.Database.GetDbConnection().CreateCommand();
                command.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
                command.CommandText = """UPDATE "Latents" SET "SearchText" = @text WHERE "Id" = @id""";
                var text = command.CreateParameter();
                text.ParameterName = "@text";
                var id = command.CreateParameter();
                id.ParameterName = "@id";
                command.Parameters.Add(text);
                command.Parameters.Add(id);
                await LatentSearchIndex.WithoutUpdateTriggerAsync(db, rows.Count, async () =>
                {
                    foreach (var (latentId, value) in rows)
                    {
                        text.Value = value;
                        id.Value = latentId;
                        await command.ExecuteNonQueryAsync(ct);
                    }
                }, ct);
                if (own is not null) await own.CommitAsync(ct);
            }
            finally
            {
                if (own is not null) await own.DisposeAsync();
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
