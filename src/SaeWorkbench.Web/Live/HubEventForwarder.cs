using Microsoft.AspNetCore.SignalR;
using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Web.Live;

/// <summary>Forwards every in-process event to the hub's clients (external subscribers, other nodes).</summary>
public sealed class HubEventForwarder(WorkbenchEventBus bus, IHubContext<WorkbenchHub> hub, ILogger<HubEventForwarder> logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = bus.Subscribe(e => _ = SendAsync(e));
        return Task.CompletedTask;
    }

    private async Task SendAsync(WorkbenchEvent e)
    {
        try
        {
            // A notification (and its read receipts) is private to its user: only their connections get it.
            var clients = e switch
            {
                NotificationCreated n => hub.Clients.User(n.UserId),
                NotificationsRead r => hub.Clients.User(r.UserId),
                _ => hub.Clients.All,
            };
            await clients.SendAsync("event", e.Name, (object)e);
        }
        catch (Exception ex) { logger.LogWarning(ex, "could not forward {Event} to hub clients", e.Name); }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }
}
