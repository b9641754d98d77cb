using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Formats;

/// <summary>
/// Transcoders trained and exported by this workbench (Formats/TranscoderExports; see the README there) load in SAELens
/// as its transcoder classes and encode there exactly as our reader encodes them, and our exporter writes those folders
/// byte for byte again from what our reader reads.
/// </summary>
public sealed class TranscoderExportReferenceTests : IDisposable
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Formats", "TranscoderExports");
    private readonly string _dir = Directory.CreateTempSubdirectory("saetcx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonArray Manifest => (JsonArray)JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "manifest.json")))!;

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var e in Manifest) data.Add(e!["name"]!.GetValue<string>());
        return data;
    }

    private static JsonObject Entry(string name) => (JsonObject)Manifest.First(e => e!["name"]!.GetValue<string>() == name)!;

    [Theory]
    [MemberData(nameof(Names))]
    public void An_exported_transcoder_encodes_in_our_reader_as_saelens_encodes_it(string name)
    {
        var entry = Entry(name);
        using var loaded = SaeFolders.Load(Path.Combine(Root, entry["folder"]!.GetValue<string>()));
        Assert.Equal(SaeFormatNames.SaeLens, loaded.Format);
        Assert.Equal(entry["architecture"]!.GetValue<string>(), loaded.SourceArchitecture);
        Assert.True(loaded.Autoencoder.IsTranscoder);
        Assert.Equal("blocks.1.ln2.hook_normalized", loaded.Metadata.HookName);
        Assert.Equal("blocks.1.hook_mlp_out", loaded.Metadata.HookNameOut);
        var expected = Safetensors.Load(Path.Combine(Root, entry["expected"]!.GetValue<string>()));
        try
        {
            using var scope = NewDisposeScope();
            var x = expected["activations"];
            var f = loaded.Autoencoder.Encode(x);
            PublishedFormatTests.AssertClose(expected["feature_acts"], f, $"{name} feature_acts");
            PublishedFormatTests.AssertClose(expected["reconstruction"], loaded.Autoencoder.Reconstruct(x), $"{name} reconstruction");
            Assert.True(expected["feature_acts"].gt(0).eq(f.gt(0)).all().item<bool>(), $"{name}: a different set of latents fires");
            Assert.True(f.gt(0).any().item<bool>(), $"{name}: no latent fires, so the comparison would prove little");
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Our_transcoder_cfg_and_weights_hold_exactly_what_saelens_own_save_writes_for_them(string name)
    {
        var entry = Entry(name);
        var folder = Path.Combine(Root, entry["folder"]!.GetValue<string>());
        // SAELens's save_model of the folder it loaded (see the README): the same fields and values; only the order of
        // keys differs (SAELens writes architecture last, d_out after metadata), which no JSON reader sees.
        var ours = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, SaeLensFolder.ConfigFile)))!;
        var theirs = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, entry["saelens_cfg"]!.GetValue<string>())))!;
        Assert.True(JsonNode.DeepEquals(theirs, ours), $"{name}: cfg.json differs from SAELens's save of it:\n{theirs.ToJsonString()}\n{ours.ToJsonString()}");
        var shapes = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Root, entry["saelens_weights"]!.GetValue<string>())))!;
        var weights = Safetensors.Load(Path.Combine(folder, SaeLensFolder.WeightsFile));
        try
        {
            Assert.Equal(shapes.Select(kv => kv.Key).Order(StringComparer.Ordinal), weights.Keys.Order(StringComparer.Ordinal));
            foreach (var (tensorName, shape) in shapes)
                Assert.Equal(shape!.AsArray().Select(d => d!.GetValue<long>()), weights[tensorName].shape);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void An_exported_transcoder_carries_finite_log_densities_and_its_metrics_where_the_importer_reads_them(string name)
    {
        using var loaded = SaeFolders.Load(Path.Combine(Root, Entry(name)["folder"]!.GetValue<string>()));
        // SAELens's log10(density + 1e-10): a latent that never fired is −10, never −∞.
        Assert.NotNull(loaded.Log10Density);
        Assert.All(loaded.Log10Density!, v => Assert.InRange(v, -10f, 0f));
        var metrics = loaded.Metadata.Extras[SaeDictionaryExport.ExtrasKey]?[SaeDictionaryExport.MetricsKey]?.AsObject();
        Assert.NotNull(metrics);
        foreach (var key in new[] { "l0", "fvu", "explained_variance", "ce_clean", "ce_sae", "ce_zero", "ce_loss_recovered", "kl" })
            Assert.True(metrics!.ContainsKey(key), $"{name}: the exported metrics lack {key}");
    }

    [Fact]
    public void The_jumprelu_transcoder_golden_has_dead_latents_saved_as_log_density_minus_10()
    {
        using var loaded = SaeFolders.Load(Path.Combine(Root, "jumprelu-transcoder"));
        Assert.Contains(-10f, loaded.Log10Density!);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Our_exporter_writes_the_committed_transcoder_folder_again_byte_for_byte(string name)
    {
        var folder = Path.Combine(Root, Entry(name)["folder"]!.GetValue<string>());
        using var loaded = SaeFolders.Load(folder);
        var again = Path.Combine(_dir, name);
        SaeLensFolder.Save(again, loaded.Autoencoder, loaded.Metadata, loaded.Log10Density);
        foreach (var file in new[] { SaeLensFolder.ConfigFile, SaeLensFolder.WeightsFile, SaeLensFolder.SparsityFile })
            Assert.Equal(File.ReadAllBytes(Path.Combine(folder, file)), File.ReadAllBytes(Path.Combine(again, file)));
    }
}
