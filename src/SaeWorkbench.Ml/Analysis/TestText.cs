using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Analysis;

/// <summary>Options of a "test text" query.</summary>
public sealed record TestTextOptions
{
    /// <summary>The latent whose per-token activations are returned, if any.</summary>
    public int? Latent { get; init; }

    /// <summary>Top latents listed per token and over the text.</summary>
    public int Count { get; init; } = 10;

    /// <summary>Leave the BOS position out of every ranking.</summary>
    public bool IgnoreBos { get; init; } = true;

    /// <summary>Leave out latents denser than this (fraction of tokens); needs densities.</summary>
    public double? DensityCeiling { get; init; }
}

/// <summary>A latent with an activation.</summary>
public readonly record struct LatentActivation(int Latent, float Activation);

/// <summary>One token of a test text with its top latents.</summary>
public sealed record TestTextToken(int Position, int TokenId, string Text, float? LatentActivation, LatentActivation[] TopLatents);

/// <summary>Per-token and whole-text answers for one text; <see cref="TopOverText"/> is ranked by max activation.</summary>
public sealed record TestTextResult(IReadOnlyList<TestTextToken> Tokens, IReadOnlyList<LatentActivation> TopOverText);

/// <summary>Which latents fire on a text: the model to the hook, the SAE's encoder, rankings. The caller owns the thread.</summary>
public static class TestText
{
    /// <summary>
    /// <paramref name="tokenIds"/> are the text's ids (BOS is prepended here). <paramref name="densities"/> per latent
    /// are needed only with a density ceiling. A text longer than the model's context is refused.
    /// </summary>
    public static TestTextResult Run(IHookedLanguageModel model, string hookName, SparseAutoencoder sae, IReadOnlyList<int> tokenIds,
        Func<int, string> tokenText, TestTextOptions options, IReadOnlyList<double?>? densities = null)
    {
        var ids = new long[tokenIds.Count + 1];
        ids[0] = model.BosTokenId;
        for (var i = 0; i < tokenIds.Count; i++) ids[i + 1] = tokenIds[i];
        if (ids.Length > model.ContextLength)
            throw new ArgumentException($"The text is {tokenIds.Count} tokens long; with BOS that is {ids.Length}, " +
                                        $"more than the model's context of {model.ContextLength} tokens. Shorten it.");
        if (options.Latent is { } one && (one < 0 || one >= sae.DSae))
            throw new ArgumentException($"latent {one} does not exist; the dictionary has {sae.DSae} latents (0–{sae.DSae - 1})");
        if (options.Count < 1) throw new ArgumentException("ask for at least one latent");
        if (options.DensityCeiling is not null && densities is null)
            throw new ArgumentException("a density ceiling needs the latents' densities: analyse the dictionary first");

        using var scope = NewDisposeScope();
        var f = FeatureDashboardRun.Encode(model, hookName, sae, tensor(ids, new long[] { 1, ids.Length }))[0];   // [T, m]
        if (options.DensityCeiling is { } ceiling)
        {
            var allowed = densities!.Select(d => d is null || d.Value <= ceiling).ToArray();
            f = where(tensor(allowed).unsqueeze(0), f, zeros_like(f));
        }
        var k = Math.Min(options.Count, sae.DSae);
        var (values, latents) = f.topk(k, dim: 1);                                                  // [T, k]
        var v = values.data<float>().ToArray();
        var l = latents.data<long>().ToArray();
        float[]? single = options.Latent is { } idx ? f[.., idx].data<float>().ToArray() : null;
        var tokens = new List<TestTextToken>(ids.Length);
        for (var p = 0; p < ids.Length; p++)
        {
            var top = Enumerable.Range(0, k).Where(j => v[p * k + j] > 0).Select(j => new LatentActivation((int)l[p * k + j], v[p * k + j])).ToArray();
            tokens.Add(new TestTextToken(p, (int)ids[p], tokenText((int)ids[p]), single?[p], top));
        }
        var counted = options.IgnoreBos ? f[1..] : f;
        var overText = new List<LatentActivation>();
        if (counted.shape[0] > 0)
        {
            var (mv, mi) = counted.amax(new long[] { 0 }).topk(k);
            var mvs = mv.data<float>().ToArray();
            var mis = mi.data<long>().ToArray();
            for (var j = 0; j < k; j++)
                if (mvs[j] > 0) overText.Add(new LatentActivation((int)mis[j], mvs[j]));
        }
        return new TestTextResult(tokens, overText);
    }
}
