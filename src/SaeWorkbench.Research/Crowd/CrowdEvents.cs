using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Research.Crowd;

/// <summary>Someone claimed, skipped or labelled in a scope; progress pages refresh (ids only).</summary>
public sealed record QueueProgressChanged(long ScopeId, string UserId) : WorkbenchEvent
{
    public override string Name => "queueProgress";
}

/// <summary>A labelling scope was created.</summary>
public sealed record ScopeCreated(long ScopeId, long DictionaryId) : WorkbenchEvent
{
    public override string Name => "scopeCreated";
}

/// <summary>An interpretation got a new detection rating; its pooled score afterwards.</summary>
public sealed record DetectionScored(long LatentId, long InterpretationId, int Raters, double? BalancedAccuracy) : WorkbenchEvent
{
    public override string Name => "detectionScored";
}
