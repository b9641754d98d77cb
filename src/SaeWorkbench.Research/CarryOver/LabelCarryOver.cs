using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Exports;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Research.CarryOver;

/// <summary>A pending suggestion as the feature page shows it: "from dictionary X, cosine 0.96".</summary>
public sealed record SuggestionView(long Id, long LatentId, long SourceDictionaryId, string SourceDictionaryName, int SourceLatentIndex,
    double Cosine, string Label, string Description, string? Tag, int Confidence, string Status)
{
    public string Provenance => $"from dictionary {SourceDictionaryName} (latent {SourceLatentIndex}), cosine {Cosine:F2}";
}

public sealed record CarryOverSummary(long TargetDictionaryId, IReadOnlyList<long> SourceDictionaryIds, int Matches, int Suggestions);

/// <summary>
/// Label carry-over. For a dictionary trained on the same model and hook (and width) as older ones,
/// latents are matched by decoder cosine (<see cref="DecoderMatching"/>, ≥ 0.9, one to one) and each older latent's
/// consensus label becomes a suggestion for its match. Labellers accept a suggestion (it becomes an interpretation
/// attributed to them) or reject it; an Admin can carry every pending suggestion of a dictionary over at once.
/// Every write is audited and commits with its consensus change in one transaction.
/// </summary>
public sealed class LabelCarryOver(IDbContextFactory<WorkbenchDbContext> dbFactory, LabellingTransactions transactions,
    WorkbenchEventBus events, TimeProvider clock, WorkbenchPaths? paths = null) : IDisposable
{
    /// <summary>
    /// The latents that have any suggestion (whatever its status): every feature page asks for its latent's pending
    /// suggestions, and most latents never had one. Rows are only ever added by <see cref="SuggestAsync"/>, which clears
    /// this at once; a carry-over run on another node shows here when its job reports, or within 5 s.
    /// </summary>
    private readonly EventInvalidatedCache<HashSet<long>> _suggested = new(events, clock, TimeSpan.FromSeconds(5), e => e is JobUpdated, maxEntries: 1);

    public void Dispose() => _suggested.Dispose();

    private Task<HashSet<long>> SuggestedLatentsAsync(CancellationToken ct) => _suggested.GetAsync("all", async token =>
    {
        await using var db = await dbFactory.CreateDbContextAsync(token);
        return (await db.Set<LabelSuggestion>().AsNoTracking().Select(s => s.LatentId).Distinct().ToListAsync(token)).ToHashSet();
    }, ct);

    /// <summary>Matches <paramref name="targetDictionaryId"/> against older dictionaries on the same model and hook (or only
    /// <paramref name="sourceDictionaryId"/>) and stores new suggestions. Reviewers and Admins.</summary>
    public async Task<Outcome<CarryOverSummary>> SuggestAsync(Actor actor, long targetDictionaryId, long? sourceDictionaryId = null,
        double threshold = DecoderMatching.DefaultThreshold, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.SuggestCarryOver))
            return Outcome<CarryOverSummary>.Forbidden(actor.Role, WorkbenchAction.SuggestCarryOver);
        await using var read = await dbFactory.CreateDbContextAsync(ct);
        var target = await read.Dictionaries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == targetDictionaryId, ct);
        if (target is null) return Outcome<CarryOverSummary>.NotFound($"Dictionary {targetDictionaryId}");
        var sources = await read.Dictionaries.AsNoTracking()
            .Where(d => d.Id != target.Id && d.ModelName == target.ModelName && d.HookName == target.HookName && d.DIn == target.DIn)
            .Where(d => sourceDictionaryId == null ? d.Id < target.Id : d.Id == sourceDictionaryId)
            .OrderByDescending(d => d.Id).ToListAsync(ct);
        if (sourceDictionaryId is not null && sources.Count == 0)
            return Outcome<CarryOverSummary>.Refused(ValidationResult.Fail("sourceDictionaryId",
                $"Dictionary {sourceDictionaryId} is not another dictionary on {target.ModelName} / {target.HookName} with d_in {target.DIn}."));

        var targetLatents = await read.Latents.AsNoTracking().Where(l => l.DictionaryId == target.Id).ToDictionaryAsync(l => l.Index, l => l.Id, ct);
        using var targetSae = Dictionaries.RegisteredSae.Load(target, Resolve(target.SaePath));
        var matches = 0;
        var pending = new List<LabelSuggestion>();
        foreach (var source in sources)
        {
            var labelled = await (from l in read.Latents.AsNoTracking()
                                  join i in read.Interpretations on l.ConsensusInterpretationId equals i.Id
                                  where l.DictionaryId == source.Id && l.ConsensusInterpretationId != null
                                  select new { l.Index, i.Id, i.Label, i.Description, i.Tag, i.Confidence }).ToDictionaryAsync(x => x.Index, ct);
            if (labelled.Count == 0) continue;
            using var sourceSae = Dictionaries.RegisteredSae.Load(source, Resolve(source.SaePath));
            var found = DecoderMatching.Match(sourceSae.Autoencoder.WDec, targetSae.Autoencoder.WDec, threshold, ct: ct);
            matches += found.Count;
            foreach (var m in found)
            {
                if (!labelled.TryGetValue(m.OldIndex, out var label) || !targetLatents.TryGetValue(m.NewIndex, out var latentId)) continue;
                pending.Add(new LabelSuggestion
                {
                    LatentId = latentId, SourceDictionaryId = source.Id, SourceLatentIndex = m.OldIndex, SourceInterpretationId = label.Id,
                    Cosine = Math.Round(m.Cosine, 6), Label = label.Label, Description = label.Description, Tag = label.Tag, Confidence = label.Confidence,
                });
            }
        }
        var added = await transactions.RunAsync(async (w, ct) =>
        {
            var latentIds = pending.Select(p => p.LatentId).Distinct().ToList();
            var existing = (await w.Db.Set<LabelSuggestion>().Where(s => latentIds.Contains(s.LatentId))
                    .Select(s => new { s.LatentId, s.SourceDictionaryId }).ToListAsync(ct))
                .Select(x => (x.LatentId, x.SourceDictionaryId)).ToHashSet();
            var fresh = pending.Where(p => !existing.Contains((p.LatentId, p.SourceDictionaryId))).ToList();
            foreach (var s in fresh) s.CreatedAt = w.Now;
            w.Db.Set<LabelSuggestion>().AddRange(fresh);
            AuditRecorder.Add(w.Db, actor, "carryover.suggest", "Dictionary", target.Id, null,
                new { sources = sources.Select(s => s.Id), threshold, matches, suggestions = fresh.Count }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            return fresh.Count;
        }, ct);
        _suggested.Invalidate();
        return Outcome<CarryOverSummary>.Ok(new CarryOverSummary(target.Id, sources.Select(s => s.Id).ToList(), matches, added));
    }

    /// <summary>
    /// The pending suggestions for one latent, best cosine first. A suggestion repeats its source interpretation's label,
    /// so those whose source <paramref name="actor"/> may not see (blind mode: <see cref="Crowd.InterpretationVisibility"/>)
    /// are left out.
    /// </summary>
    public async Task<IReadOnlyList<SuggestionView>> PendingForLatentAsync(Actor? actor, long latentId, CancellationToken ct = default)
    {
        if (!(await SuggestedLatentsAsync(ct)).Contains(latentId)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pending = db.Set<LabelSuggestion>().Where(s => s.LatentId == latentId && s.Status == SuggestionStatus.Pending);
        var sources = await pending.Where(s => s.SourceInterpretationId != null).Select(s => s.SourceInterpretationId!.Value).Distinct().ToListAsync(ct);
        var visible = (await Crowd.InterpretationVisibility.VisibleAsync(db, actor, sources, ct)).ToList();
        return await Views(db, pending.Where(s => s.SourceInterpretationId == null || visible.Contains(s.SourceInterpretationId.Value)), ct);
    }

    /// <summary>Every suggestion for a dictionary (any status), by latent index.</summary>
    public async Task<IReadOnlyList<SuggestionView>> ForDictionaryAsync(long dictionaryId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Views(db, db.Set<LabelSuggestion>().Where(s => db.Latents.Any(l => l.Id == s.LatentId && l.DictionaryId == dictionaryId)), ct);
    }

    /// <summary>A suggestion repeats its source's label: it exists for those who may see the source (blind mode, deletion).</summary>
    private static async Task<bool> SourceVisibleAsync(WorkbenchDbContext db, Actor actor, LabelSuggestion s, CancellationToken ct) =>
        s.SourceInterpretationId is not { } source || await Crowd.InterpretationVisibility.MaySeeAsync(db, actor, source, ct);

    private static async Task<IReadOnlyList<SuggestionView>> Views(WorkbenchDbContext db, IQueryable<LabelSuggestion> query, CancellationToken ct)
    {
        var rows = await (from s in query.AsNoTracking()
                          join d in db.Dictionaries on s.SourceDictionaryId equals d.Id
                          select new { s, d.Name }).ToListAsync(ct);
        return rows.OrderByDescending(x => x.s.Cosine).ThenBy(x => x.s.Id)
            .Select(x => new SuggestionView(x.s.Id, x.s.LatentId, x.s.SourceDictionaryId, x.Name, x.s.SourceLatentIndex, x.s.Cosine,
                x.s.Label, x.s.Description, x.s.Tag, x.s.Confidence, x.s.Status.ToString()))
            .ToList();
    }

    /// <summary>Accepts a suggestion: a new interpretation by <paramref name="actor"/> with its label, audited. Labeler and above.</summary>
    public async Task<Outcome<long>> AcceptAsync(Actor actor, long suggestionId, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.WriteInterpretation))
            return Outcome<long>.Forbidden(actor.Role, WorkbenchAction.WriteInterpretation);
        var taxonomy = await TaxonomyAsync(ct);
        return await transactions.RunAsync(async (w, ct) =>
        {
            var s = await w.Db.Set<LabelSuggestion>().FirstOrDefaultAsync(x => x.Id == suggestionId, ct);
            if (s is null || !await SourceVisibleAsync(w.Db, actor, s, ct)) return Outcome<long>.NotFound($"Suggestion {suggestionId}");
            if (s.Status != SuggestionStatus.Pending)
                return Outcome<long>.Refused(ValidationResult.Fail("suggestion", $"This suggestion was already {s.Status.ToString().ToLowerInvariant()}."));
            var valid = Validate(s, taxonomy);
            if (!valid.IsValid) return Outcome<long>.Refused(valid.Validation);
            var i = await CreateInterpretationAsync(w, actor, s, valid.Value!, ct);
            AuditRecorder.Add(w.Db, actor, "suggestion.accept", "LabelSuggestion", s.Id, new { status = "Pending" },
                new { status = "Accepted", interpretationId = i.Id, s.SourceDictionaryId, s.SourceLatentIndex, s.Cosine }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            await LabellingService.RecomputeConsensusAsync(w, s.LatentId, ct);
            return Outcome<long>.Ok(i.Id);
        }, ct);
    }

    /// <summary>Rejects a suggestion (it is no longer offered), audited. Labeler and above.</summary>
    public async Task<Outcome<long>> RejectAsync(Actor actor, long suggestionId, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.WriteInterpretation))
            return Outcome<long>.Forbidden(actor.Role, WorkbenchAction.WriteInterpretation);
        return await transactions.RunAsync(async (w, ct) =>
        {
            var s = await w.Db.Set<LabelSuggestion>().FirstOrDefaultAsync(x => x.Id == suggestionId, ct);
            if (s is null || !await SourceVisibleAsync(w.Db, actor, s, ct)) return Outcome<long>.NotFound($"Suggestion {suggestionId}");
            if (s.Status != SuggestionStatus.Pending)
                return Outcome<long>.Refused(ValidationResult.Fail("suggestion", $"This suggestion was already {s.Status.ToString().ToLowerInvariant()}."));
            s.Status = SuggestionStatus.Rejected;
            s.DecidedById = actor.UserId;
            s.DecidedAt = w.Now;
            AuditRecorder.Add(w.Db, actor, "suggestion.reject", "LabelSuggestion", s.Id, new { status = "Pending" }, new { status = "Rejected" }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            return Outcome<long>.Ok(s.Id);
        }, ct);
    }

    /// <summary>
    /// Admin only: carries every pending suggestion of <paramref name="dictionaryId"/> over in one transaction and
    /// one audit entry (the best-cosine suggestion per latent becomes an interpretation by the Admin; the other
    /// sources' suggestions for that latent are closed as rejected). Returns the number of interpretations created.
    /// </summary>
    public async Task<Outcome<int>> CarryAllAsync(Actor actor, long dictionaryId, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.CarryOverAll)) return Outcome<int>.Forbidden(actor.Role, WorkbenchAction.CarryOverAll);
        var taxonomy = await TaxonomyAsync(ct);
        return await transactions.RunAsync(async (w, ct) =>
        {
            if (!await w.Db.Dictionaries.AnyAsync(d => d.Id == dictionaryId, ct)) return Outcome<int>.NotFound($"Dictionary {dictionaryId}");
            var pending = await w.Db.Set<LabelSuggestion>()
                .Where(s => s.Status == SuggestionStatus.Pending && w.Db.Latents.Any(l => l.Id == s.LatentId && l.DictionaryId == dictionaryId))
                .ToListAsync(ct);
            var created = new List<object>();
            foreach (var group in pending.GroupBy(s => s.LatentId))
            {
                var ordered = group.OrderByDescending(s => s.Cosine).ThenBy(s => s.Id).ToList();
                var best = ordered[0];
                var valid = Validate(best, taxonomy);
                if (!valid.IsValid) continue;
                var i = await CreateInterpretationAsync(w, actor, best, valid.Value!, ct);
                foreach (var other in ordered.Skip(1))
                {
                    other.Status = SuggestionStatus.Rejected;
                    other.DecidedById = actor.UserId;
                    other.DecidedAt = w.Now;
                }
                created.Add(new { suggestionId = best.Id, latentId = best.LatentId, interpretationId = i.Id, best.SourceDictionaryId, best.SourceLatentIndex, best.Cosine });
            }
            AuditRecorder.Add(w.Db, actor, "carryover.all", "Dictionary", dictionaryId, null, new { interpretations = created.Count, carried = created }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            foreach (var latentId in pending.Select(s => s.LatentId).Distinct()) await LabellingService.RecomputeConsensusAsync(w, latentId, ct);
            return Outcome<int>.Ok(created.Count);
        }, ct);
    }

    private static Validated<ValidInterpretation> Validate(LabelSuggestion s, Taxonomy taxonomy)
    {
        var draft = new InterpretationDraft(s.Label, s.Description, s.Confidence, s.Tag);
        var valid = InterpretationRules.Validate(draft, taxonomy);
        // A tag the workspace no longer has is dropped rather than blocking the label.
        return valid.IsValid || s.Tag is null ? valid : InterpretationRules.Validate(draft with { Tag = null }, taxonomy);
    }

    private static async Task<DataLabelling.Interpretation> CreateInterpretationAsync(LabellingWrite w, Actor actor, LabelSuggestion s,
        ValidInterpretation v, CancellationToken ct)
    {
        var i = new DataLabelling.Interpretation
        {
            LatentId = s.LatentId, AuthorId = actor.UserId, Label = v.Label, Description = v.Description, DescriptionHtml = v.DescriptionHtml, Tag = v.Tag,
            Confidence = v.Confidence, Version = 1, CreatedAt = w.Now, UpdatedAt = w.Now,
        };
        w.Db.Interpretations.Add(i);
        await w.Db.SaveChangesAsync(ct);
        w.Db.InterpretationVersions.Add(new DataLabelling.InterpretationVersion
        {
            InterpretationId = i.Id, Version = 1, Label = i.Label, Description = i.Description, DescriptionHtml = i.DescriptionHtml, Tag = i.Tag,
            Confidence = i.Confidence, EditedById = actor.UserId, EditedAt = w.Now,
        });
        s.Status = SuggestionStatus.Accepted;
        s.DecidedById = actor.UserId;
        s.DecidedAt = w.Now;
        s.CreatedInterpretationId = i.Id;
        w.Publish(new InterpretationCreated(s.LatentId, i.Id, actor.UserId));
        return i;
    }

    private async Task<Taxonomy> TaxonomyAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var json = await db.WorkspaceSettings.AsNoTracking().Select(s => s.TaxonomyJson).FirstOrDefaultAsync(ct) ?? "[]";
        return WorkspaceTaxonomy.Parse(json);
    }

    private string Resolve(string path) => paths?.Resolve(path) ?? Path.GetFullPath(path);
}
