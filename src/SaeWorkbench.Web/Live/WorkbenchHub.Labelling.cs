using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Collaboration;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// What a hub write answers: the outcome (Ok, NotFound, Forbidden, Invalid, Conflict), the value, one message per field, and for
/// a conflict both versions. <see cref="From"/> is the hub's one translation of a service's <see cref="Outcome{T}"/>.
/// </summary>
public sealed record HubAnswer<T>(string Outcome, T? Value, IReadOnlyDictionary<string, string> Errors, EditConflict? Conflict)
{
    public static HubAnswer<T> From(Outcome<T> r) => new(r.Kind.ToString(), r.Value, r.Validation.Errors, r.Conflict);
}

/// <summary>An interpretation as the hub takes it (create and edit).</summary>
public sealed record HubInterpretation(string? Label, string? Description, string? Tag, int Confidence);

/// <summary>
/// §7: the hub's labelling writes and per-latent presence. Every write calls the same
/// <see cref="LabellingService"/> as the UI and the API, with the caller's roles read afresh from the
/// account store on each call (a long-lived connection does not keep a role an Admin has since taken away).
/// </summary>
public sealed partial class WorkbenchHub
{
    public async Task<HubAnswer<InterpretationView>> CreateInterpretation(long latentId, HubInterpretation input, LabellingService labelling, UserManager<WorkbenchUser> users) =>
        await Call(users, a => labelling.CreateInterpretationAsync(a, latentId, new InterpretationDraft(input.Label, input.Description, input.Confidence, input.Tag), Context.ConnectionAborted));

    public async Task<HubAnswer<EditOutcomeView>> EditInterpretation(long interpretationId, int baseVersion, HubInterpretation input, LabellingService labelling, UserManager<WorkbenchUser> users) =>
        await Call(users, a => labelling.EditInterpretationAsync(a, interpretationId, baseVersion, new InterpretationDraft(input.Label, input.Description, input.Confidence, input.Tag), Context.ConnectionAborted));

    public async Task<HubAnswer<InterpretationView>> DeleteInterpretation(long interpretationId, LabellingService labelling, UserManager<WorkbenchUser> users) =>
        await Call(users, a => labelling.DeleteInterpretationAsync(a, interpretationId, Context.ConnectionAborted));

    /// <summary>+1 or −1; null retracts.</summary>
    public async Task<HubAnswer<VoteOutcome>> Vote(long interpretationId, int? value, LabellingService labelling, UserManager<WorkbenchUser> users) =>
        await Call(users, a => labelling.VoteAsync(a, interpretationId, value, Context.ConnectionAborted));

    /// <summary>Accepted, Rejected or Pending, with a reason (required to reject).</summary>
    public async Task<HubAnswer<InterpretationView>> Review(long interpretationId, string decision, string? reason, LabellingService labelling, UserManager<WorkbenchUser> users)
    {
        if (!Enum.TryParse<ReviewStatus>(decision, ignoreCase: true, out var status) || !Enum.IsDefined(status) || int.TryParse(decision, out _))
            return HubAnswer<InterpretationView>.From(Outcome<InterpretationView>.Refused(
                ValidationResult.Fail("decision", "The decision is Accepted, Rejected or Pending.")));
        return await Call(users, a => labelling.ReviewAsync(a, interpretationId, status, reason, Context.ConnectionAborted));
    }

    public async Task<HubAnswer<CommentView>> Comment(long latentId, string? body, long? interpretationId, LabellingService labelling, UserManager<WorkbenchUser> users) =>
        await Call(users, a => labelling.AddCommentAsync(a, latentId, body, interpretationId, Context.ConnectionAborted));

    public async Task<HubAnswer<NotificationView>> MarkNotificationRead(long notificationId, NotificationService notifications, UserManager<WorkbenchUser> users) =>
        await Call(users, a => notifications.MarkReadAsync(a, notificationId, Context.ConnectionAborted));

    /// <summary>This connection views <paramref name="latentId"/> until it leaves or disconnects; answers who views it now.</summary>
    public IReadOnlyList<string> JoinLatent(long latentId)
    {
        latents.Join(latentId, Context.User!.Identity!.Name!, "hub:" + Context.ConnectionId);
        return latents.Viewers(latentId);
    }

    public void LeaveLatent(long latentId) => latents.Leave(latentId, "hub:" + Context.ConnectionId);

    public IReadOnlyList<string> GetLatentViewers(long latentId) => latents.Viewers(latentId);

    private async Task<HubAnswer<T>> Call<T>(UserManager<WorkbenchUser> users, Func<Actor, Task<Outcome<T>>> write)
    {
        var actor = await CurrentActorAsync(users);
        if (actor is null)
            return HubAnswer<T>.From(new Outcome<T>(OutcomeKind.Forbidden, default, ValidationResult.Fail("user", "This account no longer exists.")));
        // The same per-user write budget as the REST API: more connections or tokens buy no more writes. A refusal is a hub
        // error (the client's invocation throws with this message) and writes nothing.
        if (!rateLimiter.TryAcquire(SaeWorkbench.Research.Limits.WorkKind.Write, actor.UserId, out var retryAfter))
            throw new HubException(new SaeWorkbench.Research.Limits.RateLimitedException(SaeWorkbench.Research.Limits.WorkKind.Write, retryAfter).Message);
        return HubAnswer<T>.From(await write(actor));
    }

    private async Task<Actor?> CurrentActorAsync(UserManager<WorkbenchUser> users)
    {
        if (Context.UserIdentifier is not { } id || await users.FindByIdAsync(id) is not { } user) return null;
        return new Actor(user.Id, user.UserName ?? user.Id, WorkbenchRoles.Highest(await users.GetRolesAsync(user)));
    }
}
