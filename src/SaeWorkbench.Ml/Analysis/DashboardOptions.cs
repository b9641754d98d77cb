namespace SaeWorkbench.Ml.Analysis;

/// <summary>What a feature dashboard keeps per latent (docs/science.md §6; defaults are Neuronpedia's).</summary>
public sealed record DashboardOptions
{
    /// <summary>Top activating contexts kept per latent.</summary>
    public int TopExamples { get; init; } = 20;

    /// <summary>Equal-width bins of the activation histogram over (0, max].</summary>
    public int HistogramBins { get; init; } = 50;

    /// <summary>Equal-width interval bins over (0, max] for the random samples (docs/science.md §6: 5–10).</summary>
    public int IntervalBins { get; init; } = 10;

    /// <summary>Random examples kept per interval bin (reservoir sampling).</summary>
    public int ExamplesPerInterval { get; init; } = 5;

    /// <summary>Tokens kept before the peak of an example (fewer at the start of a document or window).</summary>
    public int TokensBefore { get; init; } = 32;

    /// <summary>Tokens kept after the peak of an example (fewer at the end of a document or window).</summary>
    public int TokensAfter { get; init; } = 8;

    /// <summary>Seed of the reservoir sampler; the same corpus and seed give the same samples.</summary>
    public int Seed { get; init; }

    public void Validate()
    {
        if (TopExamples < 1) throw new ArgumentException($"top examples must be at least 1, got {TopExamples}");
        if (HistogramBins < 1) throw new ArgumentException($"histogram bins must be at least 1, got {HistogramBins}");
        if (IntervalBins is < 5 or > 10) throw new ArgumentException($"interval bins must be 5–10 (docs/science.md §6), got {IntervalBins}");
        if (ExamplesPerInterval < 1) throw new ArgumentException($"examples per interval must be at least 1, got {ExamplesPerInterval}");
        if (TokensBefore < 0 || TokensAfter < 0) throw new ArgumentException("context sizes cannot be negative");
    }
}
