using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// Who is online: a user is online while at least one of their connections (a page's circuit or a hub client)
/// is up. Publishes <see cref="PresenceChanged"/> when the set of names changes.
/// </summary>
public sealed class PresenceTracker(WorkbenchEventBus events)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<string>> _connections = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Online
    {
        get { lock (_gate) return _connections.Keys.Order(StringComparer.OrdinalIgnoreCase).ToList(); }
    }

    public void Connected(string userName, string connectionId)
    {
        bool changed;
        lock (_gate)
        {
            if (!_connections.TryGetValue(userName, out var set)) _connections[userName] = set = [];
            changed = set.Count == 0;
            set.Add(connectionId);
        }
        if (changed) events.Publish(new PresenceChanged(Online));
    }

    public void Disconnected(string userName, string connectionId)
    {
        var changed = false;
        lock (_gate)
        {
            if (_connections.TryGetValue(userName, out var set) && set.Remove(connectionId) && set.Count == 0)
            {
                _connections.Remove(userName);
                changed = true;
            }
        }
        if (changed) events.Publish(new PresenceChanged(Online));
    }
}
