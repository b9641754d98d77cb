using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// "who else is viewing": which users have a latent's page open. A page (a Blazor component
/// instance) or a hub client joins with its own connection key and leaves when it closes; a user with two tabs
/// counts once. Publishes <see cref="LatentViewersChanged"/> when a latent's set of names changes.
/// </summary>
public sealed class LatentPresence(WorkbenchEventBus events)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Dictionary<string, string>> _viewers = []; // latent → connection → user name

    /// <summary>The names viewing <paramref name="latentId"/>, sorted.</summary>
    public IReadOnlyList<string> Viewers(long latentId)
    {
        lock (_gate) return NamesOf(latentId);
    }

    public void Join(long latentId, string userName, string connection)
    {
        IReadOnlyList<string>? changed = null;
        lock (_gate)
        {
            if (!_viewers.TryGetValue(latentId, out var set)) _viewers[latentId] = set = new(StringComparer.Ordinal);
            var before = NamesOf(latentId);
            set[connection] = userName;
            var after = NamesOf(latentId);
            if (!before.SequenceEqual(after)) changed = after;
        }
        if (changed is not null) events.Publish(new LatentViewersChanged(latentId, changed));
    }

    public void Leave(long latentId, string connection)
    {
        IReadOnlyList<string>? changed = null;
        lock (_gate)
        {
            if (!_viewers.TryGetValue(latentId, out var set)) return;
            var before = NamesOf(latentId);
            if (!set.Remove(connection)) return;
            if (set.Count == 0) _viewers.Remove(latentId);
            var after = NamesOf(latentId);
            if (!before.SequenceEqual(after)) changed = after;
        }
        if (changed is not null) events.Publish(new LatentViewersChanged(latentId, changed));
    }

    /// <summary>A connection closed: it leaves every latent it viewed.</summary>
    public void LeaveAll(string connection)
    {
        List<long> latents;
        lock (_gate) latents = _viewers.Where(kv => kv.Value.ContainsKey(connection)).Select(kv => kv.Key).ToList();
        foreach (var latentId in latents) Leave(latentId, connection);
    }

    private List<string> NamesOf(long latentId) =>
        _viewers.TryGetValue(latentId, out var set)
            ? set.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.OrdinalIgnoreCase).ToList()
            : [];
}
