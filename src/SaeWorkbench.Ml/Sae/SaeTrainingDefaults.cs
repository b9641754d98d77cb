namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// The one place the defaults of an SAE training run are written. <see cref="SaeTrainingConfig"/>, the training request
/// (its job parameters), the web form, <c>sae train</c> and the demo dictionary all read these, so a default changed here
/// changes everywhere. Values and their reasons: docs/science.md §2–§3.
/// </summary>
public static class SaeTrainingDefaults
{
    /// <summary>TopK: L0 fixed by k, no coefficient to tune (docs/science.md §2.2).</summary>
    public const SaeArchitecture Architecture = SaeArchitecture.TopK;

    /// <summary>The architecture's name in requests, forms and on the command line.</summary>
    public const string ArchitectureName = "topk";

    public const int Latents = 4096;

    /// <summary>Latents per token (TopK), mean per token (BatchTopK), the L0 a JumpReLU is steered to.</summary>
    public const int K = 32;

    /// <summary>λ of the decoder-norm-weighted L1 (ReLU), in units of the scaled activations (§2.1).</summary>
    public const double L1Coefficient = 5.0;

    /// <summary>JumpReLU: λ of the L0 loss, SAELens's default; when the L0 is steered to k it sets only how thresholds differ between latents (§2.4).</summary>
    public const double L0Coefficient = 1.0;

    /// <summary>JumpReLU: bandwidth ε of the straight-through estimator, SAELens's default (§2.4).</summary>
    public const double JumpReluBandwidth = 0.05;

    /// <summary>JumpReLU: initial θ; 0 sets it from the data so that training starts at L0 ≈ k (§3.2).</summary>
    public const double JumpReluInitialThreshold = 0;

    /// <summary>JumpReLU: steer the thresholds (a shared log offset, folded in at export) so that the L0 settles at k (§2.4).</summary>
    public const bool JumpReluTargetsK = true;

    public const long TrainingTokens = 2_000_000;

    /// <summary>Tokens per step.</summary>
    public const int BatchSize = 4096;

    /// <summary>Adam learning rate (§3.5).</summary>
    public const double LearningRate = 4e-4;

    /// <summary>Tokens in the activation shuffle buffer (§3.3).</summary>
    public const int BufferTokens = 1 << 16;

    /// <summary>Held-out tokens of the final evaluation (§4).</summary>
    public const long EvalTokens = 65_536;

    public const int Seed = 42;
}
