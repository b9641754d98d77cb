using SaeWorkbench.Ml.Activations;
using SaeWorkbench.Ml.Sae.Synthetic;
using SaeWorkbench.Ml.Tests.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Activations;

public sealed class ActivationSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actcache-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const long Pad = 15;

    /// <summary>BOS, then tokens 1..14, with padding (15) at the end of every other window.</summary>
    private static List<long[]> Windows(int count) => Enumerable.Range(0, count)
        .Select(i => new long[] { 0, 1 + i % 14, 1 + (i * 3) % 14, 1 + (i * 5) % 14, i % 2 == 0 ? Pad : 1 + (i * 7) % 14 })
        .ToList();

    [Fact]
    public void The_model_source_skips_bos_and_padding_positions()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyHookedModel(vocab: 16);
        using var source = new LanguageModelActivationSource(model, TinyHookedModel.ResidPre, Windows(40), "tiny",
            bufferTokens: 32, windowsPerForward: 4, seed: 1, padTokenId: Pad);
        var rows = source.NextBatch(100);                                                  // [100, d]
        var embeddings = model.RunToHook(arange(16, dtype: int64).unsqueeze(0), TinyHookedModel.ResidPre)[0]; // [16, d]
        var nearest = cdist(rows, embeddings).argmin(1).data<long>().ToArray();
        var dmin = cdist(rows, embeddings).min(1).values;
        Assert.True(dmin.max().item<float>() < 1e-2, "every row is some token's embedding"); // cdist is only ~1e-3 exact
        Assert.DoesNotContain(0L, nearest);
        Assert.DoesNotContain(Pad, nearest);
        Assert.Equal(100, source.Position);
    }

    [Fact]
    public void A_corpus_smaller_than_the_shuffle_buffer_is_refused_clearly()
    {
        using var model = new TinyHookedModel(vocab: 16);
        using var source = new LanguageModelActivationSource(model, TinyHookedModel.ResidPre, Windows(2), "tiny", bufferTokens: 100, padTokenId: Pad);
        var e = Assert.Throws<InvalidDataException>(() => source.NextBatch(4));
        Assert.Contains("yields only 7 activation tokens", e.Message);
        Assert.Contains("shuffle buffer holds 100", e.Message);
    }

    [Fact]
    public void An_unknown_hook_is_refused_with_the_list_of_valid_hooks()
    {
        using var model = new TinyHookedModel();
        var e = Assert.Throws<ArgumentException>(() => new LanguageModelActivationSource(model, "blocks.3.hook_resid_post", Windows(4), "tiny"));
        Assert.Contains(TinyHookedModel.ResidPre, e.Message);
        Assert.Contains(TinyHookedModel.ResidPost, e.Message);
    }

    [Fact]
    public void Seeking_the_model_source_continues_exactly_where_a_reader_was()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyHookedModel(vocab: 16);
        using var a = new LanguageModelActivationSource(model, TinyHookedModel.ResidPost, Windows(30), "tiny", bufferTokens: 16, seed: 3, padTokenId: Pad);
        a.NextBatch(7); a.NextBatch(7); a.NextBatch(7);
        var expected = a.NextBatch(9);
        using var b = new LanguageModelActivationSource(model, TinyHookedModel.ResidPost, Windows(30), "tiny", bufferTokens: 16, seed: 3, padTokenId: Pad);
        b.Seek(21);
        Assert.Equal(expected.data<float>().ToArray(), b.NextBatch(9).data<float>().ToArray());
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void A_disk_cache_returns_the_activations_it_was_written_from_rounded_to_its_dtype(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var toy = new ToySuperposition(8, 16, 0.2, FeatureMagnitude.Uniform01, seed: 2);
        var folder = Path.Combine(_dir, "cache");
        var manifest = ActivationCache.Write(toy, folder, tokens: 250, dtype, shardTokens: 100, batchSize: 50);
        Assert.Equal(3, manifest.Shards.Count);
        toy.Seek(0);
        var expected = cat(Enumerable.Range(0, 5).Select(_ => toy.NextBatch(50)).ToArray(), 0).to(dtype).to(float32);

        using var cache = new ActivationCacheSource(folder);
        Assert.Equal(8, cache.Width);
        Assert.Equal("synthetic", cache.HookName);
        var got = cat(new[] { cache.NextBatch(90), cache.NextBatch(160) }, 0);
        Assert.Equal(expected.data<float>().ToArray(), got.data<float>().ToArray());
        // Past the end it starts again; Seek jumps.
        Assert.Equal(expected[..10].data<float>().ToArray(), cache.NextBatch(10).data<float>().ToArray());
        cache.Seek(120);
        Assert.Equal(expected[120..130].data<float>().ToArray(), cache.NextBatch(10).data<float>().ToArray());
    }

    [Fact]
    public void A_cache_shard_whose_bytes_changed_is_refused()
    {
        using var toy = new ToySuperposition(8, 16, 0.2, FeatureMagnitude.Uniform01, seed: 2);
        var folder = Path.Combine(_dir, "corrupt");
        var manifest = ActivationCache.Write(toy, folder, tokens: 50, ScalarType.Float16);
        var shard = Path.Combine(folder, manifest.Shards[0].File);
        var bytes = File.ReadAllBytes(shard);
        bytes[10] ^= 0xFF;
        File.WriteAllBytes(shard, bytes);
        var e = Assert.Throws<InvalidDataException>(() => new ActivationCacheSource(folder));
        Assert.Contains("SHA-256", e.Message);
    }
}
