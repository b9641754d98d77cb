using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// The one hub for cross-user events (ARCHITECTURE.md, live updates). Authenticated users only. Clients receive
/// events as <c>event(name, payload)</c>; pages inside the app get the same events through the in-process bus.
/// </summary>
[Authorize]
public sealed class WorkbenchHub(PresenceTracker presence) : Hub
{
    public const string Path = "/hubs/workbench";

    public override async Task OnConnectedAsync()
    {
        presence.Connected(Context.User!.Identity!.Name!, "hub:" + Context.ConnectionId);
        // Issue 8 §3: groups that decide who receives events about blind latents (BlindHubAudience).
        if (Research.Labelling.Services.Actor.From(Context.User) is { } actor)
            foreach (var group in BlindHubAudience.GroupsOf(actor)) await Groups.AddToGroupAsync(Context.ConnectionId, group);
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        presence.Disconnected(Context.User!.Identity!.Name!, "hub:" + Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>Names of the users online now.</summary>
    public IReadOnlyList<string> GetOnlineUsers() => presence.Online;
}
