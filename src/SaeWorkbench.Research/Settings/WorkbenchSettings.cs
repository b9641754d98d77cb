namespace SaeWorkbench.Research.Settings;

/// <summary>Settings under <c>Workbench</c> in appsettings.json (environment: <c>Workbench__DataDirectory</c> etc.).</summary>
public sealed class WorkbenchSettings
{
    /// <summary>Where the database and artefacts live; relative paths are under the content root.</summary>
    public string DataDirectory { get; set; } = "data";

    public JobSettings Jobs { get; set; } = new();

    /// <summary>Seed and run the demo pipeline at first start.</summary>
    public bool SeedDemo { get; set; } = true;

    /// <summary>The demo model folder (Hugging Face layout); relative paths are under the content root.</summary>
    public string DemoModel { get; set; } = "models/demo-gpt2";

    /// <summary>Limits of steering comparisons (issue 9 §6).</summary>
    public Steering.SteeringLimits Steering { get; set; } = new();
}

public sealed class JobSettings
{
    /// <summary>Run queued jobs in this process (turn off on web nodes when workers train).</summary>
    public bool RunnerEnabled { get; set; } = true;

    /// <summary>Jobs that may run at once in this process.</summary>
    public int MaxConcurrent { get; set; } = 2;

    /// <summary>How often the runner looks for queued jobs when nothing signals it.</summary>
    public double PollSeconds { get; set; } = 2;
}
