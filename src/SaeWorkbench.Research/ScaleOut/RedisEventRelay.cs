using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Research.Events;
using StackExchange.Redis;

namespace SaeWorkbench.Research.ScaleOut;

/// <summary>
/// Makes the <see cref="WorkbenchEventBus"/> distributed: every event published in this process goes to one Redis
/// channel with this node's id; every node raises the events of the other nodes locally, once. Pages on node B thus
/// see votes, labels and job progress raised on node A or on a worker.
/// </summary>
public sealed class RedisEventRelay(IConnectionMultiplexer redis, WorkbenchEventBus bus, WorkbenchNode node, ILogger<RedisEventRelay> logger)
    : IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("saeworkbench:events");
    private static readonly ConcurrentDictionary<string, Type?> Types = new(StringComparer.Ordinal);
    private IDisposable? _relay;
    private ChannelMessageQueue? _queue;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var subscriber = redis.GetSubscriber();
        _queue = await subscriber.SubscribeAsync(Channel);
        // Sequential: events from one node are raised in the order they were published.
        _queue.OnMessage(message => Receive(message.Message));
        _relay = bus.AttachRelay(Send);
        logger.LogInformation("Live events are shared through Redis as node {Node}", node.Id);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _relay?.Dispose();
        if (_queue is not null) await _queue.UnsubscribeAsync();
    }

    private void Send(WorkbenchEvent e)
    {
        var type = e.GetType();
        var envelope = new Envelope(node.Id, node.HostsHub, $"{type.FullName}, {type.Assembly.GetName().Name}",
            JsonSerializer.SerializeToElement(e, type));
        redis.GetSubscriber().Publish(Channel, JsonSerializer.Serialize(envelope), CommandFlags.FireAndForget);
    }

    private void Receive(RedisValue value)
    {
        try
        {
            var envelope = JsonSerializer.Deserialize<Envelope>(value.ToString());
            if (envelope is null || envelope.Node == node.Id) return; // raised here already
            var type = Types.GetOrAdd(envelope.Type, Resolve);
            if (type is null)
            {
                logger.LogWarning("ignoring relayed event of unknown type {Type}", envelope.Type);
                return;
            }
            if (envelope.Event.Deserialize(type) is WorkbenchEvent e)
                bus.DeliverFromOtherNode(e, envelope.HostsHub ? EventOrigin.OtherWebNode : EventOrigin.Worker);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException)
        {
            logger.LogWarning(ex, "ignoring a relayed event that could not be read");
        }
    }

    /// <summary>Only event types (subclasses of <see cref="WorkbenchEvent"/>) are ever instantiated from the channel.</summary>
    private static Type? Resolve(string name)
    {
        var type = Type.GetType(name, throwOnError: false);
        return type is not null && typeof(WorkbenchEvent).IsAssignableFrom(type) && !type.IsAbstract ? type : null;
    }

    private sealed record Envelope(string Node, bool HostsHub, string Type, JsonElement Event);
}
