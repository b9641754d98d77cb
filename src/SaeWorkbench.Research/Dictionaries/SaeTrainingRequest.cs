using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>
/// What a researcher asks for when training a dictionary (the job's parameters and the CLI's options). Defaults come from
/// <see cref="SaeTrainingDefaults"/>, which the form and the command line read too.
/// </summary>
public sealed record SaeTrainingRequest
{
    /// <summary>Hugging Face GPT-2 folder; relative paths are under the content root.</summary>
    public string Model { get; init; } = "";

    /// <summary>Hook name, e.g. "blocks.2.hook_resid_post".</summary>
    public string Hook { get; init; } = "";

    /// <summary>Folder of .txt/.jsonl files; relative paths are under the content root.</summary>
    public string Corpus { get; init; } = "";

    /// <summary>
    /// relu | topk | batchtopk | jumprelu for an SAE; for a transcoder (docs/science.md §12) transcoder | skip-transcoder
    /// (ReLU, SAELens's names) or {relu, jumprelu, batchtopk}-transcoder | {relu, jumprelu, batchtopk}-skip-transcoder.
    /// </summary>
    public string Arch { get; init; } = SaeTrainingDefaults.ArchitectureName;

    /// <summary>A transcoder's output hook, after <see cref="Hook"/> (e.g. blocks.2.hook_mlp_out); empty for an SAE.</summary>
    public string HookOut { get; init; } = "";

    public int Latents { get; init; } = SaeTrainingDefaults.Latents;

    /// <summary>TopK: latents per token; BatchTopK: their mean; JumpReLU: the L0 it is steered to (<see cref="TargetK"/>).</summary>
    public int K { get; init; } = SaeTrainingDefaults.K;

    public double L1 { get; init; } = SaeTrainingDefaults.L1Coefficient;

    /// <summary>
    /// JumpReLU: λ of the L0 loss, in units of the scaled activations (E‖x‖ = √d). With <see cref="TargetK"/> the L0
    /// controller sets the thresholds' common level and λ how they differ between latents (docs/science.md §2.4).
    /// </summary>
    public double L0 { get; init; } = SaeTrainingDefaults.L0Coefficient;

    /// <summary>
    /// JumpReLU: steer the thresholds so that the L0 settles at k (a shared log-threshold offset, folded into the saved
    /// thresholds, docs/science.md §2.4); false leaves them to the STE with λ fixed.
    /// </summary>
    public bool TargetK { get; init; } = SaeTrainingDefaults.JumpReluTargetsK;

    /// <summary>JumpReLU: bandwidth ε of the straight-through estimator.</summary>
    public double Bandwidth { get; init; } = SaeTrainingDefaults.JumpReluBandwidth;

    /// <summary>JumpReLU: initial threshold θ₀; 0 sets it from the data so the SAE starts at L0 ≈ k.</summary>
    public double InitialThreshold { get; init; } = SaeTrainingDefaults.JumpReluInitialThreshold;

    public long Tokens { get; init; } = SaeTrainingDefaults.TrainingTokens;
    public int BatchSize { get; init; } = SaeTrainingDefaults.BatchSize;
    public double LearningRate { get; init; } = SaeTrainingDefaults.LearningRate;
    public int BufferTokens { get; init; } = SaeTrainingDefaults.BufferTokens;

    /// <summary>Token window length; 0 means the model's context length.</summary>
    public int ContextSize { get; init; }

    /// <summary>Held-out tokens for the final evaluation.</summary>
    public long EvalTokens { get; init; } = SaeTrainingDefaults.EvalTokens;

    public int Seed { get; init; } = SaeTrainingDefaults.Seed;

    /// <summary>When &gt; 0, an analysis job over this many corpus tokens is queued once the dictionary is registered.</summary>
    public long AnalyzeTokens { get; init; }

    /// <summary>Display name; empty means "{model}-{hook}-{arch}-{latents}".</summary>
    public string Name { get; init; } = "";

