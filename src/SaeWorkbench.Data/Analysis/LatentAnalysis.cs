namespace SaeWorkbench.Data.Analysis;

/// <summary>
/// One feature-dashboard analysis of a dictionary (docs/science.md §6). Its dashboards and examples are written while
/// <see cref="IsCurrent"/> is false; finishing it flips the flag, copies the statistics to the latents and deletes
/// the previous analysis in one transaction, so readers see the old analysis or the new one, never a mix.
/// </summary>
public class LatentAnalysis
{
    public long Id { get; set; }
    public long DictionaryId { get; set; }

    /// <summary>The job that ran it, if any.</summary>
    public long? JobId { get; set; }

    /// <summary>Non-BOS, non-padding tokens the statistics are over.</summary>
    public long TokensAnalysed { get; set; }

    /// <summary>Corpus folder the windows came from.</summary>
    public string? CorpusPath { get; set; }

    /// <summary>Dashboard options and the logit-effect convention, as JSON.</summary>
    public string SettingsJson { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The analysis feature pages read; at most one per dictionary.</summary>
    public bool IsCurrent { get; set; }
}
