namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// What a training run trains (docs/science.md §12): an SAE (reconstruct the hook it reads), a transcoder (predict the
/// activation at a second, later hook from the first), or a skip transcoder (a transcoder plus a linear skip x·W_skipᵀ).
/// JSON writes the name.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<DictionaryKind>))]
public enum DictionaryKind
{
    Sae,
    Transcoder,
    SkipTranscoder,
}

/// <summary>
/// Everything that defines a training run (docs/science.md §2–§3). Saved in checkpoints and in cfg.json. The defaults of
/// what a user chooses come from <see cref="SaeTrainingDefaults"/>.
/// </summary>
public sealed record SaeTrainingConfig
{
    /// <summary>Architecture (§2).</summary>
    public SaeArchitecture Architecture { get; init; } = SaeTrainingDefaults.Architecture;

    /// <summary>SAE, transcoder or skip transcoder (§12); a transcoder trains on (input, output) activation pairs.</summary>
    public DictionaryKind Kind { get; init; } = DictionaryKind.Sae;

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsTranscoder => Kind != DictionaryKind.Sae;

    /// <summary>Number of latents m.</summary>
    public int Latents { get; init; } = SaeTrainingDefaults.Latents;

    /// <summary>
    /// Latents kept per token for TopK, the mean per token for BatchTopK; for JumpReLU the L0 it is steered to
    /// (<see cref="JumpReluTargetsK"/>) and its initial L0 when θ₀ is 0.
    /// </summary>
    public int K { get; init; } = SaeTrainingDefaults.K;

    /// <summary>λ of the decoder-norm-weighted L1 (ReLU), in units of the scaled activations.</summary>
    public double L1Coefficient { get; init; } = SaeTrainingDefaults.L1Coefficient;

    /// <summary>
    /// λ of the L0 sparsity loss (JumpReLU), in units of the scaled activations (E‖x‖ = √d, docs/science.md §3): a latent
    /// is worth keeping on a token when it removes more than λ of squared error there. With
    /// <see cref="JumpReluTargetsK"/> (the default) the controller sets the thresholds' common level, so λ only sets how
    /// they differ between latents (§2.4), and it applies from the first step.
    /// </summary>
    public double L0Coefficient { get; init; } = SaeTrainingDefaults.L0Coefficient;

    /// <summary>
    /// JumpReLU: steer the thresholds during training so that the L0 settles at <see cref="K"/> (the L0 controller of
    /// docs/science.md §2.4: a shared log-threshold offset, moved each step and folded into the exported thresholds).
    /// False leaves the thresholds to the STE with λ fixed (after its warm-up), so the L0 is whatever that λ buys.
    /// </summary>
    public bool JumpReluTargetsK { get; init; } = SaeTrainingDefaults.JumpReluTargetsK;

    /// <summary>
    /// Rate α of the L0 controller, in (0, 1]: each step the shared log-threshold offset moves by α·clamp(δ, −1, 1), δ the
    /// log factor that would have given the batch just seen an L0 of exactly K (docs/science.md §2.4). 1 jumps to it; 0.5
    /// halves the miss each step and averages the batch-to-batch noise over about two batches.
    /// </summary>
    public double L0ControlRate { get; init; } = 0.5;

    /// <summary>λ rises linearly from 0 over this fraction of the steps (§2: ~5%).</summary>
    public double SparsityWarmupFraction { get; init; } = 0.05;

    /// <summary>
    /// Rectangle kernel bandwidth ε of the JumpReLU straight-through estimator, in pre-activation units of the scaled
    /// activations (SAELens's default 0.05; pre-activations there are O(1)).
    /// </summary>
    public double JumpReluBandwidth { get; init; } = SaeTrainingDefaults.JumpReluBandwidth;

    /// <summary>
    /// Initial JumpReLU θ, in the same units; 0 (the default) sets it from the data so that the initial SAE keeps
    /// <see cref="K"/> latents per token on average. Adam moves log θ by about the learning rate per step, so a run of a
    /// few hundred steps at lr 4e-4 can move θ by little more than 20 %: started at SAELens's 0.01 (meant for runs of
    /// tens of thousands of steps), θ stays near 0 and half the latents fire (L0 ≈ 2,000 of 4,096 on the demo).
    /// </summary>
    public double JumpReluInitialThreshold { get; init; } = SaeTrainingDefaults.JumpReluInitialThreshold;

    /// <summary>AuxK loss coefficient (§2: 1/32).</summary>
    public double AuxKCoefficient { get; init; } = 1.0 / 32;

    /// <summary>k_aux; 0 means d/2 (§2).</summary>
    public int AuxK { get; init; }

