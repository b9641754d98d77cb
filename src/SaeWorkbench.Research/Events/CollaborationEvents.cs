namespace SaeWorkbench.Research.Events;

/// <summary>A user read one (or all) of their notifications; their bells refresh the unread count.</summary>
public sealed record NotificationsRead(string UserId) : WorkbenchEvent
{
    public override string Name => "notificationsRead";
}

/// <summary>The people viewing a latent's page changed ("who else is viewing").</summary>
public sealed record LatentViewersChanged(long LatentId, IReadOnlyList<string> UserNames) : WorkbenchEvent
{
    public override string Name => "latentViewers";
}

/// <summary>An Admin changed the workspace taxonomy or consensus threshold.</summary>
public sealed record WorkspaceSettingsChanged(int ConsensusThreshold) : WorkbenchEvent
{
    public override string Name => "workspaceSettings";
}
