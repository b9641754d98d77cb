using Microsoft.AspNetCore.SignalR;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.ScaleOut;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// Forwards events to the hub's clients, each exactly once: events raised here go to all clients (through the
/// SignalR Redis backplane, when configured, also those on other nodes); events from another web node are skipped
/// (that node sent them); events from a worker, which has no hub, go to this node's own clients only.
/// Notifications go only to their user; events about blind latents only to those who may see them (InterpretationVisibility).
/// </summary>
public sealed class HubEventForwarder(WorkbenchEventBus bus, IHubContext<WorkbenchHub> hub, WorkbenchNode node, BlindHubAudience audience, ILogger<HubEventForwarder> logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = bus.Subscribe((e, origin) =>
        {
            if (origin == EventOrigin.Local) _ = SendAsync(e, fromWorker: false);
            else if (origin == EventOrigin.Worker) _ = SendAsync(e, fromWorker: true);
        });
        return Task.CompletedTask;
    }

    private async Task SendAsync(WorkbenchEvent e, bool fromWorker)
    {
        try
        {
            var target = e switch
            {
                NotificationCreated n => hub.Clients.User(n.UserId),
                NotificationsRead r => hub.Clients.User(r.UserId),
                // A worker's event reaches this node's clients only (every node relays it); one about a blind latent
                // goes to those who may see it (if a worker ever raises one, a user on two nodes may get it twice).
                _ when fromWorker => await audience.AudienceAsync(hub.Clients, e, hub.Clients.Group(node.HubGroup)),
                _ => await audience.AudienceAsync(hub.Clients, e, hub.Clients.All),
            };
            await target.SendAsync("event", e.Name, (object)e);
        }
        catch (Exception ex) { logger.LogWarning(ex, "could not forward {Event} to hub clients", e.Name); }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }
}
