using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Research.Crowd;

/// <summary>
/// Who may see which interpretation, and every read path's one way of asking (README, "Blind labelling: who sees what,
/// when"). The rule:
/// <list type="bullet">
/// <item>A latent is blind while it belongs to a blind scope that is not archived. There a person sees only their own
/// interpretations and comments — not others' interpretations, versions, votes, scores, detection ratings, consensus,
/// nor whether any exist — until they have written a live interpretation of their own
/// (<see cref="Permissions.CanSeeOthersWork"/>). Reviewers and Admins see everything.</item>
/// <item>A soft-deleted interpretation (and its versions) is seen by Reviewers and Admins only, its author included:
/// deleting is the Admin's call, reviewing deleted work the Reviewer's, and the audit log keeps the rest.</item>
/// <item>What a person may not see does not exist for them: reads and writes that name it answer exactly as for an id
/// that was never used ("Interpretation N was not found."), list filters leave hidden latents out, a sort by label
/// status places them among the unlabelled, and hub events about a blind latent go only to those who may see its
/// work, decided from their current role on every event.</item>
/// </list>
/// Every read path that carries interpretation data goes through this class; <see cref="ReadPaths"/> lists them, and a
/// test fails when an endpoint, hub method or event carries such data without being listed.
/// </summary>
public static class InterpretationVisibility
{
    /// <summary>The consensus status shown in place of a hidden consensus.</summary>
    public const string HiddenStatus = "Hidden";

    /// <summary>A hidden consensus as the panel, the API list and the export show it.</summary>
    public static ConsensusView Hidden { get; } = new(HiddenStatus, null, null, null);

