using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Explanations;

/// <summary>
/// The workspace setting that decides whether machine explanations can become a latent's consensus
/// (docs/science.md §13). Changing it recomputes, in the same transaction, the consensus of every latent that has a
/// machine explanation, with one audit entry.
/// </summary>
public sealed class MachineConsensusSetting(IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions)
{
    public async Task<bool> GetAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.WorkspaceSettings.OrderBy(s => s.Id).Select(s => (bool?)s.CountMachineInterpretations).FirstOrDefaultAsync(ct) ?? true;
    }

    public async Task<Outcome<bool>> SetAsync(Actor actor, bool count, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.ManageThresholds))
            return Outcome<bool>.Forbidden(actor.Role, WorkbenchAction.ManageThresholds);
        return await transactions.RunAsync(async (w, ct) =>
        {
            var row = await w.Db.WorkspaceSettings.OrderBy(s => s.Id).FirstOrDefaultAsync(ct);
            if (row is null) w.Db.WorkspaceSettings.Add(row = new Data.Labelling.WorkspaceSettings());
            if (row.CountMachineInterpretations == count) return Outcome<bool>.Ok(count);
            AuditRecorder.Add(w.Db, actor, "settings.machine-consensus", "WorkspaceSettings", row.Id,
                new { CountMachineInterpretations = !count }, new { CountMachineInterpretations = count }, w.Now);
            row.CountMachineInterpretations = count;
            await w.Db.SaveChangesAsync(ct);
            var latents = await w.Db.Interpretations.Where(i => !i.IsDeleted && i.ExplanationModelName != null).Select(i => i.LatentId).Distinct().ToListAsync(ct);
            foreach (var latentId in latents) await LabellingService.RecomputeConsensusAsync(w, latentId, ct);
            w.Publish(new WorkspaceSettingsChanged(row.ConsensusThreshold));
            return Outcome<bool>.Ok(count);
        }, ct);
    }
}
