using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Ml.Tests.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Formats;

/// <summary>Our SAELens export against what SAELens 6.18's own save code writes (SaeLensV6/README.md says how the reference was read).</summary>
public sealed class SaeLensExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saelens-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonNode Reference([CallerFilePath] string source = "") =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(source)!, "SaeLensV6", "saelens-v6-save.json")))!;

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

    /// <summary>A trained SAE's result as the training pipeline hands it to the export: latent 0 never fired.</summary>
    private static (SaeTrainingResult Result, SaeMetrics Metrics) Trained(SaeArchitecture arch, int d = 6, int m = 10)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator().manual_seed(3);
        var sae = new SparseAutoencoder(arch, 2, randn(new long[] { d, m }, generator: g), randn(new long[] { m }, generator: g),
            randn(new long[] { m, d }, generator: g), randn(new long[] { d }, generator: g),
            arch == SaeArchitecture.JumpRelu ? rand(new long[] { m }, generator: g) : null);
        var density = Enumerable.Range(0, m).Select(i => i == 0 ? 0f : i / 100f).ToArray();
        var metrics = new SaeMetrics(4096, 2.5, 0.3, 0.12, 0.9, 0.95, density);
        return (new SaeTrainingResult(sae, 1.7, 100, 409_600, new SaeTrainingProgress(100, 100, 409_600, 1, 1, 0, 0, 2, 0.1, 0, 0, 0)), metrics);
    }

    private string Export(SaeArchitecture arch)
    {
        var (result, metrics) = Trained(arch);
        using var sae = result.Autoencoder;
        var folder = Path.Combine(_dir, arch.ToString());
        var config = new SaeTrainingConfig { Architecture = arch, Latents = 10, K = 2 };
        SaeDictionaryExport.Save(folder, result, config,
            new SaeLensMetadata { ModelName = "demo-gpt2", HookName = TinyHookedModel.ResidPost, ContextSize = 128, DatasetPath = "data/corpora/sotu" },
            metrics);
        return folder;
    }

    [Theory]
    [InlineData(SaeArchitecture.Relu, "standard")]
    [InlineData(SaeArchitecture.TopK, "topk")]
    [InlineData(SaeArchitecture.JumpRelu, "jumprelu")]
    public void The_cfg_json_has_exactly_the_fields_SAELens_writes_for_the_architecture(SaeArchitecture arch, string name)
    {
        var folder = Export(arch);
        var text = File.ReadAllText(Path.Combine(folder, SaeLensFolder.ConfigFile));
        var cfg = JsonNode.Parse(text)!.AsObject();
        var reference = Reference();
        Assert.Equal(Strings(reference["cfg_keys"]![name]).Order(), cfg.Select(kv => kv.Key).Order());
        Assert.Equal(name, cfg["architecture"]!.GetValue<string>());
        // json.dump with Python's defaults: one line, ", " and ": " separators, no final newline.
        Assert.DoesNotContain('\n', text);
        Assert.StartsWith("{\"", text);
        Assert.Contains("\": ", text);
        Assert.Contains(", \"", text);
        Assert.EndsWith("}", text);
        var tensors = Safetensors.Load(Path.Combine(folder, SaeLensFolder.WeightsFile));
        try { Assert.Equal(Strings(reference["weights"]![name]).Order(), tensors.Keys.Order()); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    [Fact]
    public void A_trained_SAE_records_the_metadata_SAELens_training_records_and_our_metrics_where_the_importer_reads_them()
    {
        var folder = Export(SaeArchitecture.TopK);
        var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, SaeLensFolder.ConfigFile)))!["metadata"]!.AsObject();
        foreach (var key in new[] { "sae_lens_version", "sae_lens_training_version", "dataset_path", "hook_name", "model_name", "hook_head_index", "context_size", "prepend_bos" })
            Assert.True(meta.ContainsKey(key), $"metadata has no '{key}'");
        Assert.False(meta.ContainsKey("neuronpedia_id"), "SAELens writes neuronpedia_id only when it is set");
        using var loaded = SaeLensFolder.Load(folder);
        var metrics = loaded.Metadata.Extras[SaeDictionaryExport.ExtrasKey]![SaeDictionaryExport.MetricsKey]!;
        Assert.Equal(0.12, metrics["fvu"]!.GetValue<double>());
        Assert.Equal(2.5, metrics["l0"]!.GetValue<double>());
        // The key DictionaryImporter reads.
        Assert.Equal("metrics", SaeDictionaryExport.MetricsKey);
    }

    [Fact]
    public void Dead_latents_log_density_is_log10_of_p_plus_1e_10_not_minus_infinity()
    {
        var folder = Export(SaeArchitecture.JumpRelu);
        using var loaded = SaeLensFolder.Load(folder);
        var log10 = loaded.Log10Density!;
        Assert.All(log10, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(-10f, log10[0]);
        for (var i = 1; i < log10.Length; i++) Assert.Equal((float)Math.Log10(i / 100f + 1e-10), log10[i]);
        // Read back, a dead latent's density is 0 again and a live one's is what was measured.
        Assert.Equal(0, SaeMetrics.DensityFromLog10(log10[0]));
        Assert.Equal(0.05, SaeMetrics.DensityFromLog10(log10[5]), 6);
        Assert.Equal(0, SaeMetrics.DensityFromLog10(float.NegativeInfinity));
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(123456.5, "123456.5")]
    [InlineData(1e16, "1e+16")]
    [InlineData(-2.5e-7, "-2.5e-07")]
    [InlineData(4e-4, "0.0004")]
    public void Floats_are_written_as_Python_writes_them(double value, string expected) =>
        Assert.Equal(expected, PythonJson.Float(value));

    [Fact]
    public void Strings_are_ASCII_escaped_and_integers_stay_integers_as_json_dump_writes_them()
    {
        var node = new JsonObject { ["a"] = "θ₀ \"q\"", ["n"] = 3, ["x"] = 2.0, ["l"] = new JsonArray(1, null, true) };
        Assert.Equal("{\"a\": \"\\u03b8\\u2080 \\\"q\\\"\", \"n\": 3, \"x\": 2.0, \"l\": [1, null, true]}", PythonJson.Dump(node));
    }
}
