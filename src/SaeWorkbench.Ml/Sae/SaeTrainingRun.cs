using SaeWorkbench.Ml.Runtime;
using System.Diagnostics;
using SaeWorkbench.Ml.Activations;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>The outcome of a training run.</summary>
/// <param name="Autoencoder">The SAE for raw activations (scale folded in, docs/science.md §3). Owned by the caller.</param>
/// <param name="ActivationScale">s = √d / E‖x‖ used during training.</param>
/// <param name="Steps">Optimiser steps taken.</param>
/// <param name="Tokens">Training tokens seen.</param>
/// <param name="LastProgress">The values of the final step.</param>
public sealed record SaeTrainingResult(
    SparseAutoencoder Autoencoder, double ActivationScale, long Steps, long Tokens, SaeTrainingProgress LastProgress)
{
    /// <summary>A transcoder's output scale s_out = √d_out / E‖y‖ (folded in like <see cref="ActivationScale"/>); null for an SAE.</summary>
    public double? OutputActivationScale { get; init; }
}

/// <summary>
/// Trains an SAE from an activation source: estimate the scale and the b_dec init, then steps of
/// <see cref="SaeTrainingStep"/> + <see cref="SaeOptimizer"/>, progress events, checkpoints every N steps and at the
/// end. With a checkpoint folder that already holds a checkpoint, the run resumes from it and finishes exactly as
/// an uninterrupted run with the same seed and data would.
/// </summary>
public static class SaeTrainingRun
{
    /// <summary>
    /// Trains <paramref name="config"/> on <paramref name="source"/>. A transcoder (docs/science.md §12) needs an
    /// <see cref="IActivationPairSource"/> with an output hook; an SAE needs a source of one hook.
    /// </summary>
    public static SaeTrainingResult Train(IActivationSource source, SaeTrainingConfig config, string? checkpointDirectory,
        IProgress<SaeTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var pairs = source as IActivationPairSource;
        var outputWidth = pairs?.OutputWidth ?? 0;
        if (config.IsTranscoder && outputWidth == 0)
            throw new ArgumentException("a transcoder trains on (input, output) activation pairs: give it a source that reads an input and an output hook");
        if (!config.IsTranscoder && outputWidth > 0)
            throw new ArgumentException($"an SAE reads one hook, but this source also reads the output hook '{pairs!.OutputHookName}'");
        var dIn = config.IsTranscoder ? pairs!.InputWidth : source.Width;
        config.Validate(dIn);
        if (config.Threads > 0) torch.set_num_threads(config.Threads);

        SaeTrainingState state;
        double scale;
        double? outputScale = null;
        long? lastCheckpoint = null;
        var resumed = checkpointDirectory is null ? null : SaeCheckpoint.TryLoad(checkpointDirectory);
        if (resumed is { } r)
        {
            if (r.Info.Config != config)
                throw new InvalidOperationException($"the checkpoint in {checkpointDirectory} was written by a different training config; use a new folder or the same config");
            if (r.Info.DIn != dIn || (config.IsTranscoder && r.State.DOut != outputWidth))
                throw new InvalidOperationException($"the checkpoint is for width {r.Info.DIn} → {r.State.DOut}, the activation source has width {dIn}" +
                                                    (config.IsTranscoder ? $" → {outputWidth}" : ""));
            (state, scale, outputScale, lastCheckpoint) = (r.State, r.Info.ActivationScale, r.Info.OutputActivationScale, r.Info.Step);
            if (config.IsTranscoder && outputScale is null)
                throw new InvalidDataException($"the checkpoint in {checkpointDirectory} is a transcoder's but holds no output activation scale");
            source.Seek(r.Info.SourcePosition);
        }
        else
        {
            source.Seek(0);
            var batches = (int)Math.Min(config.ScalingBatches, config.TotalSteps);
            if (config.IsTranscoder)
            {
                var (sIn, sOut) = ActivationStatistics.PairScalingFactors(source, dIn, batches, config.BatchSize);
                (scale, outputScale) = (sIn, sOut);
            }
            else scale = ActivationStatistics.ScalingFactor(source, batches, config.BatchSize);
            source.Seek(0);
            using (var scope = NewDisposeScope())
            {
                var rows = SampleRows(source, config.GeometricMedianSamples, config.BatchSize);
                var (x, y) = Split(rows, dIn, scale, outputScale);
                // b_dec starts at the median of what the dictionary writes: the output for a transcoder (§3, §12).
                var median = ActivationStatistics.GeometricMedian(y ?? x);
                using var gen = new Generator().manual_seed(config.Seed);
                state = SaeTrainingState.Initialise(config, dIn, median, gen);
                state.InitialiseThresholdFromSample(x.narrow(0, 0, Math.Min(x.shape[0], 4096)));
            }
            source.Seek(0);
        }

        try
        {
            var last = Loop(source, config, state, scale, outputScale, checkpointDirectory, ref lastCheckpoint, progress, cancellationToken);
            var trained = state.ToAutoencoder();
            var folded = outputScale is { } sOut ? trained.FoldTranscoderScales(scale, sOut) : trained.FoldActivationScale(scale);
            trained.Dispose();
            return new SaeTrainingResult(folded, scale, state.Step, state.Step * config.BatchSize, last) { OutputActivationScale = outputScale };
        }
        finally
        {
            state.Dispose();
        }
    }

