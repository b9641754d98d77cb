using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Ml.Tests.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Interventions;

/// <summary>A tiny GPT-2 with a tokenizer and a random ReLU SAE on its block-0 residual; latent 0 is dead.</summary>
internal sealed class TinySteering : IDisposable
{
    public const string Hook = "blocks.0.hook_resid_post";
    public const int DeadLatent = 0;

    public static readonly Gpt2Tokenizer Tokenizer = BpeTrainer.Train(
        ["the state of the union is strong and the people are free", "the union of the states, the people of the union"], 300);

    public Gpt2Model Model { get; } = TinyModels.Create(11, TinyModels.Config with { VocabSize = 300, BosTokenId = 299, ContextLength = 48 });
    public SparseAutoencoder Sae { get; }

    public TinySteering()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator().manual_seed(5);
        var bEnc = randn(new long[] { 16 }, generator: g) * 0.1;
        bEnc[DeadLatent] = tensor(-1e4f);   // never fires
        Sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 32, 16 }, generator: g) * 0.3, bEnc,
            randn(new long[] { 16, 32 }, generator: g) * 0.3, randn(new long[] { 32 }, generator: g) * 0.01);
    }

    public void Dispose()
    {
        Model.Dispose();
        Sae.Dispose();
    }
}
