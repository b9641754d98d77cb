using SaeWorkbench.Research.ScaleOut;
using StackExchange.Redis;

namespace SaeWorkbench.Web.Live;

/// <summary>
/// Presence across web nodes: each node keeps the set of its online user names under its own key, which expires
/// unless the node refreshes it; the names online are the union over the nodes whose keys are alive.
/// </summary>
public sealed class RedisPresenceStore(IConnectionMultiplexer redis, WorkbenchNode node, ILogger<RedisPresenceStore> logger)
{
    private const string NodesKey = "saeworkbench:presence:nodes";
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);

    internal ILogger Logger => logger;

    private static RedisKey NodeKey(string id) => "saeworkbench:presence:node:" + id;

    public async Task WriteLocalAsync(IReadOnlyList<string> names)
    {
        var db = redis.GetDatabase();
        var tx = db.CreateTransaction();
        var key = NodeKey(node.Id);
        _ = tx.KeyDeleteAsync(key);
        if (names.Count > 0) _ = tx.SetAddAsync(key, names.Select(n => (RedisValue)n).ToArray());
        // A node with nobody online still marks itself alive (the empty string is never a user name).
        else _ = tx.SetAddAsync(key, RedisValue.EmptyString);
        _ = tx.KeyExpireAsync(key, Lifetime);
        _ = tx.SetAddAsync(NodesKey, node.Id);
        await tx.ExecuteAsync();
    }

    public async Task<IReadOnlyList<string>> ReadAllAsync()
    {
        var db = redis.GetDatabase();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in await db.SetMembersAsync(NodesKey))
        {
            var members = await db.SetMembersAsync(NodeKey(id.ToString()));
            if (members.Length == 0) { await db.SetRemoveAsync(NodesKey, id); continue; } // the node's key expired: it died
            foreach (var m in members) if (!m.IsNullOrEmpty) names.Add(m.ToString());
        }
        return names.Order(StringComparer.OrdinalIgnoreCase).ToList();
    }

    public Task RemoveLocalAsync() => Task.WhenAll(redis.GetDatabase().KeyDeleteAsync(NodeKey(node.Id)), redis.GetDatabase().SetRemoveAsync(NodesKey, node.Id));
}

/// <summary>Refreshes this node's presence key and notices nodes that went away.</summary>
public sealed class PresenceRefresher(PresenceTracker tracker, RedisPresenceStore store) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await tracker.SyncAsync();
            await Task.Delay(RedisPresenceStore.RefreshInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        try { await store.RemoveLocalAsync(); } catch (RedisException) { }
    }
}
