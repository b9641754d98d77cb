using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Lm;

public sealed class HuggingFaceGpt2Tests : IDisposable
{
    private readonly string _dir = TinyModels.TempFolder();

    public void Dispose() => Directory.Delete(_dir, true);

    private string Folder(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Save_load_save_gives_bit_identical_weights_and_the_same_logits()
    {
        using var model = TinyModels.Create();
        HuggingFaceGpt2.Save(model, Folder("a"));
        using var loaded = HuggingFaceGpt2.LoadModel(Folder("a"));
        HuggingFaceGpt2.Save(loaded, Folder("b"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Folder("a"), "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(Folder("b"), "model.safetensors")));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = TinyModels.RandomTokens(2, 9);
        Assert.Equal(0f, (model.Forward(tokens) - loaded.Forward(tokens)).abs().max().item<float>());
    }

    [Fact]
    public void Saved_weights_use_the_Hugging_Face_names_and_Conv1D_orientation()
    {
        using var model = TinyModels.Create();
        HuggingFaceGpt2.Save(model, Folder("a"));
        var header = Safetensors.ReadHeader(Path.Combine(Folder("a"), "model.safetensors"));
        Assert.Equal([32L, 96], header.Tensors["h.0.attn.c_attn.weight"].Shape);
        Assert.Equal([128L, 32], header.Tensors["h.1.mlp.c_proj.weight"].Shape);
        Assert.Contains("wte.weight", header.Tensors.Keys);
        Assert.Contains("wpe.weight", header.Tensors.Keys);
        Assert.Contains("ln_f.bias", header.Tensors.Keys);
        Assert.Contains("h.1.ln_2.weight", header.Tensors.Keys);
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Half_precision_weights_with_the_transformer_prefix_and_lm_head_load_as_float32(ScalarType dtype)
    {
        using var model = TinyModels.Create();
        HuggingFaceGpt2.Save(model, Folder("a"));
        var tensors = Safetensors.Load(Path.Combine(Folder("a"), "model.safetensors"));
        var renamed = tensors.ToDictionary(kv => "transformer." + kv.Key, kv => kv.Value.to(dtype));
        renamed["lm_head.weight"] = tensors["wte.weight"].to(dtype);
        Directory.CreateDirectory(Folder("half"));
        File.Copy(Path.Combine(Folder("a"), "config.json"), Path.Combine(Folder("half"), "config.json"));
        Safetensors.Save(Path.Combine(Folder("half"), "model.safetensors"), renamed);
        using var loaded = HuggingFaceGpt2.LoadModel(Folder("half"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var expected = renamed["transformer.h.0.attn.c_attn.weight"].to(ScalarType.Float32).t();
        var actual = loaded.named_parameters().Single(p => p.name == "h.0.attn.c_attn.weight").parameter;
        Assert.Equal(ScalarType.Float32, actual.dtype);
        Assert.Equal(0f, (expected - actual).abs().max().item<float>());
    }

    [Fact]
    public void A_folder_with_only_pytorch_model_bin_is_refused_with_conversion_advice()
    {
        Directory.CreateDirectory(Folder("pt"));
        File.WriteAllBytes(Path.Combine(Folder("pt"), "pytorch_model.bin"), [1, 2, 3]);
        var error = Assert.Throws<LanguageModelFolderException>(() => HuggingFaceGpt2.LoadModel(Folder("pt")));
        Assert.Contains("pytorch_model.bin", error.Message);
        Assert.Contains("safe_serialization=True", error.Message);
    }

    [Fact]
    public void A_config_without_n_head_is_refused_naming_the_file_and_field()
    {
        using var model = TinyModels.Create();
        HuggingFaceGpt2.Save(model, Folder("a"));
        var configPath = Path.Combine(Folder("a"), "config.json");
        var json = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        json.Remove("n_head");
        File.WriteAllText(configPath, json.ToJsonString());
        var error = Assert.Throws<LanguageModelFolderException>(() => HuggingFaceGpt2.LoadModel(Folder("a")));
        Assert.Contains("config.json", error.Message);
        Assert.Contains("n_head", error.Message);
    }

    [Fact]
    public void A_tokenizer_larger_than_the_embedding_is_refused()
    {
        using var model = TinyModels.Create();
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat, the cat sat"], 300);
        HuggingFaceGpt2.Save(model, Folder("a"), tokenizer);
        var error = Assert.Throws<LanguageModelFolderException>(() => HuggingFaceGpt2.Load(Folder("a")));
        Assert.Contains("embedding", error.Message);
        Assert.Contains($"{tokenizer.VocabSize}", error.Message);
    }

    [Fact]
    public void Weights_whose_shape_disagrees_with_the_config_are_refused_naming_the_tensor()
    {
        using var model = TinyModels.Create();
        HuggingFaceGpt2.Save(model, Folder("a"));
        var configPath = Path.Combine(Folder("a"), "config.json");
        var json = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        json["n_positions"] = 64;
        File.WriteAllText(configPath, json.ToJsonString());
        var error = Assert.Throws<LanguageModelFolderException>(() => HuggingFaceGpt2.LoadModel(Folder("a")));
        Assert.Contains("wpe.weight", error.Message);
        Assert.Contains("model.safetensors", error.Message);
    }
}
