using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Research.Labelling.Services;

public sealed partial class LabellingService
{
    /// <summary>Writes a new interpretation (version 1) of a latent. Labeler and above.</summary>
    public Task<Outcome<InterpretationView>> CreateInterpretationAsync(Actor actor, long latentId, InterpretationDraft draft, CancellationToken ct = default) =>
        CreateInterpretationAsync(actor, latentId, draft, null, ct);

    /// <summary>As above; <paramref name="explanationModelName"/> marks a machine explanation written by that model's account.</summary>
    internal async Task<Outcome<InterpretationView>> CreateInterpretationAsync(Actor actor, long latentId, InterpretationDraft draft,
        string? explanationModelName, CancellationToken ct)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.WriteInterpretation))
            return Outcome<InterpretationView>.Forbidden(actor.Role, WorkbenchAction.WriteInterpretation);
        var valid = InterpretationRules.Validate(draft, WorkspaceTaxonomy.Parse((await SettingsAsync(ct)).TaxonomyJson));
        if (!valid.IsValid) return Outcome<InterpretationView>.Refused(valid.Validation);
        var v = valid.Value!;

        var created = await transactions.RunAsync(async (w, ct) =>
        {
            if (!await w.Db.Latents.AnyAsync(l => l.Id == latentId, ct)) return Outcome<DataLabelling.Interpretation>.NotFound($"Latent {latentId}");
            var i = new DataLabelling.Interpretation
            {
                LatentId = latentId, AuthorId = actor.UserId, Label = v.Label, Description = v.Description, DescriptionHtml = v.DescriptionHtml, Tag = v.Tag,
                Confidence = v.Confidence, Version = 1, CreatedAt = w.Now, UpdatedAt = w.Now, ExplanationModelName = explanationModelName,
            };
            w.Db.Interpretations.Add(i);
            await w.Db.SaveChangesAsync(ct);
            w.Db.InterpretationVersions.Add(NewVersion(i, actor, w.Now));
            AuditRecorder.Add(w.Db, actor, "interpretation.create", "Interpretation", i.Id, null, Snapshot(i), w.Now);
            await w.Db.SaveChangesAsync(ct);
            await RecomputeConsensusAsync(w, latentId, ct);
            w.Publish(new InterpretationCreated(latentId, i.Id, actor.UserId));
            return Outcome<DataLabelling.Interpretation>.Ok(i);
        }, ct);
        return created.Map(i => View(i, actor.UserName, null));
    }

    /// <summary>
    /// Saves an edit by the author as the next version, if <paramref name="baseVersion"/> is still the
    /// current one; otherwise answers Conflict with both versions and writes nothing. Identical text is
    /// Unchanged (nothing written or audited).
    /// </summary>
    public async Task<Outcome<EditOutcomeView>> EditInterpretationAsync(Actor actor, long interpretationId, int baseVersion, InterpretationDraft draft, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.EditOwnInterpretation))
            return Outcome<EditOutcomeView>.Forbidden(actor.Role, WorkbenchAction.EditOwnInterpretation);
        var valid = InterpretationRules.Validate(draft, WorkspaceTaxonomy.Parse((await SettingsAsync(ct)).TaxonomyJson));
        if (!valid.IsValid) return Outcome<EditOutcomeView>.Refused(valid.Validation);
        var proposed = valid.Value!;

        var edited = await transactions.RunAsync(async (w, ct) =>
        {
            var i = await w.Db.Interpretations.FirstOrDefaultAsync(x => x.Id == interpretationId, ct);
            if (i is null || !await Crowd.InterpretationVisibility.MaySeeAsync(w.Db, actor, i, ct))
                return Outcome<(string, DataLabelling.Interpretation)>.NotFound($"Interpretation {interpretationId}");
            if (!Permissions.CanEditInterpretation(actor.Role, actor.UserId, i.AuthorId))
                return new Outcome<(string, DataLabelling.Interpretation)>(OutcomeKind.Forbidden, default,
                    ValidationResult.Fail("interpretation", "Only its author can edit an interpretation; write your own or comment instead."));
            if (i.IsDeleted)
                return Outcome<(string, DataLabelling.Interpretation)>.Refused(ValidationResult.Fail("interpretation", "This interpretation was deleted; it can no longer be edited."));

            var current = new InterpretationVersion(i.Version, i.Label, i.Description, i.Confidence, i.Tag, i.AuthorId, i.UpdatedAt);
            var decision = InterpretationEdits.Decide(current, baseVersion, proposed);
            switch (decision.Outcome)
            {
                case EditOutcome.Unchanged:
                    return Outcome<(string, DataLabelling.Interpretation)>.Ok(("Unchanged", i));
                case EditOutcome.Conflict:
                    var stored = await w.Db.InterpretationVersions.AsNoTracking()
                        .FirstOrDefaultAsync(x => x.InterpretationId == i.Id && x.Version == i.Version, ct);
                    var editorId = stored?.EditedById ?? i.AuthorId;
                    var editorName = (await UserNamesAsync(w.Db, [editorId], ct)).GetValueOrDefault(editorId);
                    var currentView = stored is not null ? View(stored, editorName)
                        : new VersionView(i.Version, i.Label, i.Description, StoredMarkdown.Html(i.DescriptionHtml, i.Description), i.Tag, i.Confidence, i.AuthorId, editorName, i.UpdatedAt);
                    return Outcome<(string, DataLabelling.Interpretation)>.Conflicted(new EditConflict(baseVersion, currentView,
                        new ProposedEdit(proposed.Label, proposed.Description, proposed.DescriptionHtml, proposed.Tag, proposed.Confidence)));
            }

            var before = Snapshot(i);
            i.Label = proposed.Label;
            i.Description = proposed.Description;
            i.DescriptionHtml = proposed.DescriptionHtml;
            i.Tag = proposed.Tag;
            i.Confidence = proposed.Confidence;
            i.Version = decision.NewVersionNumber!.Value;
            i.UpdatedAt = w.Now;
            w.Db.InterpretationVersions.Add(NewVersion(i, actor, w.Now));
            AuditRecorder.Add(w.Db, actor, "interpretation.edit", "Interpretation", i.Id, before, Snapshot(i), w.Now);
            await w.Db.SaveChangesAsync(ct);
            await RecomputeConsensusAsync(w, i.LatentId, ct);
            w.Publish(new InterpretationEdited(i.LatentId, i.Id, i.Version, actor.UserId));
            return Outcome<(string, DataLabelling.Interpretation)>.Ok(("Applied", i));
        }, ct);
        return edited.Map(r => new EditOutcomeView(r.Item1, View(r.Item2, actor.UserName, null)));
    }

    /// <summary>Soft-deletes an interpretation (Admins): it leaves the panel and the consensus; the audit keeps it.</summary>
    public async Task<Outcome<InterpretationView>> DeleteInterpretationAsync(Actor actor, long interpretationId, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.Delete))
            return Outcome<InterpretationView>.Forbidden(actor.Role, WorkbenchAction.Delete);
        var deleted = await transactions.RunAsync(async (w, ct) =>
        {
            var i = await w.Db.Interpretations.FirstOrDefaultAsync(x => x.Id == interpretationId, ct);
            if (i is null) return Outcome<DataLabelling.Interpretation>.NotFound($"Interpretation {interpretationId}");
            if (i.IsDeleted)
                return Outcome<DataLabelling.Interpretation>.Refused(ValidationResult.Fail("interpretation", "This interpretation is already deleted."));
            var before = Snapshot(i);
            i.IsDeleted = true;
            i.DeletedAt = w.Now;
            i.DeletedById = actor.UserId;
            AuditRecorder.Add(w.Db, actor, "interpretation.delete", "Interpretation", i.Id, before, Snapshot(i), w.Now);
            await w.Db.SaveChangesAsync(ct);
            await RecomputeConsensusAsync(w, i.LatentId, ct);
            w.Publish(new InterpretationDeleted(i.LatentId, i.Id, actor.UserId));
            return Outcome<DataLabelling.Interpretation>.Ok(i);
        }, ct);
        return deleted.Map(i => View(i, null, null));
    }

    private static DataLabelling.InterpretationVersion NewVersion(DataLabelling.Interpretation i, Actor actor, DateTimeOffset now) => new()
    {
        InterpretationId = i.Id, Version = i.Version, Label = i.Label, Description = i.Description, DescriptionHtml = i.DescriptionHtml, Tag = i.Tag,
        Confidence = i.Confidence, EditedById = actor.UserId, EditedAt = now,
    };
}
