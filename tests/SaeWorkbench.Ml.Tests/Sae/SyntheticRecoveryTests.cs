using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Ml.Sae.Synthetic;
using Xunit.Abstractions;

namespace SaeWorkbench.Ml.Tests.Sae;

[Collection(TorchThreadsCollection.Name)]
public class SyntheticRecoveryTests(ITestOutputHelper output)
{
    /// <summary>d = 32, n = 64 true directions, m = 128 latents (docs/science.md §5 at small scale).</summary>
    private DictionaryRecovery Train(SaeTrainingConfig config)
    {
        using var data = new ToySuperposition(d: 32, n: 64, firingProbability: 0.05, FeatureMagnitude.Uniform01, seed: 1);
        var result = SaeTrainingRun.Train(data, config, checkpointDirectory: null);
        using var sae = result.Autoencoder;
        var recovery = DictionaryRecovery.Score(data.Directions, sae.WDec);
        output.WriteLine($"{config.Architecture}: MMCS {recovery.Mmcs:F4}, recovered {recovery.FractionRecovered:P1}, " +
                         $"L0 {result.LastProgress.L0:F2}, FVU {result.LastProgress.Fvu:F4}, dead {result.LastProgress.DeadFraction:P1}");
        return recovery;
    }

    private static SaeTrainingConfig Small(SaeArchitecture arch) => new()
    {
        Architecture = arch, Latents = 128, K = 4, BatchSize = 512, TrainingTokens = 512L * 2000,
        LearningRate = 3e-3, DeadWindowSteps = 200, ScalingBatches = 20, GeometricMedianSamples = 4096, LogEvery = 500,
        L1Coefficient = 1.5, Threads = 1, // small matmuls: a second thread only adds waiting on a shared machine
    };

    [Fact]
    public void TopK_recovers_the_true_directions_of_a_toy_superposition()
    {
        var r = Train(Small(SaeArchitecture.TopK));
        Assert.True(r.Mmcs >= 0.95, $"MMCS {r.Mmcs}");
    }

    [Fact]
    public void Relu_L1_recovers_the_true_directions_of_a_toy_superposition()
    {
        var r = Train(Small(SaeArchitecture.Relu));
        Assert.True(r.Mmcs >= 0.95, $"MMCS {r.Mmcs}");
    }
}
