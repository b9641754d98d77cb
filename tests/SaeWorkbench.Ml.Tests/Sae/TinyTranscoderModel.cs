using SaeWorkbench.Ml.Activations;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Ml.Tests.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

/// <summary>A tiny GPT-2 (d_model 32) and the MLP transcoder hooks of its first block, with token windows that start at BOS.</summary>
internal static class TinyTranscoderModel
{
    public const string In = "blocks.0.ln2.hook_normalized";
    public const string Out = "blocks.0.hook_mlp_out";

    public static Gpt2Model Create() => TinyModels.Create(5);

    /// <summary>Windows of <paramref name="length"/> tokens, BOS (96) first.</summary>
    public static List<long[]> Windows(int count, int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => new long[] { TinyModels.Config.BosTokenId }.Concat(Enumerable.Range(1, length - 1).Select(_ => (long)rng.Next(0, 96))).ToArray())
            .ToList();
    }

    /// <summary>A random transcoder 32 → 32 (ReLU, optional skip) whose latents fire on about half the tokens.</summary>
    public static SparseAutoencoder RandomTranscoder(int latents = 16, bool skip = false, long seed = 3)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator().manual_seed(seed);
        var form = new SaeForm
        {
            ApplyBDecToInput = false, Transcoder = true,
            WSkip = skip ? randn(new long[] { 32, 32 }, generator: g) * 0.05 : null,
        };
        return new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 32, latents }, generator: g) * 0.3,
            randn(new long[] { latents }, generator: g) * 0.1, randn(new long[] { latents, 32 }, generator: g) * 0.3,
            randn(new long[] { 32 }, generator: g) * 0.01, form: form);
    }

    /// <summary>The activations at <paramref name="hook"/> for <paramref name="tokens"/> [b, T] as the model computes them, [b, T, d].</summary>
    public static Tensor Read(IHookedLanguageModel model, Tensor tokens, string hook)
    {
        using var noGrad = no_grad();
        return model.RunToHook(tokens, hook).detach().clone();
    }
}

/// <summary>(input, output) pairs held in memory, in a fixed order (for training and metric tests without a model).</summary>
internal sealed class TensorPairSource(Tensor x, Tensor y, string hook = "in", string outputHook = "out") : IActivationPairSource
{
    private readonly Tensor _rows = cat([x, y], 1).DetachFromDisposeScope();
    public int Width => (int)_rows.shape[1];
    public int InputWidth => (int)x.shape[1];
    public int OutputWidth => (int)y.shape[1];
    public string ModelName => "";
    public string HookName => hook;
    public string? OutputHookName => outputHook;
    public long Position { get; private set; }

    public Tensor NextBatch(int batchSize)
    {
        var n = _rows.shape[0];
        var idx = arange(Position, Position + batchSize, dtype: ScalarType.Int64).remainder(n);
        Position += batchSize;
        return _rows.index_select(0, idx);
    }

    public void Seek(long position) => Position = position;
    public void Dispose() => _rows.Dispose();
}
