using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Research.Collaboration;

/// <summary>The labelling settings Admins edit: the taxonomy (in display order) and the consensus score threshold.</summary>
public sealed record LabellingSettingsView(IReadOnlyList<TaxonomyTag> Tags, int ConsensusThreshold);

/// <summary>
/// §4, §7: Admins edit the workspace taxonomy and the consensus threshold. The rules are
/// <see cref="Taxonomy.Validate"/> and <see cref="Consensus.ValidateThreshold"/>; a tag that interpretations
/// still carry cannot be removed (their tag would silently lose its meaning). An accepted change commits with
/// one audit entry ("settings.update", before/after) and, when the threshold moved, every labelled latent's
/// consensus recomputed by the one consensus function, in the same transaction.
/// </summary>
public sealed class WorkspaceSettingsService(IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions, WorkbenchEventBus events, TimeProvider clock) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>How long the settings are kept when no <see cref="WorkspaceSettingsChanged"/> arrives.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    // Read by every latent page (the taxonomy of the labelling panel); changed by an Admin now and then.
    private readonly EventInvalidatedCache<LabellingSettingsView> _cache = new(events, clock, Lifetime, e => e is WorkspaceSettingsChanged);

    public Task<LabellingSettingsView> GetAsync(CancellationToken ct = default) =>
        _cache.GetAsync("settings", async token =>
        {
            await using var db = await factory.CreateDbContextAsync(token);
            var row = await db.WorkspaceSettings.AsNoTracking().OrderBy(s => s.Id).FirstOrDefaultAsync(token) ?? new DataLabelling.WorkspaceSettings();
            return ViewOf(row);
        }, ct);

    public void Dispose() => _cache.Dispose();

    /// <summary>The workspace taxonomy (the default one when none is stored).</summary>
    public async Task<Taxonomy> TaxonomyAsync(CancellationToken ct = default) => new((await GetAsync(ct)).Tags);

    public async Task<Outcome<LabellingSettingsView>> UpdateAsync(Actor actor, IReadOnlyList<TaxonomyTag>? tags, int threshold, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.ManageTaxonomy))
            return Outcome<LabellingSettingsView>.Forbidden(actor.Role, WorkbenchAction.ManageTaxonomy);
        if (!Permissions.Can(actor.Role, WorkbenchAction.ManageThresholds))
            return Outcome<LabellingSettingsView>.Forbidden(actor.Role, WorkbenchAction.ManageThresholds);
        var cleaned = (tags ?? []).Select(t => new TaxonomyTag(t.Key?.Trim() ?? "", t.Name?.Trim() ?? "", t.Description?.Trim() ?? "")).ToList();
        var thresholdRule = Consensus.ValidateThreshold(threshold);
        var valid = Taxonomy.Validate(cleaned).And(thresholdRule.IsValid ? thresholdRule
            : ValidationResult.Fail("consensusThreshold", string.Join(" ", thresholdRule.Errors.Values)));
        if (!valid.IsValid) return Outcome<LabellingSettingsView>.Refused(valid);

        return await transactions.RunAsync(async (w, ct) =>
        {
            var row = await w.Db.WorkspaceSettings.OrderBy(s => s.Id).FirstOrDefaultAsync(ct);
            if (row is null) w.Db.WorkspaceSettings.Add(row = new DataLabelling.WorkspaceSettings());
            var before = ViewOf(row);
            var keys = cleaned.Select(t => t.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var removed = before.Tags.Select(t => t.Key).Where(k => !keys.Contains(k)).ToList();
            if (removed.Count > 0)
            {
                var inUse = await w.Db.Interpretations.Where(i => !i.IsDeleted && i.Tag != null && removed.Contains(i.Tag))
                    .GroupBy(i => i.Tag!).Select(g => new { Tag = g.Key, Count = g.Count() }).ToListAsync(ct);
                if (inUse.Count > 0)
                    return Outcome<LabellingSettingsView>.Refused(ValidationResult.Fail("tags",
                        "These tags are still on interpretations and cannot be removed: " +
                        string.Join(", ", inUse.OrderBy(u => u.Tag, StringComparer.Ordinal).Select(u => $"{u.Tag} ({u.Count})")) + ". Rename them instead."));
            }
            var after = new LabellingSettingsView(cleaned, threshold);
            if (SameTags(before.Tags, cleaned) && before.ConsensusThreshold == threshold)
                return Outcome<LabellingSettingsView>.Ok(before);
            row.TaxonomyJson = JsonSerializer.Serialize(cleaned.Select(t => new { key = t.Key, name = t.Name, description = t.Description }), Json);
            row.ConsensusThreshold = threshold;
            AuditRecorder.Add(w.Db, actor, "settings.update", "WorkspaceSettings", row.Id, before, after, w.Now);
            await w.Db.SaveChangesAsync(ct);
            if (before.ConsensusThreshold != threshold)
            {
                var latents = await w.Db.Interpretations.Where(i => !i.IsDeleted).Select(i => i.LatentId)
                    .Union(w.Db.Latents.Where(l => l.ConsensusInterpretationId != null).Select(l => l.Id)).Distinct().ToListAsync(ct);
                foreach (var latentId in latents) await LabellingService.RecomputeConsensusAsync(w, latentId, ct);
            }
            w.Publish(new WorkspaceSettingsChanged(threshold));
            return Outcome<LabellingSettingsView>.Ok(after);
        }, ct);
    }

    private static LabellingSettingsView ViewOf(DataLabelling.WorkspaceSettings row) =>
        new(WorkspaceTaxonomy.Parse(row.TaxonomyJson).Tags, Consensus.ValidateThreshold(row.ConsensusThreshold).IsValid ? row.ConsensusThreshold : Consensus.DefaultScoreThreshold);

    private static bool SameTags(IReadOnlyList<TaxonomyTag> a, IReadOnlyList<TaxonomyTag> b) => a.SequenceEqual(b);
}
