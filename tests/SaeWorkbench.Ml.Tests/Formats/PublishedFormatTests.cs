using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Formats;

/// <summary>
/// Each published format's fixture (Formats/Fixtures, built by its own library; see the README there) encodes and
/// reconstructs as that library does, within 1e-5 relative.
/// </summary>
public sealed class PublishedFormatTests
{
    public static readonly string FixtureRoot = Path.Combine(AppContext.BaseDirectory, "Formats", "Fixtures");

    private static JsonArray Manifest => (JsonArray)JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureRoot, "manifest.json")))!;

    public static TheoryData<string> FixtureNames()
    {
        var data = new TheoryData<string>();
        foreach (var e in Manifest) data.Add(e!["name"]!.GetValue<string>());
        return data;
    }

    public static JsonObject Entry(string name) => (JsonObject)Manifest.First(e => e!["name"]!.GetValue<string>() == name)!;

    public static string FolderOf(string name) => Path.Combine(FixtureRoot, Entry(name)["folder"]!.GetValue<string>());

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Every_published_fixture_encodes_and_reconstructs_as_its_own_library_does(string name)
    {
        var entry = Entry(name);
        using var loaded = SaeFolders.Load(FolderOf(name));
        Assert.Equal(entry["format"]!.GetValue<string>(), loaded.Format);
        var expected = Safetensors.Load(Path.Combine(FixtureRoot, entry["expected"]!.GetValue<string>()));
        try
        {
            using var scope = NewDisposeScope();
            var x = expected["activations"];
            var f = loaded.Autoencoder.Encode(x);
            var y = loaded.Autoencoder.Reconstruct(x);
            AssertClose(expected["feature_acts"], f, $"{name} feature_acts");
            AssertClose(expected["reconstruction"], y, $"{name} reconstruction");
            // The same latents fire: a relative tolerance alone could hide a latent at the edge of its threshold.
            Assert.True(expected["feature_acts"].gt(0).eq(f.gt(0)).all().item<bool>(), $"{name}: a different set of latents fires");
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
    }

    internal static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var scale = Math.Max(expected.abs().max().item<float>(), 1e-6f);
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= 1e-5 * scale, $"{what}: max |difference| {diff:E3} exceeds 1e-5 × {scale:G4}");
    }

    [Fact]
    public void Transcoders_read_one_hook_and_write_another_with_their_skip_matrix()
    {
        using var loaded = SaeFolders.Load(FolderOf("saelens-skip-transcoder"));
        var sae = loaded.Autoencoder;
        Assert.True(sae.IsTranscoder);
        Assert.Equal((12, 10), (sae.DIn, sae.DOut));
        Assert.NotNull(sae.Form.WSkip);
        Assert.Equal("blocks.1.ln2.hook_normalized", loaded.Metadata.HookName);
        Assert.Equal("blocks.1.hook_mlp_out", loaded.Metadata.HookNameOut);
        Assert.Equal("skip_transcoder", SaeLensFolder.ArchitectureName(sae));
    }

    [Fact]
    public void What_was_folded_or_transformed_is_recorded_with_the_dictionary()
    {
        using (var topk = SaeFolders.Load(FolderOf("saelens-topk-rescaled")))
            Assert.Contains(topk.Transforms, t => t.Contains("rescale_acts_by_decoder_norm", StringComparison.Ordinal));
        using (var ln = SaeFolders.Load(FolderOf("saelens-jumprelu-layernorm")))
            Assert.Contains(ln.Transforms, t => t.Contains("layer_norm", StringComparison.Ordinal));
        using (var gemma = SaeFolders.Load(FolderOf("gemma-scope-1")))
        {
            Assert.Contains(gemma.Transforms, t => t.Contains("not subtracted", StringComparison.Ordinal));
            Assert.Equal("blocks.3.hook_resid_post", gemma.Metadata.HookName);
            Assert.Equal("gemma-2-2b", gemma.Metadata.ModelName);
        }
        using var llama = SaeFolders.Load(FolderOf("llama-scope"));
        Assert.Contains(llama.Transforms, t => t.Contains("dataset_average_activation_norm", StringComparison.Ordinal));
        Assert.Equal("blocks.5.hook_resid_post", llama.Metadata.HookName);
    }

    [Fact]
    public void A_release_folder_lists_each_dictionary_in_it()
    {
        var members = SaeFolders.Discover(Path.Combine(FixtureRoot, "sparsify-run"));
        Assert.Equal(["layers.3", "layers.3.mlp"], members.Select(Path.GetFileName));
        Assert.Equal(Manifest.Count, SaeFolders.Discover(FixtureRoot).Count);
    }

    [Fact]
    public void Sparsify_folders_are_named_by_the_module_and_map_to_hooks()
    {
        using var sae = SaeFolders.Load(FolderOf("sparsify-sae"));
        Assert.Equal("blocks.3.hook_resid_post", sae.Metadata.HookName);
        Assert.Equal("tiny-test", sae.Metadata.ModelName);
        using var transcoder = SaeFolders.Load(FolderOf("sparsify-skip-transcoder"));
        Assert.Equal(("blocks.3.ln2.hook_normalized", "blocks.3.hook_mlp_out"), (transcoder.Metadata.HookName, transcoder.Metadata.HookNameOut!));
    }

    [Fact]
    public void Ablating_a_latent_of_a_layer_norm_dictionary_removes_its_contribution_in_the_tokens_own_units()
    {
        using var loaded = SaeFolders.Load(FolderOf("saelens-jumprelu-layernorm"));
        var sae = loaded.Autoencoder;
        using var scope = NewDisposeScope();
        var x = randn(1, 5, 12) * 3 + 1;
        var flat = x.reshape(5, 12);
        var f = sae.Encode(flat);
        var latent = (int)f.sum(0).argmax().item<long>();
        var ablated = f.clone();
        ablated[.., latent] = 0;
        // SAELens with the error term kept: SAE(x with f_i := 0) + (x − SAE(x)).
        var expected = sae.Decode(ablated, flat) + (flat - sae.Decode(f, flat));
        var hook = new InterventionHook(sae, new InterventionSet { Latents = [new LatentIntervention(latent, InterventionKind.Ablate)] }) { StartPosition = 1 }; // not BOS
        AssertClose(expected, hook.Apply(x).reshape(5, 12), "ablated activations");
    }

    [Fact]
    public void A_transcoder_intervention_is_refused_unless_it_saw_its_input_hook_in_the_same_pass()
    {
        using var loaded = SaeFolders.Load(FolderOf("saelens-skip-transcoder"));
        var hook = new InterventionHook(loaded.Autoencoder, new InterventionSet { Latents = [new LatentIntervention(0, InterventionKind.Ablate)], IncludeBos = true });
        using var output = zeros(1, 2, loaded.Autoencoder.DOut);
        var e = Assert.Throws<InvalidOperationException>(() => hook.Apply(output));
        Assert.Contains("output hook", e.Message);
    }

    [Fact]
    public void A_log_threshold_is_read_as_the_threshold_it_encodes()
    {
        var source = FolderOf("saelens-jumprelu-layernorm");
        var folder = Directory.CreateTempSubdirectory("log-threshold-").FullName;
        try
        {
            File.Copy(Path.Combine(source, "cfg.json"), Path.Combine(folder, "cfg.json"));
            var tensors = Safetensors.Load(Path.Combine(source, "sae_weights.safetensors"));
            tensors["log_threshold"] = tensors["threshold"].log();
            tensors.Remove("threshold");
            Safetensors.Save(Path.Combine(folder, "sae_weights.safetensors"), tensors);
            foreach (var t in tensors.Values) t.Dispose();
            using var plain = SaeFolders.Load(source);
            using var logged = SaeFolders.Load(folder);
            AssertClose(plain.Autoencoder.Threshold!, logged.Autoencoder.Threshold!, "threshold");
            Assert.Contains(logged.Transforms, t => t.Contains("log_threshold", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
