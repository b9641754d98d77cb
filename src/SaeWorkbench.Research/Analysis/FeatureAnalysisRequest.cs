namespace SaeWorkbench.Research.Analysis;

/// <summary>The parameters of an "sae-analyze" job (and the CLI's options).</summary>
public sealed record FeatureAnalysisRequest
{
    /// <summary>Registered dictionary to analyse; its SAE folder and model folder are used.</summary>
    public long DictionaryId { get; init; }

    /// <summary>Folder of .txt/.jsonl files; relative paths are under the content root.</summary>
    public string Corpus { get; init; } = "";

    /// <summary>Tokens to analyse (BOS included; Neuronpedia uses 24,576 × 128 ≈ 3.1M).</summary>
    public long Tokens { get; init; } = 1_000_000;

    /// <summary>Token window length; 0 means the SAE's context size, else the model's context.</summary>
    public int ContextSize { get; init; }

    /// <summary>Windows per forward pass.</summary>
    public int WindowsPerBatch { get; init; } = 16;

    /// <summary>Seed of the interval samples.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Each error names the field. The corpus goes through <paramref name="folders"/> (the server's
    /// <see cref="Settings.ServerPathPolicy"/>, or the operator's paths on the command line); with the dictionary's
    /// <paramref name="shape"/> the memory and work are estimated against <paramref name="limits"/>.
    /// </summary>
    public IReadOnlyList<string> Validate(Settings.IPathResolver folders, Jobs.JobLimits limits, AnalysisShape? shape = null)
    {
        var errors = new List<string>();
        if (DictionaryId < 1) errors.Add("dictionaryId: a registered dictionary id is required");
        if (string.IsNullOrWhiteSpace(Corpus)) errors.Add("corpus: a corpus folder is required");
        else if (folders.Folder(Corpus).Error is { } badCorpus) errors.Add($"corpus: {badCorpus}");
        if (Tokens < 1 || Tokens > limits.MaxAnalysisTokens)
            errors.Add($"tokens: must be from 1 to {Jobs.JobLimits.Count(limits.MaxAnalysisTokens)} (Workbench:Jobs:Limits:MaxAnalysisTokens)");
        if (ContextSize is < 0 or 1 || ContextSize > limits.MaxContextSize)
            errors.Add($"contextSize: must be 0 (default) or from 2 to {Jobs.JobLimits.Count(limits.MaxContextSize)}");
        if (WindowsPerBatch is < 1 or > 4096) errors.Add("windowsPerBatch: must be from 1 to 4,096");
        if (shape is not null && Tokens >= 1 && WindowsPerBatch is >= 1 and <= 4096 && ContextSize >= 0)
        {
            // A batch holds windowsPerBatch × context tokens of d_sae latent activations, with a working copy; the
            // decoder neighbours and logit effects hold d_sae × d_sae and d_sae × vocabulary floats at most once each.
            double context = ContextSize > 0 ? Math.Min(ContextSize, shape.ModelContext) : shape.ModelContext;
            var memory = shape.ModelBytes + 2.0 * WindowsPerBatch * context * shape.DSae * 4 + 2.0 * shape.DSae * shape.DIn * 4;
            if (limits.CheckMemory("windowsPerBatch", $"{WindowsPerBatch} windows of {context:0} tokens × {Jobs.JobLimits.Count(shape.DSae)} latents", memory) is { } tooBig)
                errors.Add(tooBig);
            // Two passes over the corpus: the model up to the hook and the encoder (2·d_in·d_sae) per token, each time.
            var flop = 2.0 * Tokens * (shape.ModelFlopPerToken + 2.0 * shape.DIn * shape.DSae);
            if (limits.CheckFlop("tokens", $"analysing {Jobs.JobLimits.Count(Tokens)} tokens with {Jobs.JobLimits.Count(shape.DSae)} latents", flop) is { } tooLong)
                errors.Add(tooLong);
        }
        return errors;
    }
}

/// <summary>The sizes of a dictionary and its model that an analysis's cost depends on.</summary>
/// <param name="ModelBytes">The model's fp32 weights.</param>
/// <param name="ModelFlopPerToken">A forward pass of the model, per token (2 FLOP per weight of its blocks).</param>
public sealed record AnalysisShape(int DIn, int DSae, int ModelContext, double ModelBytes, double ModelFlopPerToken);
