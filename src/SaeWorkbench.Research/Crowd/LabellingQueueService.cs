using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Crowd;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Crowd;

/// <summary>
/// The labelling queue: scopes, "Label next", skip and progress. Which latent a person gets is
/// decided by <see cref="LabellingQueuePolicy"/> on committed data inside one write transaction; the claim row
/// takes one of the latent's N slots, and the unique index on (scope, latent, slot) makes two racing writers
/// (two processes on SQLite, two sessions on PostgreSQL) collide so that the loser retries on fresh data
/// (<see cref="LabellingTransactions"/>). Every write is audited and announces <see cref="QueueProgressChanged"/>.
/// Nothing is claimed until a person asks for a latent (<see cref="NextAsync"/>): opening the queue only looks
/// (<see cref="LookAsync"/>).
/// </summary>
/// The clock decides which claims have expired and when a new one ends.
public sealed partial class LabellingQueueService(
    IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions, FeatureCatalog catalog, LabellingService labelling,
    WorkbenchEventBus bus, TimeProvider clock)
{
    public const int MaxScopeNameLength = 120;
    public const int MaxGuidelinesLength = 4_000;

    /// <summary>Makes a scope and fixes its latents. Reviewers and Admins (they organise the team's work).</summary>
    public async Task<Outcome<ScopeView>> CreateScopeAsync(Actor actor, ScopeRequest request, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.ManageScopes))
            return Outcome<ScopeView>.Forbidden(actor.Role, WorkbenchAction.ManageScopes);
        var name = request.Name?.Trim() ?? "";
        var validation = LabellingQueuePolicy.ValidateSettings(Settings(request.LabelsPerLatent, request.ClaimMinutes, request.Priority, request.IncludeDeadLatents));
        if (name.Length is 0 or > MaxScopeNameLength)
            validation = validation.And(ValidationResult.Fail("name", $"Name the scope (1–{MaxScopeNameLength} characters)."));
        else if (TextRules.FirstForbiddenInMultiline(name) is { } bad)
            validation = validation.And(ValidationResult.Fail("name", $"The name contains {bad}."));
        var guidelines = string.IsNullOrWhiteSpace(request.Guidelines) ? null : request.Guidelines.Trim();
        if (guidelines is { Length: > MaxGuidelinesLength })
            validation = validation.And(ValidationResult.Fail("guidelines", $"The guidelines are {TextRules.Count(guidelines.Length)} characters; the limit is {TextRules.Count(MaxGuidelinesLength)}."));
        else if (guidelines is not null && TextRules.FirstForbiddenInMultiline(guidelines) is { } badGuidelines)
            validation = validation.And(ValidationResult.Fail("guidelines", $"The guidelines contain {badGuidelines}."));
        if (!Enum.TryParse<ScopeKind>(request.Kind, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(request.Kind, out _))
            validation = validation.And(ValidationResult.Fail("kind", "The scope kind is Dictionary, Filter or List."));
        if (!validation.IsValid) return Outcome<ScopeView>.Refused(validation);

        await using (var db = await factory.CreateDbContextAsync(ct))
            if (!await db.Dictionaries.AnyAsync(d => d.Id == request.DictionaryId, ct))
                return Outcome<ScopeView>.NotFound($"Dictionary {request.DictionaryId}");

        var members = await ResolveAsync(request.DictionaryId, kind, request.Definition, ct);
        if (!members.IsValid) return Outcome<ScopeView>.Refused(members.Validation);
        var latentIds = members.Value!;

        var result = await transactions.RunAsync(async (w, ct) =>
        {
            var scope = new LabellingScope
            {
                DictionaryId = request.DictionaryId, Name = name, Kind = kind, Definition = request.Definition?.Trim(), IsBlind = request.IsBlind,
                LabelsPerLatent = request.LabelsPerLatent, ClaimMinutes = request.ClaimMinutes, Priority = (int)request.Priority,
                IncludeDeadLatents = request.IncludeDeadLatents, Guidelines = guidelines, CreatedById = actor.UserId, CreatedAt = w.Now,
            };
            w.Db.LabellingScopes.Add(scope);
            await w.Db.SaveChangesAsync(ct);
            w.Db.ScopeLatents.AddRange(latentIds.Select(id => new ScopeLatent { ScopeId = scope.Id, LatentId = id }));
            AuditRecorder.Add(w.Db, actor, "scope.create", "LabellingScope", scope.Id, null,
                new { scope.Id, scope.Name, Kind = kind.ToString(), scope.Definition, scope.IsBlind, scope.LabelsPerLatent, scope.ClaimMinutes, request.Priority, Latents = latentIds.Count }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            w.Publish(new ScopeCreated(scope.Id, scope.DictionaryId));
            return Outcome<ScopeView>.Ok(View(scope, latentIds.Count));
        }, ct);
        return result;
    }

    public async Task<IReadOnlyList<ScopeView>> ListScopesAsync(long? dictionaryId = null, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var scopes = db.LabellingScopes.AsNoTracking().Where(s => !s.IsArchived);
        if (dictionaryId is { } d) scopes = scopes.Where(s => s.DictionaryId == d);
        var rows = await scopes.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
            .Select(s => new { s, Count = db.ScopeLatents.Count(m => m.ScopeId == s.Id) }).ToListAsync(ct);
        return rows.Select(r => View(r.s, r.Count)).ToList();
    }

    public async Task<ScopeView?> GetScopeAsync(long scopeId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var s = await db.LabellingScopes.AsNoTracking().FirstOrDefaultAsync(x => x.Id == scopeId, ct);
        return s is null ? null : View(s, await db.ScopeLatents.CountAsync(m => m.ScopeId == scopeId, ct));
    }

    /// <summary>
    /// "Label next": the caller's own unexpired claim if they hold one, else a new claim on the first eligible
    /// latent by the scope's priority; null when nothing is left for them. Dense latents are handed out only when
    /// <paramref name="includeDense"/> (<see cref="LabellingQueuePolicy.DenseThreshold"/>).
    /// </summary>
    public async Task<Outcome<QueueNext>> NextAsync(Actor actor, long scopeId, bool includeDense = false, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.LabelInQueue))
            return Outcome<QueueNext>.Forbidden(actor.Role, WorkbenchAction.LabelInQueue);
        return await transactions.RunAsync(async (w, ct) =>
        {
            var at = clock.GetUtcNow();
            var scope = await w.Db.LabellingScopes.AsNoTracking().FirstOrDefaultAsync(s => s.Id == scopeId, ct);
            if (scope is null) return Outcome<QueueNext>.NotFound($"Labelling scope {scopeId}");
            var settings = Settings(scope, includeDense);
            var candidates = await CandidatesAsync(w.Db, scopeId, null, at, ct);
            foreach (var candidate in LabellingQueuePolicy.Eligible(candidates.Values.Select(c => c.Candidate), actor.UserId, settings, at))
            {
                var latentId = candidates[candidate.LatentIndex].LatentId;
                var claim = await TryClaimAsync(w, actor, scope, latentId, candidate, at, ct);
                if (claim is null) continue;
                var assignment = new QueueAssignment(scopeId, latentId, scope.DictionaryId, candidate.LatentIndex, claim.ExpiresAt);
                var progress = LabellingQueuePolicy.ProgressFor(candidates.Values.Select(c => c.Candidate), actor.UserId, settings);
                return Outcome<QueueNext>.Ok(new QueueNext(assignment, progress));
            }
            return Outcome<QueueNext>.Ok(new QueueNext(null,
                LabellingQueuePolicy.ProgressFor(candidates.Values.Select(c => c.Candidate), actor.UserId, settings)));
        }, ct);
    }

    /// <summary>
    /// Takes a slot on the latent for the caller (or returns their unexpired claim). Expired claims of people who
    /// have not labelled the latent are released first; a claim whose holder labelled keeps its slot, so at most
    /// N slots (0 … N−1) exist and the unique (scope, latent, slot) index refuses an (N+1)-th holder.
    /// </summary>
    private static async Task<QueueClaim?> TryClaimAsync(LabellingWrite w, Actor actor, LabellingScope scope, long latentId, QueueCandidate candidate, DateTimeOffset at, CancellationToken ct)
    {
        var claims = await w.Db.QueueClaims.Where(c => c.ScopeId == scope.Id && c.LatentId == latentId).ToListAsync(ct);
        var mine = claims.FirstOrDefault(c => c.UserId == actor.UserId);
        if (mine is not null && mine.ExpiresAt > at) return mine;
        var released = claims.Where(c => c.ExpiresAt <= at && (c.UserId == actor.UserId || !candidate.LabelledBy.Contains(c.UserId))).ToList();
        if (released.Count > 0)
        {
            w.Db.QueueClaims.RemoveRange(released);
            await w.Db.SaveChangesAsync(ct);
        }
        var taken = claims.Except(released).Select(c => c.Slot).ToHashSet();
        var slot = Enumerable.Range(0, scope.LabelsPerLatent).Where(s => !taken.Contains(s)).Cast<int?>().FirstOrDefault();
        if (slot is null) return null;
        var claim = new QueueClaim
        {
            ScopeId = scope.Id, LatentId = latentId, UserId = actor.UserId, Slot = slot.Value, ClaimedAt = at,
            ExpiresAt = LabellingQueuePolicy.ClaimExpiresAt(at, Settings(scope, includeDense: false)),
        };
        w.Db.QueueClaims.Add(claim);
        AuditRecorder.Add(w.Db, actor, "queue.claim", "LabellingScope", scope.Id, null,
            new { ScopeId = scope.Id, LatentId = latentId, candidate.LatentIndex, claim.Slot, claim.ExpiresAt }, w.Now);
        await w.Db.SaveChangesAsync(ct);
        w.Publish(new QueueProgressChanged(scope.Id, actor.UserId));
        return claim;
    }

    /// <summary>
    /// The latent "Label next" would most likely hand the caller after <paramref name="currentLatentId"/>, without
    /// claiming it: the queue view loads its evidence ahead so that it appears at once. Null when none.
    /// </summary>
    public async Task<QueueAssignment?> PeekAsync(Actor actor, long scopeId, long? currentLatentId, bool includeDense = false, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var scope = await db.LabellingScopes.AsNoTracking().FirstOrDefaultAsync(s => s.Id == scopeId, ct);
        if (scope is null) return null;
        var now = clock.GetUtcNow();
        var candidates = await CandidatesAsync(db, scopeId, null, now, ct);
        var next = LabellingQueuePolicy.Eligible(candidates.Values.Select(c => c.Candidate), actor.UserId, Settings(scope, includeDense), now)
            .Select(c => candidates[c.LatentIndex]).FirstOrDefault(c => c.LatentId != currentLatentId);
        return next is null ? null : new QueueAssignment(scopeId, next.LatentId, scope.DictionaryId, next.Candidate.LatentIndex,
            LabellingQueuePolicy.ClaimExpiresAt(now, Settings(scope, includeDense)));
    }

    /// <summary>The workspace's tags in display order (keys 1–7 pick the first seven in the queue view).</summary>
    public async Task<IReadOnlyList<TaxonomyTag>> TagsAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var json = await db.WorkspaceSettings.AsNoTracking().OrderBy(s => s.Id).Select(s => s.TaxonomyJson).FirstOrDefaultAsync(ct);
        return WorkspaceTaxonomy.Parse(json).Tags;
    }

    /// <summary>Skips a latent of the scope with a reason and releases the caller's claim on it.</summary>
    public async Task<Outcome<QueueProgress>> SkipAsync(Actor actor, long scopeId, long latentId, string? reason, bool includeDense = false, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.LabelInQueue))
            return Outcome<QueueProgress>.Forbidden(actor.Role, WorkbenchAction.LabelInQueue);
        var valid = LabellingQueuePolicy.ValidateSkipReason(reason);
        if (!valid.IsValid) return Outcome<QueueProgress>.Refused(valid);
        return await transactions.RunAsync(async (w, ct) =>
        {
            var scope = await w.Db.LabellingScopes.AsNoTracking().FirstOrDefaultAsync(s => s.Id == scopeId, ct);
            if (scope is null) return Outcome<QueueProgress>.NotFound($"Labelling scope {scopeId}");
            if (!await w.Db.ScopeLatents.AnyAsync(m => m.ScopeId == scopeId && m.LatentId == latentId, ct))
                return Outcome<QueueProgress>.NotFound($"Latent {latentId} in scope {scopeId}");
            if (await w.Db.QueueSkips.AnyAsync(s => s.ScopeId == scopeId && s.LatentId == latentId && s.UserId == actor.UserId, ct))
                return Outcome<QueueProgress>.Refused(ValidationResult.Fail("latentId", "You already skipped this latent."));
            var skip = new QueueSkip { ScopeId = scopeId, LatentId = latentId, UserId = actor.UserId, Reason = reason!.Trim(), CreatedAt = w.Now };
            w.Db.QueueSkips.Add(skip);
            await w.Db.QueueClaims.Where(c => c.ScopeId == scopeId && c.LatentId == latentId && c.UserId == actor.UserId).ExecuteDeleteAsync(ct);
            AuditRecorder.Add(w.Db, actor, "queue.skip", "LabellingScope", scopeId, null, new { ScopeId = scopeId, LatentId = latentId, skip.Reason }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            w.Publish(new QueueProgressChanged(scopeId, actor.UserId));
            var candidates = await CandidatesAsync(w.Db, scopeId, null, clock.GetUtcNow(), ct);
            return Outcome<QueueProgress>.Ok(LabellingQueuePolicy.ProgressFor(candidates.Values.Select(c => c.Candidate), actor.UserId, Settings(scope, includeDense)));
        }, ct);
    }

    /// <summary>
    /// Submits the caller's interpretation of a latent they were handed (through <see cref="LabellingService"/>, so
    /// it is validated, audited and live like any other), then announces the scope's progress.
    /// </summary>
    public async Task<Outcome<InterpretationView>> SubmitAsync(Actor actor, long scopeId, long latentId, InterpretationDraft draft, CancellationToken ct = default)
    {
        await using (var db = await factory.CreateDbContextAsync(ct))
            if (!await db.ScopeLatents.AnyAsync(m => m.ScopeId == scopeId && m.LatentId == latentId, ct))
                return Outcome<InterpretationView>.NotFound($"Latent {latentId} in scope {scopeId}");
        var created = await labelling.CreateInterpretationAsync(actor, latentId, draft, ct);
        if (created.Succeeded) bus.Publish(new QueueProgressChanged(scopeId, actor.UserId));
        return created;
    }

    /// <summary>Progress of the scope and of everyone who labelled, skipped or claimed in it.</summary>
    public async Task<Outcome<ScopeProgressView>> ProgressAsync(long scopeId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var scope = await db.LabellingScopes.AsNoTracking().FirstOrDefaultAsync(s => s.Id == scopeId, ct);
        if (scope is null) return Outcome<ScopeProgressView>.NotFound($"Labelling scope {scopeId}");
        var settings = Settings(scope, includeDense: false);
        var candidates = (await CandidatesAsync(db, scopeId, null, clock.GetUtcNow(), ct)).Values.Select(c => c.Candidate).ToList();
        var people = candidates.SelectMany(c => c.LabelledBy.Concat(c.SkippedBy).Concat(c.Claims.Select(x => x.UserId))).Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => people.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.UserName, ct);
        var rows = people.Select(p => (p, LabellingQueuePolicy.ProgressFor(candidates, p, settings)))
            .Select(x => new PersonProgress(x.p, names.GetValueOrDefault(x.p), x.Item2.Labelled, x.Item2.Skipped, x.Item2.Remaining))
            .OrderByDescending(r => r.Labelled).ThenBy(r => r.UserName, StringComparer.OrdinalIgnoreCase).ToList();
        return Outcome<ScopeProgressView>.Ok(new ScopeProgressView(scopeId, scope.LabelsPerLatent, LabellingQueuePolicy.ProgressOf(candidates, settings), rows));
    }

    internal sealed record ScopedCandidate(long LatentId, QueueCandidate Candidate);

    /// <summary>The scope's latents as the policy sees them, keyed by latent index (five set-based queries).</summary>
    internal static async Task<Dictionary<int, ScopedCandidate>> CandidatesAsync(WorkbenchDbContext db, long scopeId, long? onlyLatentId, DateTimeOffset now, CancellationToken ct)
    {
        var latents = await (from m in db.ScopeLatents
                             join l in db.Latents on m.LatentId equals l.Id
                             where m.ScopeId == scopeId && (onlyLatentId == null || l.Id == onlyLatentId)
                             select new { l.Id, l.Index, l.IsDead, l.Density, l.MaxActivation }).AsNoTracking().ToListAsync(ct);
        var labelled = (await (from m in db.ScopeLatents
                               join i in db.Interpretations on m.LatentId equals i.LatentId
                               where m.ScopeId == scopeId && !i.IsDeleted
                               select new { i.LatentId, i.AuthorId }).Distinct().ToListAsync(ct))
            .ToLookup(x => x.LatentId, x => x.AuthorId);
        var claims = (await db.QueueClaims.AsNoTracking().Where(c => c.ScopeId == scopeId).Select(c => new { c.LatentId, c.UserId, c.ExpiresAt }).ToListAsync(ct))
            .ToLookup(c => c.LatentId, c => new LatentClaim(c.UserId, c.ExpiresAt));
        var skips = (await db.QueueSkips.AsNoTracking().Where(s => s.ScopeId == scopeId).Select(s => new { s.LatentId, s.UserId }).ToListAsync(ct))
            .ToLookup(s => s.LatentId, s => s.UserId);
        return latents.ToDictionary(l => l.Index, l => new ScopedCandidate(l.Id, new QueueCandidate(
            l.Index, !l.IsDead && (l.Density is null or > 0), l.MaxActivation ?? 0, l.Density ?? 0,
            labelled[l.Id].ToHashSet(StringComparer.Ordinal), claims[l.Id].ToList(), skips[l.Id].ToHashSet(StringComparer.Ordinal))));
    }

    /// <summary>The latent ids a scope definition names, or why it names none.</summary>
    /// <summary>Scopes are made by Reviewers and Admins, who see blind latents' labels: a saved filter resolves over all of them.</summary>
    private static readonly Actor ScopeReader = new("system", "system", Role.Admin);

    private async Task<Validated<List<long>>> ResolveAsync(long dictionaryId, ScopeKind kind, string? definition, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var latents = db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId);
        List<long> ids;
        switch (kind)
        {
            case ScopeKind.Dictionary:
                ids = await latents.OrderBy(l => l.Index).Select(l => l.Id).ToListAsync(ct);
                break;
            case ScopeKind.List:
                var parsed = ScopeDefinitions.ParseIndices(definition);
                if (!parsed.IsValid) return Validated<List<long>>.Fail("definition", parsed.Validation.Errors.Values.First());
                var wanted = parsed.Value!;
                var found = await latents.Where(l => wanted.Contains(l.Index)).Select(l => new { l.Id, l.Index }).ToListAsync(ct);
                var missing = wanted.Except(found.Select(f => f.Index)).Order().ToList();
                if (missing.Count > 0)
                    return Validated<List<long>>.Fail("definition", $"The dictionary has no latent {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? " …" : "")}.");
                ids = found.OrderBy(f => f.Index).Select(f => f.Id).ToList();
                break;
            default:
                var query = ScopeDefinitions.ParseFilter(definition) with { PageSize = FeatureQuery.MaxPageSize };
                var indices = new List<int>();
                for (var page = 0; ; page++)
                {
                    var rows = await catalog.QueryAsync(dictionaryId, query with { Page = page }, ScopeReader, ct);
                    indices.AddRange(rows.Rows.Select(r => r.Index));
                    if (rows.Rows.Count < query.PageSize) break;
                }
                ids = await latents.Where(l => indices.Contains(l.Index)).OrderBy(l => l.Index).Select(l => l.Id).ToListAsync(ct);
                break;
        }
        return ids.Count == 0
            ? Validated<List<long>>.Fail("definition", "This scope would hold no latents.")
            : Validated<List<long>>.Ok(ids);
    }

    internal static QueueSettings Settings(LabellingScope s, bool includeDense) =>
        Settings(s.LabelsPerLatent, s.ClaimMinutes, (QueuePriority)s.Priority, s.IncludeDeadLatents) with { IncludeDenseLatents = includeDense };

    private static QueueSettings Settings(int n, int minutes, QueuePriority priority, bool includeDead) =>
        new(n, priority, includeDead, TimeSpan.FromMinutes(minutes));

    private static ScopeView View(LabellingScope s, int latents) =>
        new(s.Id, s.DictionaryId, s.Name, s.Kind.ToString(), s.Definition, s.IsBlind, s.LabelsPerLatent, s.ClaimMinutes,
            (QueuePriority)s.Priority, s.IncludeDeadLatents, latents, s.CreatedById, s.CreatedAt, s.Guidelines);
}
