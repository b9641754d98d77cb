using Microsoft.Extensions.Logging;

namespace SaeWorkbench.Research.Events;

/// <summary>
/// In-process publish/subscribe for <see cref="WorkbenchEvent"/>s. Pages subscribe (and dispose the returned
/// subscription); the web host forwards every event to the SignalR hub for external clients and other nodes.
/// A failing subscriber is logged and never stops delivery to the others.
/// </summary>
public sealed class WorkbenchEventBus(ILogger<WorkbenchEventBus> logger)
{
    private readonly Lock _gate = new();
    private ImmutableSubscribers _subscribers = ImmutableSubscribers.Empty;

    public IDisposable Subscribe(Action<WorkbenchEvent> handler)
    {
        var s = new Subscription(this, handler);
        lock (_gate) _subscribers = _subscribers.Add(s);
        return s;
    }

    public void Publish(WorkbenchEvent e)
    {
        foreach (var s in _subscribers.Items)
        {
            try { s.Handler(e); }
            catch (Exception ex) { logger.LogWarning(ex, "event subscriber failed on {Event}", e.Name); }
        }
    }

    private void Remove(Subscription s)
    {
        lock (_gate) _subscribers = _subscribers.Remove(s);
    }

    private sealed record ImmutableSubscribers(Subscription[] Items)
    {
        public static readonly ImmutableSubscribers Empty = new([]);
        public ImmutableSubscribers Add(Subscription s) => new([.. Items, s]);
        public ImmutableSubscribers Remove(Subscription s) => new(Items.Where(i => i != s).ToArray());
    }

    private sealed class Subscription(WorkbenchEventBus bus, Action<WorkbenchEvent> handler) : IDisposable
    {
        public Action<WorkbenchEvent> Handler { get; } = handler;
        public void Dispose() => bus.Remove(this);
    }
}