    /// <summary>EMA rate of the BatchTopK threshold (§2: 0.01); at least 10 / steps, so a short run averages only its last tenth.</summary>
    public double BatchTopKThresholdRate { get; init; } = 0.01;

    /// <summary>A latent that has not fired for this many steps is dead (§3).</summary>
    public int DeadWindowSteps { get; init; } = 1000;

    /// <summary>Training tokens; steps = tokens / batch size.</summary>
    public long TrainingTokens { get; init; } = SaeTrainingDefaults.TrainingTokens;

    /// <summary>Tokens per step.</summary>
    public int BatchSize { get; init; } = SaeTrainingDefaults.BatchSize;

    /// <summary>Adam learning rate (§3: 1e-4 … 5e-4).</summary>
    public double LearningRate { get; init; } = SaeTrainingDefaults.LearningRate;

    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;

    /// <summary>Linear learning-rate warm-up over this fraction of the steps.</summary>
    public double LrWarmupFraction { get; init; } = 0.01;

    /// <summary>Linear decay to 0 over the last 20% of steps (§3).</summary>
    public bool LrDecay { get; init; } = true;

    /// <summary>Global gradient-norm clip (§3: 1.0); 0 disables.</summary>
    public double GradClipNorm { get; init; } = 1.0;

    /// <summary>Batches used to estimate the activation scale s = √d / E‖x‖ (§3: ≥ 1,000 at scale).</summary>
    public int ScalingBatches { get; init; } = 1000;

    /// <summary>Samples for the geometric-median init of b_dec (§3: ≥ 32k).</summary>
    public int GeometricMedianSamples { get; init; } = 32_768;

    public int Seed { get; init; } = SaeTrainingDefaults.Seed;

    /// <summary>Progress event every this many steps.</summary>
    public int LogEvery { get; init; } = 100;

    /// <summary>Checkpoint every this many steps (and at the end); 0 only at the end.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>CPU threads for torch; 0 leaves the default.</summary>
    public int Threads { get; init; }

    public long TotalSteps => TrainingTokens / BatchSize;

    /// <summary>Throws <see cref="ArgumentException"/> for a config that cannot train on width <paramref name="dIn"/>.</summary>
    public void Validate(int dIn)
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentException($"unknown dictionary kind {(int)Kind}");
        if (IsTranscoder && Architecture == SaeArchitecture.TopK)
            throw new ArgumentException("a topk transcoder is not implemented: SAELens v6, the format every trained dictionary is saved in, " +
                                        "has no TopK transcoder architecture; train a batchtopk transcoder (saved as a JumpReLU transcoder) instead");
        if (Architecture == SaeArchitecture.Gated)
            throw new ArgumentException("gated dictionaries are read from published folders only, not trained");
        if (Latents < 1) throw new ArgumentException($"latents must be ≥ 1, got {Latents}");
        if ((Architecture is SaeArchitecture.TopK or SaeArchitecture.BatchTopK
             || (Architecture == SaeArchitecture.JumpRelu && (JumpReluInitialThreshold == 0 || JumpReluTargetsK))) && (K < 1 || K >= Latents))
            throw new ArgumentException($"k must be between 1 and latents - 1 ({Latents - 1}), got {K}");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be ≥ 1, got {BatchSize}");
        if (TotalSteps < 1) throw new ArgumentException($"{TrainingTokens} training tokens is less than one batch of {BatchSize}");
        if (dIn < 1) throw new ArgumentException($"input width must be ≥ 1, got {dIn}");
        if (LearningRate <= 0) throw new ArgumentException("learning rate must be > 0");
        if (ScalingBatches < 1) throw new ArgumentException("scaling batches must be ≥ 1");
        if (!double.IsFinite(L0Coefficient) || L0Coefficient < 0) throw new ArgumentException($"l0 (λ of the L0 loss) must be a finite number ≥ 0, got {L0Coefficient}");
        if (!double.IsFinite(L0ControlRate) || L0ControlRate <= 0 || L0ControlRate > 1)
            throw new ArgumentException($"L0 control rate must be in (0, 1], got {L0ControlRate}");
        if (!double.IsFinite(JumpReluBandwidth) || JumpReluBandwidth <= 0) throw new ArgumentException($"bandwidth (ε) must be a finite number > 0, got {JumpReluBandwidth}");
        if (!double.IsFinite(JumpReluInitialThreshold) || JumpReluInitialThreshold < 0)
            throw new ArgumentException($"initial threshold (θ₀) must be a finite number ≥ 0 (0: from k), got {JumpReluInitialThreshold}");
    }
}
