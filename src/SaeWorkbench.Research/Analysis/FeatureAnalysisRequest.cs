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

    public IReadOnlyList<string> Validate(Func<string, string> resolve)
    {
        var errors = new List<string>();
        if (DictionaryId < 1) errors.Add("dictionaryId: a registered dictionary id is required");
        if (string.IsNullOrWhiteSpace(Corpus)) errors.Add("corpus: a corpus folder is required");
        else if (!Directory.Exists(resolve(Corpus))) errors.Add($"corpus: folder '{resolve(Corpus)}' does not exist");
        if (Tokens is < 1 or > 10_000_000_000) errors.Add("tokens: must be from 1 to 10,000,000,000");
        if (ContextSize is < 0 or 1) errors.Add("contextSize: must be 0 (default) or at least 2");
        if (WindowsPerBatch is < 1 or > 4096) errors.Add("windowsPerBatch: must be from 1 to 4,096");
        return errors;
    }
}
