using SaeWorkbench.Ml.Sae;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>What a researcher asks for when training a dictionary (the job's parameters and the CLI's options).</summary>
public sealed record SaeTrainingRequest
{
    /// <summary>Hugging Face GPT-2 folder; relative paths are under the content root.</summary>
    public string Model { get; init; } = "";

    /// <summary>Hook name, e.g. "blocks.2.hook_resid_post".</summary>
    public string Hook { get; init; } = "";

    /// <summary>Folder of .txt/.jsonl files; relative paths are under the content root.</summary>
    public string Corpus { get; init; } = "";

    /// <summary>relu | topk | batchtopk | jumprelu.</summary>
    public string Arch { get; init; } = "topk";

    public int Latents { get; init; } = 4096;
    public int K { get; init; } = 32;
    public double L1 { get; init; } = 5.0;

    /// <summary>JumpReLU: λ of the L0 loss, in units of the scaled activations (E‖x‖ = √d).</summary>
    public double L0 { get; init; } = Defaults.L0Coefficient;

    /// <summary>JumpReLU: bandwidth ε of the straight-through estimator.</summary>
    public double Bandwidth { get; init; } = Defaults.JumpReluBandwidth;

    /// <summary>JumpReLU: initial threshold θ₀; 0 sets it from the data so the SAE starts at L0 ≈ k.</summary>
    public double InitialThreshold { get; init; } = Defaults.JumpReluInitialThreshold;

    public long Tokens { get; init; } = 2_000_000;
    public int BatchSize { get; init; } = 4096;
    public double LearningRate { get; init; } = 4e-4;
    public int BufferTokens { get; init; } = 1 << 16;

    /// <summary>Token window length; 0 means the model's context length.</summary>
    public int ContextSize { get; init; }

    /// <summary>Held-out tokens for the final evaluation.</summary>
    public long EvalTokens { get; init; } = 65_536;

    public int Seed { get; init; } = 42;

    /// <summary>When &gt; 0, an analysis job over this many corpus tokens is queued once the dictionary is registered.</summary>
    public long AnalyzeTokens { get; init; }

    /// <summary>Display name; empty means "{model}-{hook}-{arch}-{latents}".</summary>
    public string Name { get; init; } = "";

    private static readonly SaeTrainingConfig Defaults = new();

    public static readonly IReadOnlyDictionary<string, SaeArchitecture> Architectures = new Dictionary<string, SaeArchitecture>(StringComparer.OrdinalIgnoreCase)
    {
        ["relu"] = SaeArchitecture.Relu,
        ["topk"] = SaeArchitecture.TopK,
        ["batchtopk"] = SaeArchitecture.BatchTopK,
        ["jumprelu"] = SaeArchitecture.JumpRelu,
    };

    /// <summary>Checks what can be checked without loading the model; each error names the field.</summary>
    public IReadOnlyList<string> Validate(Func<string, string> resolve)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Model)) errors.Add("model: a model folder is required");
        else if (!File.Exists(Path.Combine(resolve(Model), "config.json"))) errors.Add($"model: no config.json in '{resolve(Model)}'");
        if (string.IsNullOrWhiteSpace(Corpus)) errors.Add("corpus: a corpus folder is required");
        else if (!Directory.Exists(resolve(Corpus))) errors.Add($"corpus: folder '{resolve(Corpus)}' does not exist");
        if (string.IsNullOrWhiteSpace(Hook)) errors.Add("hook: a hook name is required, e.g. blocks.2.hook_resid_post");
        if (!Architectures.ContainsKey(Arch)) errors.Add($"arch: '{Arch}' is not one of relu, topk, batchtopk, jumprelu");
        if (Latents is < 2 or > 1 << 20) errors.Add("latents: must be from 2 to 1,048,576");
        if ((Arch is "topk" or "batchtopk" || (Arch == "jumprelu" && InitialThreshold == 0)) && (K < 1 || K >= Latents))
            errors.Add($"k: must be from 1 to latents − 1 ({Latents - 1})");
        if (!double.IsFinite(L1) || L1 < 0) errors.Add("l1: must be a finite number ≥ 0");
        if (!double.IsFinite(L0) || L0 < 0) errors.Add("l0: must be a finite number ≥ 0");
        if (!double.IsFinite(Bandwidth) || Bandwidth <= 0) errors.Add("bandwidth: must be a finite number > 0");
        if (!double.IsFinite(InitialThreshold) || InitialThreshold < 0) errors.Add("initialThreshold: must be a finite number ≥ 0 (0: from k)");
        if (BatchSize is < 1 or > 1 << 20) errors.Add("batchSize: must be from 1 to 1,048,576");
        if (Tokens < BatchSize) errors.Add($"tokens: must be at least one batch ({BatchSize})");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0 || LearningRate > 1) errors.Add("learningRate: must be in (0, 1]");
        if (BufferTokens < 2) errors.Add("bufferTokens: must be at least 2");
        if (ContextSize < 0) errors.Add("contextSize: must be ≥ 0");
        if (EvalTokens < 1) errors.Add("evalTokens: must be ≥ 1");
        if (AnalyzeTokens < 0) errors.Add("analyzeTokens: must be ≥ 0");
        return errors;
    }

    public SaeTrainingConfig ToConfig() => new()
    {
        Architecture = Architectures[Arch],
        Latents = Latents,
        K = K,
        L1Coefficient = L1,
        L0Coefficient = L0,
        JumpReluBandwidth = Bandwidth,
        JumpReluInitialThreshold = InitialThreshold,
        TrainingTokens = Tokens,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        Seed = Seed,
        LogEvery = Math.Max(1, (int)Math.Min(100, Tokens / BatchSize / 50)),
        CheckpointEvery = Math.Max(10, (int)(Tokens / BatchSize / 10)),
        ScalingBatches = (int)Math.Clamp(Tokens / BatchSize / 10, 1, 1000),
        GeometricMedianSamples = (int)Math.Min(32_768, Math.Max(BatchSize, Tokens / 10)),
    };
}
