using System.Text.Json;

namespace SaeWorkbench.Research.Jobs;

/// <summary>What a running job can see and do: its parameters, a place for artefacts, progress, metrics, cancel.</summary>
public sealed class JobContext(
    long jobId,
    int attempt,
    JsonElement parameters,
    string artifactsDirectory,
    IServiceProvider services,
    Action<double, string?> reportProgress,
    Action<long, IReadOnlyDictionary<string, double>> reportMetrics,
    CancellationToken cancellation)
{
    public long JobId { get; } = jobId;

    /// <summary>1 on the first start; higher when the job resumes after a restart.</summary>
    public int Attempt { get; } = attempt;

    public JsonElement Parameters { get; } = parameters;

    /// <summary>A directory owned by this job (checkpoints, outputs); it survives restarts.</summary>
    public string ArtifactsDirectory { get; } = artifactsDirectory;

    public IServiceProvider Services { get; } = services;

    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Progress 0–1 with an optional status line. Cheap to call often: the runner throttles writes.</summary>
    public void Report(double progress, string? message = null) => reportProgress(Math.Clamp(progress, 0, 1), message);

    /// <summary>Logs a metrics point (for the live monitor and the stored curves).</summary>
    public void ReportMetrics(long step, IReadOnlyDictionary<string, double> values) => reportMetrics(step, values);
}