    public static readonly IReadOnlyDictionary<string, SaeArchitecture> Architectures = new Dictionary<string, SaeArchitecture>(StringComparer.OrdinalIgnoreCase)
    {
        ["relu"] = SaeArchitecture.Relu,
        ["topk"] = SaeArchitecture.TopK,
        ["batchtopk"] = SaeArchitecture.BatchTopK,
        ["jumprelu"] = SaeArchitecture.JumpRelu,
    };

    /// <summary>The transcoder spellings of <see cref="Arch"/>: name → (sparsity rule, transcoder or skip transcoder).</summary>
    public static readonly IReadOnlyDictionary<string, (SaeArchitecture Architecture, DictionaryKind Kind)> TranscoderArchitectures = BuildTranscoderArchitectures();

    private static Dictionary<string, (SaeArchitecture, DictionaryKind)> BuildTranscoderArchitectures()
    {
        var names = new Dictionary<string, (SaeArchitecture, DictionaryKind)>(StringComparer.OrdinalIgnoreCase)
        {
            ["transcoder"] = (SaeArchitecture.Relu, DictionaryKind.Transcoder),
            ["skip-transcoder"] = (SaeArchitecture.Relu, DictionaryKind.SkipTranscoder),
        };
        foreach (var (name, a) in new[] { ("relu", SaeArchitecture.Relu), ("jumprelu", SaeArchitecture.JumpRelu), ("batchtopk", SaeArchitecture.BatchTopK) })
        {
            names[$"{name}-transcoder"] = (a, DictionaryKind.Transcoder);
            names[$"{name}-skip-transcoder"] = (a, DictionaryKind.SkipTranscoder);
        }
        return names;
    }

    /// <summary>Every accepted spelling of <see cref="Arch"/> (SAELens's underscores are read as dashes).</summary>
    public static IEnumerable<string> ArchNames => Architectures.Keys.Concat(TranscoderArchitectures.Keys);

    private string ArchKey => Arch.Replace('_', '-');

    /// <summary>Whether <see cref="Arch"/> names a transcoder variant.</summary>
    public bool IsTranscoder => TranscoderArchitectures.ContainsKey(ArchKey) || ArchKey.EndsWith("transcoder", StringComparison.OrdinalIgnoreCase);

    /// <summary>The error for <see cref="Arch"/>, or null when it is a variant this workbench trains.</summary>
    private string? ArchError()
    {
        if (Architectures.ContainsKey(ArchKey) || TranscoderArchitectures.ContainsKey(ArchKey)) return null;
        if (ArchKey.StartsWith("topk-", StringComparison.OrdinalIgnoreCase) && IsTranscoder)
            return $"arch: '{Arch}' is not implemented: SAELens v6, the format every trained dictionary is saved in, has no TopK transcoder; " +
                   "use batchtopk-transcoder or batchtopk-skip-transcoder (saved as a JumpReLU transcoder)";
        return $"arch: '{Arch}' is not one of {string.Join(", ", ArchNames)}";
    }