    /// <summary>
    /// The rule on one interpretation, pure: <paramref name="othersVisible"/> is whether the viewer may see others' work
    /// on its latent (<see cref="MaySeeOthersWorkAsync"/>).
    /// </summary>
    public static bool MaySee(Role role, string? userId, string authorId, bool isDeleted, bool othersVisible) =>
        isDeleted ? Permissions.Can(role, WorkbenchAction.SeeBlindedWork)
        : othersVisible || string.Equals(userId, authorId, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="actor"/> may see others' work on the latent now.</summary>
    public static async Task<bool> MaySeeOthersWorkAsync(WorkbenchDbContext db, Actor? actor, long latentId, CancellationToken ct)
    {
        if (actor is not null && Permissions.Can(actor.Role, WorkbenchAction.SeeBlindedWork)) return true;
        if (!await IsBlindAsync(db, latentId, ct)) return true;
        var submitted = actor is not null && await db.Interpretations.AnyAsync(i => i.LatentId == latentId && i.AuthorId == actor.UserId && !i.IsDeleted, ct);
        return Permissions.CanSeeOthersWork(actor?.Role ?? Role.Viewer, scopeIsBlind: true, submitted);
    }

    /// <summary>Whether <paramref name="actor"/> may see the interpretation (false when there is none).</summary>
    public static async Task<bool> MaySeeAsync(WorkbenchDbContext db, Actor? actor, long interpretationId, CancellationToken ct) =>
        await db.Interpretations.AsNoTracking().Where(i => i.Id == interpretationId).FirstOrDefaultAsync(ct) is { } i
        && await MaySeeAsync(db, actor, i, ct);

    /// <summary>Whether <paramref name="actor"/> may see <paramref name="interpretation"/>.</summary>
    public static async Task<bool> MaySeeAsync(WorkbenchDbContext db, Actor? actor, DataLabelling.Interpretation interpretation, CancellationToken ct)
    {
        var role = actor?.Role ?? Role.Viewer;
        if (interpretation.IsDeleted || string.Equals(actor?.UserId, interpretation.AuthorId, StringComparison.Ordinal))
            return MaySee(role, actor?.UserId, interpretation.AuthorId, interpretation.IsDeleted, othersVisible: false);
        return await MaySeeOthersWorkAsync(db, actor, interpretation.LatentId, ct);
    }

    /// <summary>Of <paramref name="interpretationIds"/>, those <paramref name="actor"/> may see.</summary>
    public static async Task<HashSet<long>> VisibleAsync(WorkbenchDbContext db, Actor? actor, IReadOnlyCollection<long> interpretationIds, CancellationToken ct)
    {
        if (interpretationIds.Count == 0) return [];
        var rows = await db.Interpretations.AsNoTracking().Where(i => interpretationIds.Contains(i.Id))
            .Select(i => new { i.Id, i.LatentId, i.AuthorId, i.IsDeleted }).ToListAsync(ct);
        var hidden = await HiddenConsensusAsync(db, actor, rows.Select(r => r.LatentId).Distinct().ToList(), ct);
        var role = actor?.Role ?? Role.Viewer;
        return rows.Where(r => MaySee(role, actor?.UserId, r.AuthorId, r.IsDeleted, othersVisible: !hidden.Contains(r.LatentId)))
            .Select(r => r.Id).ToHashSet();
    }

    public static Task<bool> IsBlindAsync(WorkbenchDbContext db, long latentId, CancellationToken ct) =>
        (from m in db.ScopeLatents
         join s in db.LabellingScopes on m.ScopeId equals s.Id
         where m.LatentId == latentId && s.IsBlind && !s.IsArchived
         select m).AnyAsync(ct);

    /// <summary>Of <paramref name="latentIds"/>, those in a blind scope.</summary>
    public static async Task<HashSet<long>> BlindLatentsAsync(WorkbenchDbContext db, IReadOnlyCollection<long> latentIds, CancellationToken ct) =>
        (await (from m in db.ScopeLatents
                join s in db.LabellingScopes on m.ScopeId equals s.Id
                where latentIds.Contains(m.LatentId) && s.IsBlind && !s.IsArchived
                select m.LatentId).Distinct().ToListAsync(ct)).ToHashSet();

    /// <summary>The panel as <paramref name="actor"/> may see it: unchanged, or reduced to their own work with the consensus hidden.</summary>
    public static async Task<LatentLabelling> ApplyAsync(WorkbenchDbContext db, Actor? actor, LatentLabelling panel, CancellationToken ct)
    {
        if (await MaySeeOthersWorkAsync(db, actor, panel.LatentId, ct)) return panel;
        return Blinded(panel, actor?.UserId);
    }

    /// <summary>Only the caller's own interpretations and comments, no consensus.</summary>
    public static LatentLabelling Blinded(LatentLabelling panel, string? userId) => panel with
    {
        Consensus = Hidden,
        Interpretations = panel.Interpretations.Where(i => i.AuthorId == userId).ToList(),
        Comments = panel.Comments.Where(c => c.AuthorId == userId).ToList(),
    };

    /// <summary>
    /// Of <paramref name="latentIds"/>, those whose others' work (and consensus) <paramref name="actor"/> may not see
    /// (blind, and no interpretation of their own there). Empty for Reviewers and Admins.
    /// </summary>
    public static async Task<HashSet<long>> HiddenConsensusAsync(WorkbenchDbContext db, Actor? actor, IReadOnlyCollection<long> latentIds, CancellationToken ct)
    {
        if (actor is not null && Permissions.Can(actor.Role, WorkbenchAction.SeeBlindedWork)) return [];
        var blind = await BlindLatentsAsync(db, latentIds, ct);
        if (blind.Count == 0 || actor is null) return blind;
        var own = await db.Interpretations.Where(i => blind.Contains(i.LatentId) && i.AuthorId == actor.UserId && !i.IsDeleted)
            .Select(i => i.LatentId).Distinct().ToListAsync(ct);
        blind.ExceptWith(own);
        return blind;
    }

    /// <summary>
    /// The user whose view a list query must take (blind mode filters and sorts for them), or null when nothing can be
    /// hidden from <paramref name="actor"/> (Reviewers and Admins). Anonymous callers are "" (they wrote nothing).
    /// </summary>
    public static string? ListViewer(Actor? actor) =>
        actor is not null && Permissions.Can(actor.Role, WorkbenchAction.SeeBlindedWork) ? null : actor?.UserId ?? "";

    /// <summary>
    /// The list form of the rule, as LINQ: whether others' work on the latent is hidden from <paramref name="userId"/>
    /// (see <see cref="ListViewer"/>).
    /// </summary>
    public static Expression<Func<Latent, bool>> HiddenFrom(WorkbenchDbContext db, string userId) => l =>
        db.ScopeLatents.Any(m => m.LatentId == l.Id && db.LabellingScopes.Any(s => s.Id == m.ScopeId && s.IsBlind && !s.IsArchived)) &&
        !db.Interpretations.Any(i => i.LatentId == l.Id && i.AuthorId == userId && !i.IsDeleted);

    /// <summary>The label filters (status, tag, text search) leave hidden latents out: only what the viewer may see matches.</summary>
    public static IQueryable<Latent> WithoutHidden(WorkbenchDbContext db, IQueryable<Latent> latents, string userId)
    {
        var hidden = HiddenFrom(db, userId);
        return latents.Where(Expression.Lambda<Func<Latent, bool>>(Expression.Not(hidden.Body), hidden.Parameters));
    }

    /// <summary>A latent's label status as <paramref name="userId"/> may see it: a hidden one sorts as Unlabelled (its row says "hidden").</summary>
    public static Expression<Func<Latent, LabelStatus>> VisibleStatus(WorkbenchDbContext db, string userId)
    {
        var hidden = HiddenFrom(db, userId);
        var l = hidden.Parameters[0];
        return Expression.Lambda<Func<Latent, LabelStatus>>(
            Expression.Condition(hidden.Body, Expression.Constant(LabelStatus.Unlabelled), Expression.Property(l, nameof(Latent.LabelStatus))), l);
    }

    /// <summary>The latent a labelling event is about: such events go only to those who may see the latent's work.</summary>
    public static long? LatentOf(WorkbenchEvent e) => e switch
    {
        InterpretationCreated x => x.LatentId,
        InterpretationEdited x => x.LatentId,
        InterpretationDeleted x => x.LatentId,
        VoteChanged x => x.LatentId,
        CommentAdded x => x.LatentId,
        InterpretationReviewed x => x.LatentId,
        ConsensusChanged x => x.LatentId,
        DetectionScored x => x.LatentId,
        _ => null,
    };

    /// <summary>
    /// Who may receive events about <paramref name="latentId"/>: null for everyone (not blind), else the ids of the users
    /// who may see its work now — current holders of a role that may see blinded work (read from the account store on every call, so a role
    /// taken away stops the events at once) and each author of a live interpretation of it.
    /// </summary>
    public static async Task<IReadOnlyList<string>?> AudienceAsync(WorkbenchDbContext db, long latentId, CancellationToken ct)
    {
        if (!await IsBlindAsync(db, latentId, ct)) return null;
        var seeBlinded = WorkbenchRoles.AtLeast(Permissions.LeastRole(WorkbenchAction.SeeBlindedWork)).ToList();
        var trusted = await (from ur in db.UserRoles
                             join r in db.Roles on ur.RoleId equals r.Id
                             where seeBlinded.Contains(r.Name!)
                             select ur.UserId).ToListAsync(ct);
        var authors = await db.Interpretations.AsNoTracking().Where(i => i.LatentId == latentId && !i.IsDeleted)
            .Select(i => i.AuthorId).ToListAsync(ct);
        return trusted.Concat(authors).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Every read path that carries interpretation data (labels, descriptions, versions, votes, scores, consensus,
    /// comments, detection ratings, or their existence) and applies this rule. A test enumerates the app's endpoints,
    /// hub methods and events and fails for any that carries such data and is not listed here.
    /// </summary>
    public static class ReadPaths
    {
        /// <summary>REST endpoints, as "METHOD route pattern".</summary>
        public static readonly IReadOnlySet<string> Endpoints = new HashSet<string>(StringComparer.Ordinal)
        {
            "GET /api/dictionaries/{dictionaryId:long}/latents",
            "GET /api/latents/{latentId:long}",
            "GET /api/latents/{latentId:long}/interpretations",
            "GET /api/interpretations/{id:long}/versions",
            "POST /api/latents/{latentId:long}/interpretations",
            "PUT /api/interpretations/{id:long}",
            "DELETE /api/interpretations/{id:long}",
            "PUT /api/interpretations/{id:long}/vote",
            "DELETE /api/interpretations/{id:long}/vote",
            "POST /api/interpretations/{id:long}/review",
            "POST /api/latents/{latentId:long}/comments",
            "GET /api/interpretations/{id:long}/detection",
            "POST /api/interpretations/{id:long}/detection/open",
            "POST /api/interpretations/{id:long}/detection",
            "GET /api/latents/{latentId:long}/suggestions",
            "POST /api/suggestions/{id:long}/accept",
            "POST /api/suggestions/{id:long}/reject",
            "GET /api/scopes/{scopeId:long}/submissions",
            "PUT /api/scopes/{scopeId:long}/submissions/{interpretationId:long}",
            "GET /api/scopes/{scopeId:long}/reviews",
            "POST /api/scopes/{scopeId:long}/reviews/{interpretationId:long}",
        };

        /// <summary>
        /// Blazor components (pages included, by full type name) that read labelling data, reviewed as asking with the
        /// viewer's <see cref="Actor"/>: any component that injects a labelling read service or the database is listed.
        /// </summary>
        public static readonly IReadOnlySet<string> Components = new HashSet<string>(StringComparer.Ordinal)
        {
            "SaeWorkbench.Web.Components.Crowd.DetectionBadge",
            "SaeWorkbench.Web.Components.Crowd.ScopeProgressCard",
            "SaeWorkbench.Web.Components.Features.ListPosition",
            "SaeWorkbench.Web.Components.Labelling.InterpretationEditor",
            "SaeWorkbench.Web.Components.Labelling.InterpretationHistory",
            "SaeWorkbench.Web.Components.Labelling.LabelSuggestions",
            "SaeWorkbench.Web.Components.Labelling.LabellingPanel",
            "SaeWorkbench.Web.Components.Pages.Areas.Exports",
            "SaeWorkbench.Web.Components.Pages.Crowd.AgreementPage",
            "SaeWorkbench.Web.Components.Pages.Crowd.DetectionRatingPage",
            "SaeWorkbench.Web.Components.Pages.Crowd.LabellingHome",
            "SaeWorkbench.Web.Components.Pages.Crowd.QueueView",
            "SaeWorkbench.Web.Components.Pages.Crowd.ReviewQueuePage",
            "SaeWorkbench.Web.Components.Pages.Features.FeatureList",
            "SaeWorkbench.Web.Components.Pages.Features.LatentPage",
            "SaeWorkbench.Web.Components.Pages.Features.LatentRedirect",
            "SaeWorkbench.Web.Components.Pages.Steering.SteeringPage",
            "SaeWorkbench.Web.Components.Steering.LatentPicker",
            "SaeWorkbench.Web.Components.Steering.TextAblationPanel",
        };

        /// <summary>Hub methods of the workbench hub.</summary>
        public static readonly IReadOnlySet<string> HubMethods = new HashSet<string>(StringComparer.Ordinal)
        {
            "CreateInterpretation", "EditInterpretation", "DeleteInterpretation", "Vote", "Review", "Comment",
        };
    }
}
