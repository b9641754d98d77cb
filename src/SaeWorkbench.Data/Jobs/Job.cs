namespace SaeWorkbench.Data.Jobs;

/// <summary>A job's lifecycle state. JSON writes the name ("Running"), never the number, so API clients do not depend on
/// declaration order; numbers are still read.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<JobState>))]
public enum JobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>
/// A unit of long work (training, analysis, export, self-check) persisted so that a restart loses nothing:
/// a job that was running when the process died is queued again at start and resumes from its checkpoint.
/// </summary>
public class Job
{
    public long Id { get; set; }

    /// <summary>Registered kind, e.g. "self-check", "sae-train".</summary>
    public required string Kind { get; set; }

    /// <summary>Parameters as JSON, validated by the kind before the row is created.</summary>
    public string ParametersJson { get; set; } = "{}";

    public JobState State { get; set; } = JobState.Queued;

    /// <summary>0–1.</summary>
    public double Progress { get; set; }

    /// <summary>The longest <see cref="Message"/> the database holds (its column width).</summary>
    public const int MaxMessageLength = 4000;

    /// <summary>Latest human-readable status line, or the error when failed; at most <see cref="MaxMessageLength"/> characters.</summary>
    public string? Message { get; set; }

    /// <summary><paramref name="message"/> cut to <see cref="MaxMessageLength"/> characters, so that any status line or error fits its column.</summary>
    public static string? FitMessage(string? message) => message is { Length: > MaxMessageLength } ? message[..MaxMessageLength] : message;

    /// <summary>JSON the kind returns when it succeeds (e.g. measured numbers).</summary>
    public string? ResultJson { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>How many times a runner has started it (restarts included).</summary>
    public int Attempts { get; set; }

    public string? OwnerId { get; set; }

    /// <summary>A capability the runner must declare to claim it (<c>cpu</c>, <c>cuda</c>); null means any runner.</summary>
    public string? RequiredCapability { get; set; }

    /// <summary>The runner (web node or worker) that holds it while it runs.</summary>
    public string? WorkerId { get; set; }

    /// <summary>Last sign of life from <see cref="WorkerId"/>; a running job whose heartbeat is too old is released.</summary>
    public DateTimeOffset? HeartbeatAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}
