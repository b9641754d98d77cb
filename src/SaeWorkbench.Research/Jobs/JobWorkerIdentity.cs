using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Jobs;

/// <summary>Who a job runner is (its name in the job rows) and which capabilities it declares.</summary>
public sealed class JobWorkerIdentity
{
    /// <summary>Capabilities a job may require and a runner may declare.</summary>
    public static readonly IReadOnlyList<string> KnownCapabilities = ["cpu", "cuda"];

    public JobWorkerIdentity(string name, IEnumerable<string> capabilities)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a job runner needs a name", nameof(name));
        if (name.Length > 128) throw new ArgumentException($"runner name '{name}' is longer than 128 characters", nameof(name));
        var list = capabilities.Select(c => c.Trim().ToLowerInvariant()).Where(c => c.Length > 0).Distinct().ToList();
        if (list.Count == 0) throw new ArgumentException("a job runner must declare at least one capability (cpu, cuda)", nameof(capabilities));
        var unknown = list.Where(c => !KnownCapabilities.Contains(c)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown capabilit{(unknown.Count == 1 ? "y" : "ies")} {string.Join(", ", unknown)}; use {string.Join(", ", KnownCapabilities)}", nameof(capabilities));
        Name = name;
        Capabilities = list;
    }

    public string Name { get; }

    public IReadOnlyList<string> Capabilities { get; }

    /// <summary>From <c>Workbench:Jobs</c>: the configured name and capabilities, else "{machine}/{role}" and detected ones.</summary>
    public static JobWorkerIdentity FromSettings(JobSettings jobs, string role, string? name = null, IEnumerable<string>? capabilities = null) =>
        new(name ?? (string.IsNullOrWhiteSpace(jobs.WorkerName) ? $"{Environment.MachineName}/{role}" : jobs.WorkerName),
            capabilities ?? (jobs.Capabilities is { Length: > 0 } c ? c : DetectCapabilities()));

    /// <summary>cpu, plus cuda when TorchSharp sees a GPU.</summary>
    public static IReadOnlyList<string> DetectCapabilities() =>
        TorchRuntime.Probe().Info?.Devices.Any(d => d.StartsWith("cuda", StringComparison.Ordinal)) == true ? ["cpu", "cuda"] : ["cpu"];
}
