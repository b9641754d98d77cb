using System.Globalization;

namespace SaeWorkbench.Research.Jobs;

/// <summary>
/// The upper bounds of the work one job may ask for (<c>Workbench:Jobs:Limits</c>), checked before a job is queued:
/// the parameter blob is stored with the job and sent to everyone who lists jobs, and a runner that starts a job it
/// cannot finish (a terabyte buffer, a quadrillion tokens) is lost to everyone else. Each limit is read here only.
/// </summary>
public sealed class JobLimits
{
    /// <summary>The work of one job is shown as time at this rate (1 TFLOP/s) so people can picture it.</summary>
    public const double ReferenceFlopPerSecond = 1e12;

    /// <summary>Largest parameter object a job may store, in UTF-8 bytes (64 KiB; real parameters are well under 1 KiB).</summary>
    public int MaxParametersBytes { get; set; } = 64 * 1024;

    /// <summary>Peak memory one job may be estimated to need, in GiB; 0 means three quarters of this machine's memory.</summary>
    public double MaxMemoryGiB { get; set; }

    /// <summary>Arithmetic one job may be estimated to need (1e18 FLOP: about 12 days at 1 TFLOP/s, hours on a data-centre GPU).</summary>
    public double MaxFlop { get; set; } = 1e18;

    /// <summary>Most tokens a training job may train on.</summary>
    public long MaxTrainingTokens { get; set; } = 10_000_000_000;

    /// <summary>Most tokens an analysis job may read (Neuronpedia's dashboards use about 3.1 million).</summary>
    public long MaxAnalysisTokens { get; set; } = 10_000_000_000;

    /// <summary>Most held-out tokens a training job evaluates on.</summary>
    public long MaxEvalTokens { get; set; } = 100_000_000;

    /// <summary>Longest token window a job may ask for (no supported model has a longer context).</summary>
    public int MaxContextSize { get; set; } = 1 << 16;

    /// <summary>The memory limit in bytes (<see cref="MaxMemoryGiB"/>, or ¾ of what this process may use).</summary>
    public double MaxMemoryBytes => MaxMemoryGiB > 0
        ? MaxMemoryGiB * (1L << 30)
        : 0.75 * GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>The refusal when <paramref name="bytes"/> is over the memory limit, else null.</summary>
    public string? CheckMemory(string field, string what, double bytes) =>
        bytes > MaxMemoryBytes
            ? $"{field}: {what} needs ~{Bytes(bytes)} of memory, more than the limit of {Bytes(MaxMemoryBytes)} (Workbench:Jobs:Limits:MaxMemoryGiB)"
            : null;

    /// <summary>The refusal when <paramref name="flop"/> is over the work limit, else null.</summary>
    public string? CheckFlop(string field, string what, double flop) =>
        flop > MaxFlop
            ? $"{field}: {what} needs ~{flop.ToString("0.0e0", CultureInfo.InvariantCulture)} FLOP (about {Duration(flop / ReferenceFlopPerSecond)} at 1 TFLOP/s), " +
              $"more than the limit of {MaxFlop.ToString("0.0e0", CultureInfo.InvariantCulture)} FLOP (Workbench:Jobs:Limits:MaxFlop)"
            : null;

    /// <summary>
    /// A GPT-2-style model's fp32 weights in bytes and the FLOP of one forward pass per token (2 per weight of its
    /// blocks: 12·d² + 13·d each; embeddings are look-ups), for the estimates of training and analysis.
    /// </summary>
    public static (double WeightBytes, double FlopPerToken) ModelCost(Ml.Lm.ModelFolderInfo m)
    {
        // Every weight in fp32; 2 FLOP per weight and token, except the token embedding, which is a look-up.
        var matmulWeights = (double)m.Parameters - (double)m.VocabSize * m.DModel;
        return (4.0 * m.Parameters, 2 * Math.Max(matmulWeights, 0));
    }

    /// <summary>"1.0 TB", "512 MB": decimal units, one decimal.</summary>
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
        var u = 0;
        while (bytes >= 1000 && u < units.Length - 1)
        {
            bytes /= 1000;
            u++;
        }
        return $"{bytes.ToString("0.0", CultureInfo.InvariantCulture)} {units[u]}";
    }

    public static string Duration(double seconds) => seconds switch
    {
        < 120 => $"{seconds:0} seconds",
        < 7_200 => $"{seconds / 60:0} minutes",
        < 172_800 => $"{seconds / 3_600:0} hours",
        < 3 * 31_557_600.0 => $"{seconds / 86_400:0} days",
        _ => $"{(seconds / 31_557_600).ToString("N0", CultureInfo.InvariantCulture)} years",
    };

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
