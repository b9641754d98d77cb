namespace SaeWorkbench.Research.Settings;

/// <summary>Settings under <c>Workbench</c> in appsettings.json (environment: <c>Workbench__DataDirectory</c> etc.).</summary>
public sealed class WorkbenchSettings
{
    /// <summary>Where the database and artefacts live; relative paths are under the content root.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Where job artefacts (checkpoints, trained dictionaries, caches, bundles) go; every web node and worker must see
    /// the same folder (a network share across machines). Empty means the data directory.
    /// </summary>
    public string? SharedDirectory { get; set; }

    /// <summary>
    /// StackExchange.Redis configuration (e.g. <c>127.0.0.1:6379</c>). When set, live events, presence and the SignalR
    /// backplane go through Redis so several web nodes and workers see each other's events.
    /// </summary>
    public string? Redis { get; set; }

    public JobSettings Jobs { get; set; } = new();

    /// <summary>Seed and run the demo pipeline at first start.</summary>
    public bool SeedDemo { get; set; } = true;

    /// <summary>The demo model folder (Hugging Face layout); relative paths are under the content root.</summary>
    public string DemoModel { get; set; } = "models/demo-gpt2";

    /// <summary>
    /// Folders under which every path a user of the server names (job parameters: model, corpus; SAE and model imports)
    /// must lie after its links are followed (relative paths are under the content root). Empty means the content root
    /// and the data directory. See <see cref="ServerPathPolicy"/>.
    /// </summary>
    public List<string> ImportRoots { get; set; } = [];
    /// <summary>Limits of steering comparisons.</summary>
    public Steering.SteeringLimits Steering { get; set; } = new();

    /// <summary>
    /// Origins (<c>scheme://host[:port]</c>) besides the request's own whose pages may send cookie-authenticated writes and
    /// open the hubs, e.g. the public address when a reverse proxy rewrites the Host header. Empty means only the
    /// request's own origin.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>Per-user limits for each kind of work, and the log-in throttle (docs/architecture.md §9).</summary>
    public Limits.RateLimits RateLimits { get; set; } = new();
}

public sealed class JobSettings
{
    /// <summary>Run queued jobs in this process (turn off on web nodes when workers train).</summary>
    public bool RunnerEnabled { get; set; } = true;

    /// <summary>Jobs that may run at once in this process.</summary>
    public int MaxConcurrent { get; set; } = 2;

    /// <summary>How often the runner looks for queued jobs when nothing signals it.</summary>
    public double PollSeconds { get; set; } = 2;

    /// <summary>This runner's name in the job rows; unique per runner. Empty means "{machine}/{web|worker}".</summary>
    public string? WorkerName { get; set; }

    /// <summary>What this runner offers (<c>cpu</c>, <c>cuda</c>); empty means detected (cpu, plus cuda with a GPU).</summary>
    public string[]? Capabilities { get; set; }

    /// <summary>How often a runner refreshes the heartbeat of the jobs it runs.</summary>
    public double HeartbeatSeconds { get; set; } = 5;

    /// <summary>A running job whose heartbeat is older than this is released to another runner (its worker died).</summary>
    public double HeartbeatTimeoutSeconds { get; set; } = 30;

    /// <summary>A job released this many times fails instead of being queued again.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Upper bounds of the work one job may ask for, checked before it is queued.</summary>
    public Jobs.JobLimits Limits { get; set; } = new();
}
