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
    SparseAutoencoder Autoencoder, double ActivationScale, long Steps, long Tokens, SaeTrainingProgress LastProgress);

/// <summary>
/// Trains an SAE from an activation source: estimate the scale and the b_dec init, then steps of
/// <see cref="SaeTrainingStep"/> + <see cref="SaeOptimizer"/>, progress events, checkpoints every N steps and at the
/// end. With a checkpoint folder that already holds a checkpoint, the run resumes from it and finishes exactly as
/// an uninterrupted run with the same seed and data would.
/// </summary>
public static class SaeTrainingRun
{
    public static SaeTrainingResult Train(IActivationSource source, SaeTrainingConfig config, string? checkpointDirectory,
        IProgress<SaeTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        config.Validate(source.Width);
        if (config.Threads > 0) torch.set_num_threads(config.Threads);

        SaeTrainingState state;
        double scale;
        long? lastCheckpoint = null;
        var resumed = checkpointDirectory is null ? null : SaeCheckpoint.TryLoad(checkpointDirectory);
        if (resumed is { } r)
        {
            if (r.Info.Config != config)
                throw new InvalidOperationException($"the checkpoint in {checkpointDirectory} was written by a different training config; use a new folder or the same config");
            if (r.Info.DIn != source.Width)
                throw new InvalidOperationException($"the checkpoint is for width {r.Info.DIn}, the activation source has width {source.Width}");
            (state, scale, lastCheckpoint) = (r.State, r.Info.ActivationScale, r.Info.Step);
            source.Seek(r.Info.SourcePosition);
        }
        else
        {
            source.Seek(0);
            scale = ActivationStatistics.ScalingFactor(source, (int)Math.Min(config.ScalingBatches, config.TotalSteps), config.BatchSize);
            source.Seek(0);
            using (var scope = NewDisposeScope())
            {
                var sample = SampleRows(source, config.GeometricMedianSamples, config.BatchSize).Times(scale);
                var median = ActivationStatistics.GeometricMedian(sample);
                using var gen = new Generator().manual_seed(config.Seed);
                state = SaeTrainingState.Initialise(config, source.Width, median, gen);
                state.InitialiseThresholdFromSample(sample.narrow(0, 0, Math.Min(sample.shape[0], 4096)));
            }
            source.Seek(0);
        }

        try
        {
            var last = Loop(source, config, state, scale, checkpointDirectory, ref lastCheckpoint, progress, cancellationToken);
            var trained = state.ToAutoencoder();
            var folded = trained.FoldActivationScale(scale);
            trained.Dispose();
            return new SaeTrainingResult(folded, scale, state.Step, state.Step * config.BatchSize, last);
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

    private static SaeTrainingProgress Loop(IActivationSource source, SaeTrainingConfig cfg, SaeTrainingState state,
        double scale, string? checkpointDirectory, ref long? lastCheckpoint, IProgress<SaeTrainingProgress>? progress,
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
            var x = source.NextBatch(cfg.BatchSize).Times(scale);
            var lambda = state.SparsityCoefficient(step);
            var result = SaeTrainingStep.Compute(state, x, lambda);
            var parts = stack(new[] { result.Loss, result.Mse, result.SparsityLoss, result.AuxLoss, result.L0, result.Fvu })
                .to(float64).data<double>().ToArray();
            if (!double.IsFinite(parts[0]))
                throw new SaeTrainingDivergedException(step + 1, $"loss is {parts[0]} (MSE {parts[1]}, sparsity {parts[2]}, AuxK {parts[3]})",
                    lastCheckpoint, checkpointDirectory);
            var lr = SaeOptimizer.LearningRate(cfg, step);
            SaeOptimizer.Apply(state, result.Gradients, lr);
            state.RecordFired(result.FiredMask);
            if (cfg.Architecture == SaeArchitecture.BatchTopK) state.UpdateBatchTopKThreshold(result.SmallestKept);
            state.UpdateL0Controller(parts[4]);

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
                    state, new SaeCheckpointInfo(state.Step, source.Position, scale, state.DIn, cfg));
                lastCheckpoint = state.Step;
            }
        }
        return latest ?? new SaeTrainingProgress(state.Step, total, state.Step * cfg.BatchSize, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }
}
