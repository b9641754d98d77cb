using SaeWorkbench.Ml.Activations;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Ml.Sae.Synthetic;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

[Collection(TorchThreadsCollection.Name)]
public sealed class SaeTrainingRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saetrain-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ToySuperposition Data() => new(d: 16, n: 32, firingProbability: 0.1, FeatureMagnitude.Exponential1, seed: 5);

    private static SaeTrainingConfig Config(SaeArchitecture arch) => new()
    {
        Architecture = arch, Latents = 64, K = 4, BatchSize = 64, TrainingTokens = 64 * 40, LearningRate = 1e-3,
        ScalingBatches = 5, GeometricMedianSamples = 256, CheckpointEvery = 10, LogEvery = 5, DeadWindowSteps = 8,
    };

    private sealed class Reporter(Action<SaeTrainingProgress> onReport) : IProgress<SaeTrainingProgress>
    {
        public void Report(SaeTrainingProgress value) => onReport(value);
    }

    private sealed class SimulatedKill : Exception;

    [Theory]
    [InlineData(SaeArchitecture.TopK)]
    [InlineData(SaeArchitecture.BatchTopK)]
    [InlineData(SaeArchitecture.JumpRelu)]
    [InlineData(SaeArchitecture.Relu)]
    public void A_run_killed_mid_way_resumes_and_finishes_identical_to_an_uninterrupted_run(SaeArchitecture arch)
    {
        using var scope = NewDisposeScope();
        var cfg = Config(arch);
        using var d1 = Data();
        var whole = SaeTrainingRun.Train(d1, cfg, Path.Combine(_dir, "whole"));

        var resumedDir = Path.Combine(_dir, "killed");
        using (var d2 = Data())
        {
            // Dies abruptly at step 25, after the step-20 checkpoint and before the step-30 one.
            var kill = new Reporter(p => { if (p.Step == 25) throw new SimulatedKill(); });
            Assert.Throws<SimulatedKill>(() => SaeTrainingRun.Train(d2, cfg, resumedDir, kill));
        }
        long firstResumedStep = 0;
        using var d3 = Data();
        var resumed = SaeTrainingRun.Train(d3, cfg, resumedDir,
            new Reporter(p => firstResumedStep = firstResumedStep == 0 ? p.Step : firstResumedStep));

        Assert.Equal(25, firstResumedStep);  // logged at 25 again: it restarted from step 20, not from 0
        Assert.Equal(whole.Steps, resumed.Steps);
        using var a = whole.Autoencoder;
        using var b = resumed.Autoencoder;
        foreach (var (name, t) in a.Tensors())
            Assert.Equal(t.data<float>().ToArray(), b.Tensors()[name].data<float>().ToArray());
    }

    [Fact]
    public void Topk_decoder_rows_stay_unit_norm_during_training()
    {
        using var scope = NewDisposeScope();
        var cfg = Config(SaeArchitecture.TopK) with { CheckpointEvery = 0 };
        using var data = Data();
        var result = SaeTrainingRun.Train(data, cfg, null);
        using var sae = result.Autoencoder.FoldActivationScale(1 / result.ActivationScale); // back to the trained weights
        var norms = sae.WDec.norm(dim: 1);
        Assert.True((norms - 1).abs().max().item<float>() < 1e-5);
        result.Autoencoder.Dispose();
    }

    [Fact]
    public void A_nan_loss_stops_the_run_naming_the_step_and_keeps_the_last_good_checkpoint()
    {
        using var scope = NewDisposeScope();
        var cfg = Config(SaeArchitecture.TopK);
        using var data = new PoisonedAfter(Data(), poisonFromToken: 64 * 13);
        var dir = Path.Combine(_dir, "nan");
        var e = Assert.Throws<SaeTrainingDivergedException>(() => SaeTrainingRun.Train(data, cfg, dir));
        Assert.Equal(14, e.Step);
        Assert.Equal(10, e.LastCheckpointStep);
        Assert.Contains("step 14", e.Message);
        var kept = SaeCheckpoint.TryLoad(dir);
        Assert.NotNull(kept);
        Assert.Equal(10, kept.Value.Info.Step);
        Assert.True(kept.Value.State.WDec.isfinite().all().item<bool>());
        kept.Value.State.Dispose();
    }

    [Fact]
    public void No_tensors_leak_across_100_training_steps()
    {
        var cfg = Config(SaeArchitecture.TopK) with { TrainingTokens = 64 * 20, CheckpointEvery = 0 };
        using var data = Data();
        SaeTrainingRun.Train(data, cfg, null).Autoencoder.Dispose(); // warm-up: lazily created native state
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var result = SaeTrainingRun.Train(data, cfg with { TrainingTokens = 64 * 100 }, null);
        result.Autoencoder.Dispose();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}

/// <summary>An activation source whose tokens from a position on are NaN.</summary>
internal sealed class PoisonedAfter(IActivationSource inner, long poisonFromToken) : IActivationSource
{
    public int Width => inner.Width;
    public string ModelName => inner.ModelName;
    public string HookName => inner.HookName;
    public long Position => inner.Position;

    public Tensor NextBatch(int batchSize)
    {
        var start = inner.Position;
        var x = inner.NextBatch(batchSize);
        return start >= poisonFromToken ? x.fill_(float.NaN) : x;
    }

    public void Seek(long position) => inner.Seek(position);
    public void Dispose() => inner.Dispose();
}
