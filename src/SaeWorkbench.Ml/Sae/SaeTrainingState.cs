using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// The trainable tensors of an SAE or transcoder in training (on the scaled activations s·x, and s_out·y for a
/// transcoder), its buffers and its Adam moments. Parameters: W_enc [d_in, m], b_enc, W_dec [m, d_out], b_dec [d_out],
/// log_threshold for JumpReLU, W_skip [d_out, d_in] for a skip transcoder. Buffers: steps_since_fired [m] and, for
/// BatchTopK, the tracked threshold θ (scalar), and for a JumpReLU steered to its target L0 the controller's shared
/// log-threshold offset c (float64 scalar; θ_i = exp(log_threshold_i + c), docs/science.md §2.4). Owns its tensors.
/// </summary>
public sealed class SaeTrainingState : IDisposable
{
    public SaeTrainingConfig Config { get; }
    public int DIn { get; }

    /// <summary>Output width d_out (= d_in for an SAE).</summary>
    public int DOut => (int)WDec.shape[1];
    public Dictionary<string, Tensor> Parameters { get; } = new();
    public Dictionary<string, Tensor> AdamFirstMoment { get; } = new();
    public Dictionary<string, Tensor> AdamSecondMoment { get; } = new();

    /// <summary>Steps since each latent last fired (dead-latent tracking, docs/science.md §3).</summary>
    public Tensor StepsSinceFired { get; private set; }

    /// <summary>BatchTopK's tracked threshold θ (scalar), else null.</summary>
    public Tensor? BatchTopKThreshold { get; private set; }

    /// <summary>
    /// The JumpReLU L0 controller's shared log-threshold offset c (float64 scalar, docs/science.md §2.4): every latent's
    /// threshold is θ_i = exp(log_threshold_i + c). Null when the L0 is not steered (c is then 0).
    /// </summary>
    public Tensor? LogThresholdOffset { get; private set; }

    /// <summary>Optimiser steps taken.</summary>
    public long Step { get; set; }

    public Tensor WEnc => Parameters["W_enc"];
    public Tensor BEnc => Parameters["b_enc"];
    public Tensor WDec => Parameters["W_dec"];
    public Tensor BDec => Parameters["b_dec"];
    public Tensor? LogThreshold => Parameters.GetValueOrDefault("log_threshold");

    /// <summary>The skip matrix of a skip transcoder, else null.</summary>
    public Tensor? WSkip => Parameters.GetValueOrDefault("W_skip");

    private SaeTrainingState(SaeTrainingConfig config, int dIn, Tensor stepsSinceFired, Tensor? batchTopKThreshold, Tensor? logThresholdOffset)
    {
        Config = config;
        DIn = dIn;
        StepsSinceFired = stepsSinceFired.DetachFromDisposeScope();
        BatchTopKThreshold = batchTopKThreshold?.DetachFromDisposeScope();
        LogThresholdOffset = logThresholdOffset?.DetachFromDisposeScope();
    }

    /// <summary>
    /// Fresh initialisation (docs/science.md §3): W_dec rows random unit directions (×0.1 for ReLU-L1),
    /// W_enc = W_decᵀ, b_enc = 0, b_dec = <paramref name="bDecInit"/> (the geometric median of the activations the
    /// dictionary writes). A transcoder's b_dec [d_out] is the output's median, and its W_enc columns are random unit
    /// directions of their own (docs/science.md §12: input and output are different spaces, so W_decᵀ means nothing
    /// there); a skip transcoder's W_skip starts at 0, as SAELens's does.
    /// </summary>
    public static SaeTrainingState Initialise(SaeTrainingConfig config, int dIn, Tensor bDecInit, Generator generator)
    {
        using var scope = NewDisposeScope();
        var m = config.Latents;
        var dOut = (int)bDecInit.shape[0];
        if (!config.IsTranscoder && dOut != dIn)
            throw new ArgumentException($"an SAE's b_dec init must have width d_in = {dIn}, got {dOut}");
        var wDec = randn(new long[] { m, dOut }, generator: generator);
        wDec = wDec / wDec.norm(1, keepdim: true);
        if (config.Architecture == SaeArchitecture.Relu) wDec = wDec.Times(0.1);
        var wEnc = wDec.t();
        if (config.IsTranscoder)
        {
            var directions = randn(new long[] { m, dIn }, generator: generator);
            wEnc = (directions / directions.norm(1, keepdim: true)).t();                       // [d_in, m]
        }
        var state = new SaeTrainingState(config, dIn, zeros(m, dtype: int64),
            config.Architecture == SaeArchitecture.BatchTopK ? zeros(Array.Empty<long>()) : null,
            SteersL0(config) ? zeros(Array.Empty<long>(), dtype: float64) : null);
        state.Add("W_enc", wEnc.contiguous());
        state.Add("b_enc", zeros(m));
        state.Add("W_dec", wDec.contiguous());
        state.Add("b_dec", bDecInit.to(float32).clone());
        if (config.Kind == DictionaryKind.SkipTranscoder) state.Add("W_skip", zeros(dOut, dIn));
        if (config.Architecture == SaeArchitecture.JumpRelu)
            state.Add("log_threshold", TorchScalars.Full(Math.Log(config.JumpReluInitialThreshold > 0 ? config.JumpReluInitialThreshold : 1), new long[] { m }));
        return state;
    }