    private static Tensor SampleRows(IActivationSource source, int count, int batchSize)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long got = 0; got < count; got += batchSize) parts.Add(source.NextBatch((int)Math.Min(batchSize, count - got)));
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Scaled inputs x [n, d_in] and, for a transcoder (<paramref name="outputScale"/> set), scaled outputs y [n, d_out] of pair rows.</summary>
    private static (Tensor X, Tensor? Y) Split(Tensor rows, int dIn, double scale, double? outputScale)
    {
        if (outputScale is not { } sOut) return (rows.Times(scale), null);
        return (rows.narrow(1, 0, dIn).Times(scale), rows.narrow(1, dIn, rows.shape[1] - dIn).Times(sOut));
    }

    private static SaeTrainingProgress Loop(IActivationSource source, SaeTrainingConfig cfg, SaeTrainingState state,
        double scale, double? outputScale, string? checkpointDirectory, ref long? lastCheckpoint, IProgress<SaeTrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        var total = cfg.TotalSteps;
        var clock = Stopwatch.StartNew();
        long windowStartStep = state.Step;
        var windowStart = clock.Elapsed;
        SaeTrainingProgress? latest = null;
        while (state.Step < total)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var step = state.Step;
            var (x, y) = Split(source.NextBatch(cfg.BatchSize), state.DIn, scale, outputScale);
            var lambda = state.SparsityCoefficient(step);
            var result = SaeTrainingStep.Compute(state, x, y, lambda);
            var parts = stack(new[] { result.Loss, result.Mse, result.SparsityLoss, result.AuxLoss, result.L0, result.Fvu })
                .to(float64).data<double>().ToArray();
            if (!double.IsFinite(parts[0]))
                throw new SaeTrainingDivergedException(step + 1, $"loss is {parts[0]} (MSE {parts[1]}, sparsity {parts[2]}, AuxK {parts[3]})",
                    lastCheckpoint, checkpointDirectory);
            var lr = SaeOptimizer.LearningRate(cfg, step);
            SaeOptimizer.Apply(state, result.Gradients, lr);
            state.RecordFired(result.FiredMask);
            if (cfg.Architecture == SaeArchitecture.BatchTopK) state.UpdateBatchTopKThreshold(result.SmallestKept);
            state.UpdateThresholdOffset(result.ThresholdCorrection);

            var done = state.Step == total;
            if (done || state.Step % Math.Max(1, cfg.LogEvery) == 0)
            {
                var now = clock.Elapsed;
                var seconds = (now - windowStart).TotalSeconds;
                var tokensPerSecond = seconds > 0 ? (state.Step - windowStartStep) * cfg.BatchSize / seconds : 0;
                (windowStart, windowStartStep) = (now, state.Step);
                var dead = state.DeadMask().to(float32).mean().item<float>();
                latest = new SaeTrainingProgress(state.Step, total, state.Step * cfg.BatchSize, parts[0], parts[1], parts[2],
                    parts[3], parts[4], parts[5], dead, tokensPerSecond, lr);
                progress?.Report(latest);
            }
            if (checkpointDirectory is not null && (done || (cfg.CheckpointEvery > 0 && state.Step % cfg.CheckpointEvery == 0)))
            {
                SaeCheckpoint.Save(checkpointDirectory,
                    state, new SaeCheckpointInfo(state.Step, source.Position, scale, state.DIn, cfg, outputScale));
                lastCheckpoint = state.Step;
            }
        }
        return latest ?? new SaeTrainingProgress(state.Step, total, state.Step * cfg.BatchSize, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }
}
