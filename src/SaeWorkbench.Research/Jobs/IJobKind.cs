using System.Text.Json;

namespace SaeWorkbench.Research.Jobs;

/// <summary>
/// A kind of job the runner can execute. Register implementations with <c>AddJobKind&lt;T&gt;()</c>.
/// <see cref="Run"/> executes on a dedicated thread (TorchSharp dispose scopes are per thread), so it is synchronous.
/// </summary>
public interface IJobKind
{
    /// <summary>Stable name stored in the job row, e.g. "self-check".</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Checks parameters before a job is created; errors name the field.</summary>
    IReadOnlyList<string> Validate(JsonElement parameters);

    /// <summary>
    /// The capability a runner needs for these parameters (e.g. <c>cuda</c> when they ask for a GPU), or null for any
    /// runner. A capability given when the job is queued overrides it.
    /// </summary>
    string? RequiredCapability(JsonElement parameters) => null;

    /// <summary>Does the work; returns a result object serialised as the job's ResultJson, or null.</summary>
    object? Run(JobContext context);
}
