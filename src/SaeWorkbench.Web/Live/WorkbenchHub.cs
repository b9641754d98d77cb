using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// The one hub for cross-user events (docs/architecture.md §7). Authenticated users only. Clients receive
/// events as <c>event(name, payload)</c>; pages inside the app get the same events through the in-process bus.
/// </summary>
[Authorize]
public sealed partial class WorkbenchHub(PresenceTracker presence, LatentPresence latents, SaeWorkbench.Research.ScaleOut.WorkbenchNode node,
    SaeWorkbench.Research.Limits.UserRateLimiter rateLimiter) : Hub
{
    public const string Path = "/hubs/workbench";

    public override async Task OnConnectedAsync()
    {
        presence.Connected(Context.User!.Identity!.Name!, "hub:" + Context.ConnectionId);
        // This node's own clients, for events relayed from workers (HubEventForwarder).
        await Groups.AddToGroupAsync(Context.ConnectionId, node.HubGroup);
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        presence.Disconnected(Context.User!.Identity!.Name!, "hub:" + Context.ConnectionId);
        latents.LeaveAll("hub:" + Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>Names of the users online now.</summary>
    public IReadOnlyList<string> GetOnlineUsers() => presence.Online;
}
