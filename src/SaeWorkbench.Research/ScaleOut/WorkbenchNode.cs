namespace SaeWorkbench.Research.ScaleOut;

/// <summary>This process as one node of a deployment: a unique id, and whether it serves the hub (a web node).</summary>
public sealed class WorkbenchNode(bool hostsHub)
{
    public string Id { get; } = Guid.NewGuid().ToString("N");

    /// <summary>True on web nodes (hub clients connect here), false on workers.</summary>
    public bool HostsHub { get; } = hostsHub;

    /// <summary>The SignalR group holding this node's own hub connections.</summary>
    public string HubGroup => "node:" + Id;
}