    /// <summary>
    /// JumpReLU with θ₀ = 0: sets every latent's θ to the smallest of the K·n largest pre-activations of the initial SAE
    /// on <paramref name="sample"/> [n, d_in] (scaled activations; a transcoder's inputs), so it starts at L0 ≈ K, as a
    /// BatchTopK batch would.
    /// </summary>
    public void InitialiseThresholdFromSample(Tensor sample)
    {
        if (Config.Architecture != SaeArchitecture.JumpRelu || Config.JumpReluInitialThreshold > 0) return;
        using var scope = NewDisposeScope();
        var encoderInput = Config.IsTranscoder ? sample : sample - BDec;                   // no b_dec on a transcoder's input (§12)
        var pre = addmm(BEnc, encoderInput, WEnc, 1, 1).reshape(-1);                       // [n·m]
        var kept = (int)Math.Min(pre.NumberOfElements, (long)Config.K * sample.shape[0]);
        var (largest, _) = pre.topk(kept);
        var theta = Math.Max(largest.min().item<float>(), 1e-6f);                          // a JumpReLU θ must be > 0
        using var logTheta = (Math.Log(theta) - ThresholdOffset).ToScalar();             // so that exp(ℓ + c) = θ
        LogThreshold!.fill_(logTheta);
    }

    private void Add(string name, Tensor value)
    {
        Parameters[name] = value.contiguous().DetachFromDisposeScope();
        AdamFirstMoment[name] = zeros_like(value).DetachFromDisposeScope();
        AdamSecondMoment[name] = zeros_like(value).DetachFromDisposeScope();
    }

    /// <summary>The SAE for the scaled activations it is trained on (copies; BatchTopK becomes a JumpReLU).</summary>
    public SparseAutoencoder ToAutoencoder()
    {
        using var scope = NewDisposeScope();
        var arch = Config.Architecture;
        Tensor? threshold = arch switch
        {
            SaeArchitecture.JumpRelu => Thresholds(),
            SaeArchitecture.BatchTopK => BatchTopKThreshold!.expand(Config.Latents).clone(),
            _ => null,
        };
        var form = new SaeForm { ApplyBDecToInput = !Config.IsTranscoder, Transcoder = Config.IsTranscoder, WSkip = WSkip?.clone() };
        return new SparseAutoencoder(arch == SaeArchitecture.BatchTopK ? SaeArchitecture.JumpRelu : arch, Config.K,
            WEnc.clone(), BEnc.clone(), WDec.clone(), BDec.clone(), threshold, form);
    }

    /// <summary>All tensors of the state by checkpoint name.</summary>
    public Dictionary<string, Tensor> CheckpointTensors()
    {
        var all = new Dictionary<string, Tensor>();
        foreach (var (k, v) in Parameters)
        {
            all["param." + k] = v;
            all["adam_m." + k] = AdamFirstMoment[k];
            all["adam_v." + k] = AdamSecondMoment[k];
        }
        all["steps_since_fired"] = StepsSinceFired;
        if (BatchTopKThreshold is not null) all["batchtopk_threshold"] = BatchTopKThreshold;
        if (LogThresholdOffset is not null) all["log_threshold_offset"] = LogThresholdOffset;
        return all;
    }

    /// <summary>Rebuilds a state from <see cref="CheckpointTensors"/> (takes ownership of the tensors).</summary>
    public static SaeTrainingState FromCheckpointTensors(SaeTrainingConfig config, int dIn, long step,
        Dictionary<string, Tensor> tensors)
    {
        Tensor Take(string name) => tensors.TryGetValue(name, out var t)
            ? t
            : throw new InvalidDataException($"checkpoint is missing tensor '{name}'");
        var state = new SaeTrainingState(config, dIn, Take("steps_since_fired"),
            config.Architecture == SaeArchitecture.BatchTopK ? Take("batchtopk_threshold") : null,
            SteersL0(config) ? Take("log_threshold_offset") : null) { Step = step };
        var names = new List<string> { "W_enc", "b_enc", "W_dec", "b_dec" };
        if (config.Architecture == SaeArchitecture.JumpRelu) names.Add("log_threshold");
        if (config.Kind == DictionaryKind.SkipTranscoder) names.Add("W_skip");
        foreach (var n in names)
        {
            state.Parameters[n] = Take("param." + n).DetachFromDisposeScope();
            state.AdamFirstMoment[n] = Take("adam_m." + n).DetachFromDisposeScope();
            state.AdamSecondMoment[n] = Take("adam_v." + n).DetachFromDisposeScope();
        }
        return state;
    }

