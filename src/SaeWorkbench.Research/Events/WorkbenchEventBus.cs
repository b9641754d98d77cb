using Microsoft.Extensions.Logging;

namespace SaeWorkbench.Research.Events;

/// <summary>Where a delivered event was raised.</summary>
public enum EventOrigin
{
    /// <summary>In this process.</summary>
    Local,

    /// <summary>On another web node (which has already sent it to hub clients through the SignalR backplane).</summary>
    OtherWebNode,

    /// <summary>In a process without a hub (a worker): each web node sends it to its own hub clients.</summary>
    Worker,
}

/// <summary>
/// Publish/subscribe for <see cref="WorkbenchEvent"/>s. Pages subscribe (and dispose the returned subscription); the
/// web host forwards events to the SignalR hub. With Redis configured, a relay carries every locally raised event to
/// the other nodes and workers, and each of them raises it once more locally (never twice on the origin node).
/// A failing subscriber is logged and never stops delivery to the others.
/// </summary>
public sealed class WorkbenchEventBus(ILogger<WorkbenchEventBus> logger)
{
    private readonly Lock _gate = new();
    private ImmutableSubscribers _subscribers = ImmutableSubscribers.Empty;
    private Action<WorkbenchEvent>? _relay;

    public IDisposable Subscribe(Action<WorkbenchEvent> handler) => Subscribe((e, _) => handler(e));

    /// <summary>Subscribes with the event's origin (local, another web node, a worker).</summary>
    public IDisposable Subscribe(Action<WorkbenchEvent, EventOrigin> handler)
    {
        var s = new Subscription(this, handler);
        lock (_gate) _subscribers = _subscribers.Add(s);
        return s;
    }

    /// <summary>Raises an event here and, when a relay is attached, on every other node.</summary>
    public void Publish(WorkbenchEvent e)
    {
        Deliver(e, EventOrigin.Local);
        if (_relay is { } relay)
        {
            try { relay(e); }
            catch (Exception ex) { logger.LogWarning(ex, "could not relay {Event} to the other nodes", e.Name); }
        }
    }

    /// <summary>Raises here an event that another node published (called by the relay only).</summary>
    public void DeliverFromOtherNode(WorkbenchEvent e, EventOrigin origin) => Deliver(e, origin);

    /// <summary>Sends every locally published event on to other nodes (one relay per bus).</summary>
    public IDisposable AttachRelay(Action<WorkbenchEvent> relay)
    {
        if (Interlocked.CompareExchange(ref _relay, relay, null) is not null)
            throw new InvalidOperationException("the event bus already has a relay");
        return new Detach(() => Interlocked.CompareExchange(ref _relay, null, relay));
    }

    private void Deliver(WorkbenchEvent e, EventOrigin origin)
    {
        foreach (var s in _subscribers.Items)
        {
            try { s.Handler(e, origin); }
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

    private sealed class Subscription(WorkbenchEventBus bus, Action<WorkbenchEvent, EventOrigin> handler) : IDisposable
    {
        public Action<WorkbenchEvent, EventOrigin> Handler { get; } = handler;
        public void Dispose() => bus.Remove(this);
    }

    private sealed class Detach(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
