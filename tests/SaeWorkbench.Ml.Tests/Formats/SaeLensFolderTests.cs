using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Ml.Tests.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Formats;

public sealed class SaeLensFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saelens-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SparseAutoencoder Random(SaeArchitecture arch, int d = 8, int m = 24, long seed = 1)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator().manual_seed(seed);
        return new SparseAutoencoder(arch, 3, randn(new long[] { d, m }, generator: g), randn(new long[] { m }, generator: g),
            randn(new long[] { m, d }, generator: g), randn(new long[] { d }, generator: g),
            arch == SaeArchitecture.JumpRelu ? rand(new long[] { m }, generator: g) : null);
    }

    private static readonly SaeLensMetadata Meta = new()
    {
        ModelName = "gpt2", HookName = TinyHookedModel.ResidPost, ContextSize = 128, DatasetPath = "corpus/demo",
        Extras = new JsonObject { ["saeworkbench"] = new JsonObject { ["metrics"] = new JsonObject { ["fvu"] = 0.1234567891 } } },
    };

    [Theory]
    [InlineData(SaeArchitecture.Relu)]
    [InlineData(SaeArchitecture.TopK)]
    [InlineData(SaeArchitecture.JumpRelu)]
    public void Save_load_save_gives_identical_bytes(SaeArchitecture arch)
    {
        using var sae = Random(arch);
        var density = Enumerable.Range(0, 24).Select(i => i == 0 ? float.NegativeInfinity : -i / 10f).ToArray();
        var first = Path.Combine(_dir, "a");
        var second = Path.Combine(_dir, "b");
        SaeLensFolder.Save(first, sae, Meta, density);
        using (var loaded = SaeLensFolder.Load(first))
            SaeLensFolder.Save(second, loaded.Autoencoder, loaded.Metadata, loaded.Log10Density);
        foreach (var file in new[] { SaeLensFolder.ConfigFile, SaeLensFolder.WeightsFile, SaeLensFolder.SparsityFile })
            Assert.Equal(File.ReadAllBytes(Path.Combine(first, file)), File.ReadAllBytes(Path.Combine(second, file)));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(first, SaeLensFolder.ConfigFile)))!;
        Assert.Equal(SaeLensFolder.ArchitectureName(arch), cfg["architecture"]!.GetValue<string>());
        Assert.Equal(TinyHookedModel.ResidPost, cfg["metadata"]!["hook_name"]!.GetValue<string>());
    }

    [Fact]
    public void A_dictionary_trained_on_hook_z_is_saved_with_reshape_activations_hook_z_and_reads_back_the_same()
    {
        // Trained here, the dictionary carries no hook_z flag of its own: our hook_z is already flattened.
        using var sae = Random(SaeArchitecture.TopK);
        Assert.False(sae.Form.HookZ);
        var first = Path.Combine(_dir, "z");
        var second = Path.Combine(_dir, "z2");
        SaeLensFolder.Save(first, sae, Meta with { HookName = "blocks.0.attn.hook_z" });
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(first, SaeLensFolder.ConfigFile)))!;
        Assert.Equal("hook_z", cfg["reshape_activations"]!.GetValue<string>());
        using (var loaded = SaeLensFolder.Load(first))
        {
            Assert.True(loaded.Autoencoder.Form.HookZ);
            SaeLensFolder.Save(second, loaded.Autoencoder, loaded.Metadata);
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(first, SaeLensFolder.ConfigFile)), File.ReadAllBytes(Path.Combine(second, SaeLensFolder.ConfigFile)));
    }

    [Fact]
    public void Old_cfg_key_names_are_accepted()
    {
        using var sae = Random(SaeArchitecture.TopK);
        var folder = Path.Combine(_dir, "old");
        SaeLensFolder.Save(folder, sae, Meta);
        var old = new JsonObject
        {
            ["d_in"] = 8, ["d_sae"] = 24, ["hook_point"] = "blocks.0.hook_resid_post", ["model_name"] = "gpt2",
            ["activation_fn_str"] = "topk", ["activation_fn_kwargs"] = new JsonObject { ["k"] = 3 },
        };
        File.WriteAllText(Path.Combine(folder, SaeLensFolder.ConfigFile), old.ToJsonString());
        using var loaded = SaeLensFolder.Load(folder);
        Assert.Equal(SaeArchitecture.TopK, loaded.Autoencoder.Architecture);
        Assert.Equal(3, loaded.Autoencoder.K);
        Assert.Equal("blocks.0.hook_resid_post", loaded.Metadata.HookName);
        Assert.Equal("gpt2", loaded.Metadata.ModelName);
    }

    [Fact]
    public void A_missing_tensor_is_refused_by_name()
    {
        using var sae = Random(SaeArchitecture.Relu);
        var folder = Path.Combine(_dir, "missing");
        SaeLensFolder.Save(folder, sae, Meta);
        var weights = Path.Combine(folder, SaeLensFolder.WeightsFile);
        var tensors = Safetensors.Load(weights);
        tensors.Remove("b_dec");
        Safetensors.Save(weights, tensors);
        var e = Assert.Throws<SaeFormatException>(() => SaeLensFolder.Load(folder));
        Assert.Contains("b_dec: tensor is missing", e.Message);
    }

    [Fact]
    public void A_tensor_with_the_wrong_shape_is_refused()
    {
        using var sae = Random(SaeArchitecture.Relu);
        var folder = Path.Combine(_dir, "shape");
        SaeLensFolder.Save(folder, sae, Meta);
        var weights = Path.Combine(folder, SaeLensFolder.WeightsFile);
        var tensors = Safetensors.Load(weights);
        tensors["W_dec"] = zeros(24, 9);
        Safetensors.Save(weights, tensors);
        var e = Assert.Throws<SaeFormatException>(() => SaeLensFolder.Load(folder));
        Assert.Contains("W_dec: shape [24, 9] does not match the expected [24, 8]", e.Message);
    }

    [Fact]
    public void An_sae_whose_d_in_differs_from_the_hook_width_is_refused()
    {
        using var model = new TinyHookedModel(dModel: 8);
        using var sae = Random(SaeArchitecture.Relu, d: 6);
        var folder = Path.Combine(_dir, "width");
        SaeLensFolder.Save(folder, sae, Meta);
        var e = Assert.Throws<InvalidDataException>(() => SaeLensFolder.Load(folder, model));
        Assert.Contains("d_in is 6", e.Message);
        Assert.Contains("width 8", e.Message);
    }
}
