using SaeWorkbench.Ml.Lm;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

/// <summary>
/// A tiny real language model behind <see cref="IHookedLanguageModel"/> (test double for GPT-2):
/// embedding → hook_resid_pre → tanh(linear) residual → hook_resid_post → unembedding.
/// </summary>
internal sealed class TinyHookedModel : IHookedLanguageModel, IDisposable
{
    public const string ResidPre = "blocks.0.hook_resid_pre";
    public const string ResidPost = "blocks.0.hook_resid_post";
    private readonly Tensor _embed, _w, _unembed;
    private readonly Dictionary<string, List<Func<Tensor, Tensor>>> _hooks = new() { [ResidPre] = new(), [ResidPost] = new() };

    public TinyHookedModel(int vocab = 16, int dModel = 8, int context = 32, long seed = 0)
    {
        using var gen = new Generator().manual_seed(seed);
        VocabSize = vocab;
        DModel = dModel;
        ContextLength = context;
        _embed = randn(new long[] { vocab, dModel }, generator: gen).DetachFromDisposeScope();
        _w = (randn(new long[] { dModel, dModel }, generator: gen) / Math.Sqrt(dModel)).DetachFromDisposeScope();
        _unembed = randn(new long[] { dModel, vocab }, generator: gen).DetachFromDisposeScope();
    }

    public string Family => "tiny";
    public int DModel { get; }
    public int NLayers => 1;
    public long ParameterCount => _embed.numel() + _w.numel() + _unembed.numel();
    public int ContextLength { get; }
    public int VocabSize { get; }
    public long BosTokenId => 0;
    public IReadOnlyList<string> HookNames => [ResidPre, ResidPost];
    public int HookWidth(string hookName) => _hooks.ContainsKey(hookName) ? DModel : throw Unknown(hookName);
    public Device Device => CPU;

    private ArgumentException Unknown(string name) =>
        new($"unknown hook '{name}'; valid hooks: {string.Join(", ", HookNames)}");

    private Tensor RunHooks(string name, Tensor a)
    {
        foreach (var h in _hooks[name]) a = h(a);
        return a;
    }

    public Tensor Forward(Tensor tokens) => matmul(Run(tokens, null), _unembed);

    // Its block has no attention, hence no keys or values to cache, and it has no final norm.
    public Tensor Forward(Tensor tokens, KvCache? cache) =>
        cache is null ? Forward(tokens) : throw new NotSupportedException("TinyHookedModel has no attention to cache");
    public KvCache CreateKvCache() => throw new NotSupportedException("TinyHookedModel has no attention to cache");
    public FinalNorm FinalNorm => throw new NotSupportedException("TinyHookedModel has no final norm");
    public double? FinalLogitSoftcap => null;
    public Tensor UnembeddingMatrix() => _unembed.clone();

    public Tensor RunToHook(Tensor tokens, string hookName)
    {
        if (!_hooks.ContainsKey(hookName)) throw Unknown(hookName);
        return Run(tokens, hookName);
    }

    private Tensor Run(Tensor tokens, string? stopAt)
    {
        var x = RunHooks(ResidPre, _embed.index_select(0, tokens.reshape(-1)).view(tokens.shape[0], tokens.shape[1], DModel));
        if (stopAt == ResidPre) return x;
        x = RunHooks(ResidPost, x + matmul(x, _w).tanh());
        return x;
    }

    public IDisposable AddHook(string hookName, Func<Tensor, Tensor> hook)
    {
        if (!_hooks.TryGetValue(hookName, out var list)) throw Unknown(hookName);
        list.Add(hook);
        return new Removal(() => list.Remove(hook));
    }

    private sealed class Removal(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }

    public void Dispose()
    {
        _embed.Dispose(); _w.Dispose(); _unembed.Dispose();
    }

    /// <summary>
    /// Windows the model itself predicts (BOS, a random token, then greedy continuations), so its clean loss is
    /// well below that of a uniform guess.
    /// </summary>
    public List<long[]> GreedyWindows(int count, int length, int seed)
    {
        var rng = new Random(seed);
        var windows = new List<long[]>();
        for (var i = 0; i < count; i++)
        {
            using var scope = NewDisposeScope();
            var w = new List<long> { BosTokenId, rng.Next(1, VocabSize) };
            while (w.Count < length)
                w.Add(Forward(tensor(w.ToArray()).unsqueeze(0))[0, -1].argmax().item<long>());
            windows.Add(w.ToArray());
        }
        return windows;
    }

    /// <summary>Windows of random tokens, each starting with BOS.</summary>
    public static List<long[]> RandomWindows(int count, int length, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => new long[] { 0 }.Concat(Enumerable.Range(1, length - 1).Select(_ => (long)rng.Next(1, vocab))).ToArray())
            .ToList();
    }
}
