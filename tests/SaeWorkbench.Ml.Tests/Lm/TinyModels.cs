using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Training;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Lm;

/// <summary>Small models and inputs shared by the LM tests.</summary>
internal static class TinyModels
{
    public static readonly Gpt2Config Config = new(VocabSize: 97, ContextLength: 32, DModel: 32, NLayers: 2, NHeads: 4, BosTokenId: 96);

    public static Gpt2Model Create(int seed = 7, Gpt2Config? config = null)
    {
        var model = new Gpt2Model(config ?? Config);
        LmTrainer.InitialiseWeights(model, seed);
        model.eval();
        return model;
    }

    public static Tensor RandomTokens(int batch, int positions, int seed = 3, int vocab = 97)
    {
        using var generator = new Generator((ulong)seed, CPU);
        return randint(0, vocab, [batch, positions], dtype: ScalarType.Int64, generator: generator);
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "saewb-lm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
