using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Research.Collaboration;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Hosting;
using SaeWorkbench.Web.Live;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>Workspace labelling settings (Admin), the caller's notifications, and who views a latent.</summary>
public static class CollaborationEndpoints
{
    public static IEndpointRouteBuilder MapCollaborationEndpoints(this IEndpointRouteBuilder app)
    {
        var settings = app.MapGroup("/api/admin/settings").TranslatesRefusals().RequirePermission(WorkbenchAction.ManageTaxonomy).WithTags("Admin");
        settings.MapGet("/labelling", GetSettings).WithName("GetLabellingSettings").WithSummary("The workspace taxonomy and consensus threshold (Admin).");
        settings.MapPut("/labelling", PutSettings).WithName("PutLabellingSettings").WithSummary("Replace the taxonomy and the consensus threshold (Admin; audited).");

        var notifications = app.MapGroup("/api/notifications").TranslatesRefusals().RequireAuthorization().WithTags("Notifications");
        notifications.MapGet("/", Inbox).WithName("Notifications").WithSummary("Your newest notifications and how many are unread.");
        notifications.MapPost("/{id:long}/read", MarkRead).WithName("MarkNotificationRead").WithSummary("Mark one of your notifications read.");
        notifications.MapPost("/read-all", MarkAllRead).WithName("MarkAllNotificationsRead").WithSummary("Mark all your notifications read.");

        app.MapGroup("/api/latents").TranslatesRefusals()
            .MapGet("/{latentId:long}/viewers", (long latentId, LatentPresence presence) => TypedResults.Ok(presence.Viewers(latentId)))
            .RequireAuthorization().WithTags("Labelling").WithName("LatentViewers").WithSummary("Who has this latent's page open now.");
        return app;
    }

    public sealed record SettingsRequest(IReadOnlyList<TaxonomyTag>? Tags, int ConsensusThreshold);

    public static async Task<Ok<LabellingSettingsView>> GetSettings(WorkspaceSettingsService settings, CancellationToken ct) =>
        TypedResults.Ok(await settings.GetAsync(ct));

    public static async Task<Results<Ok<LabellingSettingsView>, ValidationProblem, ProblemHttpResult>> PutSettings(
        SettingsRequest request, WorkspaceSettingsService settings, ClaimsPrincipal user, CancellationToken ct) =>
        OutcomeResults.Answer(await settings.UpdateAsync(OutcomeResults.ActorOf(user), request.Tags, request.ConsensusThreshold, ct));

    public static async Task<Ok<NotificationInbox>> Inbox(NotificationService notifications, ClaimsPrincipal user, int? take, CancellationToken ct) =>
        TypedResults.Ok(await notifications.InboxAsync(OutcomeResults.ActorOf(user), take ?? 20, ct));

    public static async Task<Results<Ok<NotificationView>, ValidationProblem, ProblemHttpResult>> MarkRead(
        long id, NotificationService notifications, ClaimsPrincipal user, CancellationToken ct) =>
        OutcomeResults.Answer(await notifications.MarkReadAsync(OutcomeResults.ActorOf(user), id, ct));

    public static async Task<Results<Ok<int>, ValidationProblem, ProblemHttpResult>> MarkAllRead(
        NotificationService notifications, ClaimsPrincipal user, CancellationToken ct) =>
        OutcomeResults.Answer(await notifications.MarkAllReadAsync(OutcomeResults.ActorOf(user), ct));
}