    /// <summary>Updates dead-latent tracking from a mask [m] of latents that fired this step.</summary>
    public void RecordFired(Tensor firedMask)
    {
        using var scope = NewDisposeScope();
        StepsSinceFired.PlusInPlace(1).MaskedFillInPlace(firedMask, 0);
    }

    /// <summary>Latents that have not fired for <see cref="SaeTrainingConfig.DeadWindowSteps"/> steps, [m] bool.</summary>
    public Tensor DeadMask() => StepsSinceFired.Ge((long)Config.DeadWindowSteps);

    /// <summary>
    /// BatchTopK's θ tracks the smallest kept activation by an EMA (docs/science.md §2), which becomes the exported
    /// JumpReLU's threshold. A batch that kept no positive activation (<paramref name="smallestKept"/> null) leaves θ
    /// alone. θ starts at 0, which no kept activation can be, so the first value seen replaces it outright (warm
    /// start): an EMA from 0 at rate 0.01 is still at 1 − 0.99ⁿ of its target after n steps (63 % after 100). And the
    /// EMA never averages over more than the last tenth of the run (rate ≥ 10 / steps): the batch threshold falls as
    /// the SAE learns, and a 100-step window over a short run exports the early, too-high thresholds (on a toy run of
    /// 100 steps, θ from rate 0.01 gave held-out L0 2.5 for k = 4; capped, 4.0).
    /// </summary>
    public void UpdateBatchTopKThreshold(Tensor? smallestKept)
    {
        if (smallestKept is null) return;
        using var scope = NewDisposeScope();
        var theta = BatchTopKThreshold!;
        if (theta.item<float>() <= 0)
        {
            theta.copy_(smallestKept.to(theta.dtype));
            return;
        }
        var rate = Math.Max(Config.BatchTopKThresholdRate, Math.Min(1.0, 10.0 / Config.TotalSteps));
        theta.TimesInPlace(1 - rate).PlusInPlace(smallestKept, rate);
    }

    /// <summary>Whether the L0 is steered to K (JumpReLU with <see cref="SaeTrainingConfig.JumpReluTargetsK"/>).</summary>
    public static bool SteersL0(SaeTrainingConfig config) => config.Architecture == SaeArchitecture.JumpRelu && config.JumpReluTargetsK;

    /// <summary>The controller's log-threshold offset c as a number (0 when the L0 is not steered).</summary>
    public double ThresholdOffset => LogThresholdOffset?.item<double>() ?? 0;

    /// <summary>
    /// JumpReLU: the thresholds in force, θ_i = exp(log_threshold_i + c), float32 [m] (docs/science.md §2.4). The
    /// training step gates with these and the exported SAE holds them, so the offset is folded in exactly.
    /// </summary>
    public Tensor Thresholds()
    {
        var logThreshold = LogThreshold ?? throw new InvalidOperationException("only a JumpReLU has per-latent thresholds");
        if (LogThresholdOffset is null) return logThreshold.exp();
        using var scope = NewDisposeScope();
        return logThreshold.to(float64).Plus(LogThresholdOffset).exp().to(float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// λ of the sparsity term at <paramref name="step"/>: <see cref="SaeTrainingConfig.L0Coefficient"/> without warm-up
    /// when the L0 is steered (θ starts at L0 ≈ K and the controller holds it there), else the configured coefficient
    /// with its linear warm-up (<see cref="SaeOptimizer.SparsityCoefficient"/>).
    /// </summary>
    public double SparsityCoefficient(long step) =>
        LogThresholdOffset is not null ? Config.L0Coefficient : SaeOptimizer.SparsityCoefficient(Config, step);

    /// <summary>
    /// The L0 controller (docs/science.md §2.4): c += α·clamp(δ, −1, 1), where δ is the log factor by which all
    /// thresholds would have had to move for the batch just seen to fire exactly K latents per token
    /// (<see cref="SaeStepResult.ThresholdCorrection"/>, measured with the thresholds before this step's update) and
    /// α = <see cref="SaeTrainingConfig.L0ControlRate"/>. This moves the thresholds directly, outside Adam, at the speed
    /// the encoder's pre-activations drift; a null δ (the L0 is not steered) changes nothing.
    /// </summary>
    public void UpdateThresholdOffset(double? correction)
    {
        if (LogThresholdOffset is not { } offset || correction is not { } delta) return;
        // c stays within ±27.6 (thresholds within a factor 1e±12 of exp(ℓ)): a run that cannot reach K (too few
        // positive pre-activations) does not drive θ to 0 or infinity.
        var next = Math.Clamp(offset.item<double>() + Config.L0ControlRate * Math.Clamp(delta, -1, 1), -27.6, 27.6);
        using var value = next.ToScalar();
        offset.fill_(value);
    }

    public void Dispose()
    {
        foreach (var t in Parameters.Values.Concat(AdamFirstMoment.Values).Concat(AdamSecondMoment.Values)) t.Dispose();
        StepsSinceFired.Dispose();
        BatchTopKThreshold?.Dispose();
        LogThresholdOffset?.Dispose();
    }
}