    /// <summary>
    /// Checks what can be checked without loading the model's weights; each error names the field. Folders go through
    /// <paramref name="folders"/> (the server's <see cref="Settings.ServerPathPolicy"/>, or the operator's own paths on
    /// the command line); the model's config.json gives the widths for the memory and work estimates.
    /// </summary>
    public IReadOnlyList<string> Validate(Settings.IPathResolver folders, Jobs.JobLimits limits)
    {
        var errors = new List<string>();
        Ml.Lm.ModelFolderInfo? config = null;
        var model = string.IsNullOrWhiteSpace(Model) ? default : folders.Folder(Model);
        if (string.IsNullOrWhiteSpace(Model)) errors.Add("model: a model folder is required");
        else if (model.Error is { } badModel) errors.Add($"model: {badModel}");
        else
        {
            var file = Path.Combine(model.FullPath!, HuggingFaceModels.ConfigFile);
            if (!File.Exists(file)) errors.Add($"model: no {HuggingFaceModels.ConfigFile} in the model folder '{Model}'");
            else
            {
                try { config = HuggingFaceModels.Inspect(model.FullPath!); }
                catch (Exception e) when (e is LanguageModelFolderException or IOException or ArgumentException or InvalidDataException
                                              or System.Text.Json.JsonException or FormatException or InvalidOperationException)
                {
                    errors.Add($"model: {HuggingFaceModels.ConfigFile} cannot be read: {e.Message}");
                }
            }
        }
        if (string.IsNullOrWhiteSpace(Corpus)) errors.Add("corpus: a corpus folder is required");
        else if (folders.Folder(Corpus).Error is { } badCorpus) errors.Add($"corpus: {badCorpus}");
        if (string.IsNullOrWhiteSpace(Hook)) errors.Add("hook: a hook name is required, e.g. blocks.2.hook_resid_post");
        else if (config is not null && !config.HookNames.Contains(Hook))
            errors.Add($"hook: {HookPoints.UnknownHookMessage(Hook, config.HookNames)}");
        if (ArchError() is { } badArch) errors.Add(badArch);
        if (IsTranscoder && string.IsNullOrWhiteSpace(HookOut))
            errors.Add("hookOut: a transcoder needs the output hook it predicts, e.g. blocks.2.hook_mlp_out for blocks.2.ln2.hook_normalized");
        else if (!IsTranscoder && !string.IsNullOrWhiteSpace(HookOut))
            errors.Add($"hookOut: an SAE reconstructs the hook it reads; leave hookOut empty, or choose a transcoder arch to predict '{HookOut}'");
        else if (IsTranscoder && config is not null && config.HookNames.Contains(Hook))
        {
            try { Ml.Activations.TranscoderHooks.Check(config.HookNames, Hook, HookOut); }
            catch (ArgumentException e) { errors.Add($"hookOut: {e.Message}"); }
        }
        if (Latents is < 2 or > 1 << 20) errors.Add("latents: must be from 2 to 1,048,576");
        var sparsity = ArchError() is null ? ToConfig().Architecture : (SaeArchitecture?)null;
        if ((sparsity is SaeArchitecture.TopK or SaeArchitecture.BatchTopK || (sparsity == SaeArchitecture.JumpRelu && (InitialThreshold == 0 || TargetK))) && (K < 1 || K >= Latents))
            errors.Add($"k: must be from 1 to latents − 1 ({Latents - 1})");
        if (!double.IsFinite(L1) || L1 < 0) errors.Add("l1: must be a finite number ≥ 0");
        if (!double.IsFinite(L0) || L0 < 0) errors.Add("l0: must be a finite number ≥ 0");
        if (!double.IsFinite(Bandwidth) || Bandwidth <= 0) errors.Add("bandwidth: must be a finite number > 0");
        if (!double.IsFinite(InitialThreshold) || InitialThreshold < 0) errors.Add("initialThreshold: must be a finite number ≥ 0 (0: from k)");
        if (BatchSize is < 1 or > 1 << 20) errors.Add("batchSize: must be from 1 to 1,048,576");
        if (Tokens < BatchSize) errors.Add($"tokens: must be at least one batch ({BatchSize})");
        if (Tokens > limits.MaxTrainingTokens)
            errors.Add($"tokens: {Jobs.JobLimits.Count(Tokens)} is more than the limit of {Jobs.JobLimits.Count(limits.MaxTrainingTokens)} (Workbench:Jobs:Limits:MaxTrainingTokens)");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0 || LearningRate > 1) errors.Add("learningRate: must be in (0, 1]");
        if (BufferTokens < 2) errors.Add("bufferTokens: must be at least 2");
        if (ContextSize < 0 || ContextSize > limits.MaxContextSize) errors.Add($"contextSize: must be from 0 (the model's context) to {Jobs.JobLimits.Count(limits.MaxContextSize)}");
        if (EvalTokens < 1 || EvalTokens > limits.MaxEvalTokens) errors.Add($"evalTokens: must be from 1 to {Jobs.JobLimits.Count(limits.MaxEvalTokens)}");
        if (AnalyzeTokens < 0 || AnalyzeTokens > limits.MaxAnalysisTokens)
            errors.Add($"analyzeTokens: must be from 0 to {Jobs.JobLimits.Count(limits.MaxAnalysisTokens)}");
        // The estimates need a known hook and sizes in range; they run even when other fields are refused, so that a
        // request for a huge run hears every number at once.
        if (config is not null && config.HookNames.Contains(Hook) && (!IsTranscoder || config.HookNames.Contains(HookOut)) && Latents is >= 2 and <= 1 << 20
            && BatchSize is >= 1 and <= 1 << 20 && BufferTokens >= 2 && Tokens >= 0 && EvalTokens >= 0)
            errors.AddRange(Estimate(config, limits));
        return errors;
    }

    /// <summary>
    /// The memory and the arithmetic this run needs, against the limits .
    /// Memory: the model's fp32 weights, one copy of the shuffle buffer (bufferTokens × d_in floats), the SAE with its
    /// gradients and two Adam moments (4 × (2·d_in·latents + latents + d_in) floats), and a batch's pre-activations,
    /// activations and their gradients (4 × batchSize × latents floats). Work: a forward pass of the model per token
    /// (2 FLOP per weight) plus the SAE's forward and backward pass (12·d_in·latents per token; 4·d_in·latents to evaluate).
    /// </summary>
    private IEnumerable<string> Estimate(Ml.Lm.ModelFolderInfo c, Jobs.JobLimits limits)
    {
        double dIn = c.HookWidths[Hook], m = Latents;
        // A transcoder buffers [x | y] and holds W_dec [m, d_out] (and W_skip [d_out, d_in]); for an SAE d_out = d_in.
        double dOut = IsTranscoder ? c.HookWidths[HookOut] : dIn, skip = Arch.Contains("skip", StringComparison.OrdinalIgnoreCase) ? dIn * dOut : 0;
        var (modelBytes, perToken) = Jobs.JobLimits.ModelCost(c);
        var buffer = (double)BufferTokens * (IsTranscoder ? dIn + dOut : dIn) * 4;
        var memory = modelBytes + buffer + 4 * (dIn * m + m * dOut + m + dOut + skip) * 4 + 4.0 * BatchSize * m * 4;
        var what = buffer * 2 > memory
            ? $"bufferTokens {Jobs.JobLimits.Count(BufferTokens)} (× d_in {dIn:0})"
            : $"training {Jobs.JobLimits.Count(Latents)} latents on d_in {dIn:0} with batchSize {Jobs.JobLimits.Count(BatchSize)}";
        if (limits.CheckMemory(buffer * 2 > memory ? "bufferTokens" : "latents", what, memory) is { } tooBig) yield return tooBig;
        var flop = Tokens * (perToken + 6 * (dIn + dOut) * m) + EvalTokens * (perToken + 2 * (dIn + dOut) * m);
        if (limits.CheckFlop("tokens", $"training {Jobs.JobLimits.Count(Tokens)} tokens with {Jobs.JobLimits.Count(Latents)} latents", flop) is { } tooLong)
            yield return tooLong;
    }

    public SaeTrainingConfig ToConfig() => new()
    {
        Architecture = Architectures.TryGetValue(ArchKey, out var sae) ? sae : TranscoderArchitectures[ArchKey].Architecture,
        Kind = TranscoderArchitectures.TryGetValue(ArchKey, out var transcoder) ? transcoder.Kind : DictionaryKind.Sae,
        Latents = Latents,
        K = K,
        L1Coefficient = L1,
        L0Coefficient = L0,
        JumpReluTargetsK = TargetK,
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
