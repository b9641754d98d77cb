using Microsoft.AspNetCore.SignalR;
using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Web.Live;

/// <summary>Forwards every in-process event to the hub's clients (external subscribers, other nodes); blind latents' events only to those who may see them.</summary>
public sealed class HubEventForwarder(WorkbenchEventBus bus, IHubContext<WorkbenchHub> hub, BlindHubAudience audience, ILogger<HubEventForwarder> logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = bus.Subscribe(e => _ = SendAsync(e));
        return Task.CompletedTask;
    }

    private async Task SendAsync(WorkbenchEvent e)
    {
        try { await (await audience.AudienceAsync(hub.Clients, e)).SendAsync("event", e.Name, (object)e); }
        catch (Exception ex) { logger.LogWarning(ex, "could not forward {Event} to hub clients", e.Name); }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }
}
