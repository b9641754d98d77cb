namespace SaeWorkbench.Ml.Sae;

/// <summary>Everything that defines a training run (SCIENCE.md §2–§3). Saved in checkpoints and in cfg.json.</summary>
public sealed record SaeTrainingConfig
{
    /// <summary>Architecture (§2).</summary>
    public SaeArchitecture Architecture { get; init; } = SaeArchitecture.TopK;

    /// <summary>Number of latents m.</summary>
    public int Latents { get; init; } = 4096;

    /// <summary>Latents kept per token for TopK, and the mean per token for BatchTopK.</summary>
    public int K { get; init; } = 32;

    /// <summary>λ of the decoder-norm-weighted L1 (ReLU), in units of the scaled activations.</summary>
    public double L1Coefficient { get; init; } = 5.0;

    /// <summary>λ of the L0 sparsity loss (JumpReLU).</summary>
    public double L0Coefficient { get; init; } = 1e-3;

    /// <summary>λ rises linearly from 0 over this fraction of the steps (§2: ~5%).</summary>
    public double SparsityWarmupFraction { get; init; } = 0.05;

    /// <summary>Rectangle kernel bandwidth ε of the JumpReLU straight-through estimator (§2: 0.001–0.05).</summary>
    public double JumpReluBandwidth { get; init; } = 0.001;

    /// <summary>Initial JumpReLU θ (§2: 0.001–0.01).</summary>
    public double JumpReluInitialThreshold { get; init; } = 0.001;

    /// <summary>AuxK loss coefficient (§2: 1/32).</summary>
    public double AuxKCoefficient { get; init; } = 1.0 / 32;

    /// <summary>k_aux; 0 means d/2 (§2).</summary>
    public int AuxK { get; init; }

    /// <summary>EMA rate of the BatchTopK threshold (§2: 0.01).</summary>
    public double BatchTopKThresholdRate { get; init; } = 0.01;

    /// <summary>A latent that has not fired for this many steps is dead (§3).</summary>
    public int DeadWindowSteps { get; init; } = 1000;

    /// <summary>Training tokens; steps = tokens / batch size.</summary>
    public long TrainingTokens { get; init; } = 1_000_000;

    /// <summary>Tokens per step.</summary>
    public int BatchSize { get; init; } = 4096;

    /// <summary>Adam learning rate (§3: 1e-4 … 5e-4).</summary>
    public double LearningRate { get; init; } = 2e-4;

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

    public int Seed { get; init; } = 42;

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
        if (Latents < 1) throw new ArgumentException($"latents must be ≥ 1, got {Latents}");
        if (Architecture is SaeArchitecture.TopK or SaeArchitecture.BatchTopK && (K < 1 || K >= Latents))
            throw new ArgumentException($"k must be between 1 and latents - 1 ({Latents - 1}), got {K}");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be ≥ 1, got {BatchSize}");
        if (TotalSteps < 1) throw new ArgumentException($"{TrainingTokens} training tokens is less than one batch of {BatchSize}");
        if (dIn < 1) throw new ArgumentException($"input width must be ≥ 1, got {dIn}");
        if (LearningRate <= 0) throw new ArgumentException("learning rate must be > 0");
        if (ScalingBatches < 1) throw new ArgumentException("scaling batches must be ≥ 1");
    }
}
