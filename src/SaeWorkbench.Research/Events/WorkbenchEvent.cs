using SaeWorkbench.Data.Jobs;

namespace SaeWorkbench.Research.Events;

/// <summary>A cross-user event: sent to every open page through the in-process bus and to hub clients.</summary>
public abstract record WorkbenchEvent
{
    /// <summary>Name hub clients receive it under.</summary>
    public abstract string Name { get; }
}

/// <summary>A job's row changed (state, progress or message).</summary>
public sealed record JobUpdated(JobSnapshot Job) : WorkbenchEvent
{
    public override string Name => "jobUpdated";
}

/// <summary>A job logged a metrics point.</summary>
public sealed record JobMetricLogged(long JobId, long Step, IReadOnlyDictionary<string, double> Values) : WorkbenchEvent
{
    public override string Name => "jobMetric";
}

/// <summary>The set of online users changed.</summary>
public sealed record PresenceChanged(IReadOnlyList<string> OnlineUserNames) : WorkbenchEvent
{
    public override string Name => "presence";
}

/// <summary>A job as pages and hub clients see it.</summary>
public sealed record JobSnapshot(
    long Id, string Kind, JobState State, double Progress, string? Message, string? ResultJson,
    string? OwnerId, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int Attempts, string ParametersJson,
    string? RequiredCapability = null, string? WorkerId = null)
{
    public static JobSnapshot From(Job j) => new(j.Id, j.Kind, j.State, j.Progress, j.Message, j.ResultJson,
        j.OwnerId, j.CreatedAt, j.StartedAt, j.FinishedAt, j.Attempts, j.ParametersJson, j.RequiredCapability, j.WorkerId);

    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}
