namespace SaeWorkbench.Data.Jobs;

/// <summary>One logged point of a job's metrics (loss, L0, FVU, dead fraction …) for the live monitor and curves.</summary>
public class JobMetric
{
    public long Id { get; set; }
    public long JobId { get; set; }
    public long Step { get; set; }
    public DateTimeOffset At { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>Name → value as a JSON object, e.g. {"loss":0.12,"l0":31.8}.</summary>
    public string ValuesJson { get; set; } = "{}";
}
