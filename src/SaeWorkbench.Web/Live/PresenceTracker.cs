using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// Who is online: a user is online while at least one of their connections (a page's circuit or a hub client)
/// is up. Publishes <see cref="PresenceChanged"/> when the set of names changes. With Redis configured, each node
/// stores its own users in Redis and the names online are the union over all live nodes.
/// </summary>
public sealed class PresenceTracker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<string>> _connections = new(StringComparer.Ordinal);
    private readonly WorkbenchEventBus _events;
    private readonly RedisPresenceStore? _shared;
    private readonly SemaphoreSlim _sync = new(1, 1);
    private IReadOnlyList<string> _cluster = [];

    /// <summary>One web node: the names online are this node's.</summary>
    public PresenceTracker(WorkbenchEventBus events)
    {
        _events = events;
    }

    /// <summary>
    /// Several web nodes (<c>Workbench:Redis</c> set): the names online are the union over the nodes' entries in Redis.
    /// The container takes this constructor exactly when the host registered a <see cref="RedisPresenceStore"/>
    /// (<c>AddWorkbenchScaleOut</c>); it picks the constructor with the most parameters it can supply.
    /// </summary>
    public PresenceTracker(WorkbenchEventBus events, RedisPresenceStore shared)
    {
        _events = events;
        _shared = shared;
        // Another node's change arrives as its PresenceChanged (already the union over all nodes).
        events.Subscribe((e, origin) => { if (e is PresenceChanged p && origin != EventOrigin.Local) _cluster = p.OnlineUserNames; });
    }

    /// <summary>Names online now (across every node when presence is shared).</summary>
    public IReadOnlyList<string> Online => _shared is null ? Local : _cluster;

    /// <summary>Names with a connection to this node.</summary>
    public IReadOnlyList<string> Local
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
        if (changed) Changed();
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
        if (changed) Changed();
    }

    private void Changed()
    {
        if (_shared is null) _events.Publish(new PresenceChanged(Local));
        else _ = SyncAsync(force: true);
    }

    /// <summary>
    /// Writes this node's names to Redis, reads the union over live nodes and publishes it when it changed (or
    /// always when <paramref name="force"/>). Called on every local change and periodically (nodes that died drop out).
    /// </summary>
    public async Task SyncAsync(bool force = false)
    {
        if (_shared is null) return;
        await _sync.WaitAsync();
        try
        {
            await _shared.WriteLocalAsync(Local);
            var union = await _shared.ReadAllAsync();
            var changed = !union.SequenceEqual(_cluster, StringComparer.Ordinal);
            _cluster = union;
            if (changed || force) _events.Publish(new PresenceChanged(union));
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            _shared.Logger.LogWarning(e, "could not share presence through Redis");
        }
        finally
        {
            _sync.Release();
        }
    }
}
