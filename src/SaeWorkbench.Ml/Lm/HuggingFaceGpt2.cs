using System.Text.Json;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>A model loaded from a folder together with its tokenizer.</summary>
public sealed record LoadedLanguageModel(IHookedLanguageModel Model, ITokenizer Tokenizer, string Folder) : IDisposable
{
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Reads and writes Hugging Face GPT-2 folders (docs/science.md §8): config.json + model.safetensors with HF
/// tensor names, Conv1D weights stored [in, out], an optional "transformer." prefix and lm_head tied to wte.
/// </summary>
public static class HuggingFaceGpt2
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    private const string Prefix = "transformer.";

    /// <summary>Loads config, weights (converted to float32) and tokenizer from <paramref name="folder"/>.</summary>
    public static LoadedLanguageModel Load(string folder, Device? device = null)
    {
        if (!Directory.Exists(folder)) throw new LanguageModelFolderException(folder, "folder does not exist");
        var model = LoadModel(folder, device);
        try
        {
            var tokenizer = Gpt2Tokenizer.Load(folder);
            if (tokenizer.VocabSize > model.VocabSize)
                throw new LanguageModelFolderException(folder,
                    $"tokenizer has {tokenizer.VocabSize} tokens but the embedding in {WeightsFile} has only {model.VocabSize} rows");
            return new LoadedLanguageModel(model, tokenizer, folder);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads config.json and model.safetensors only.</summary>
    public static Gpt2Model LoadModel(string folder, Device? device = null)
    {
        var weightsPath = Path.Combine(folder, WeightsFile);
        if (!File.Exists(weightsPath))
        {
            if (File.Exists(Path.Combine(folder, "pytorch_model.bin")))
                throw new LanguageModelFolderException(Path.Combine(folder, "pytorch_model.bin"),
                    "only PyTorch pickle weights found; they are not read (pickles can run code). Convert them once with " +
                    "Python: `from transformers import GPT2LMHeadModel; GPT2LMHeadModel.from_pretrained(dir)" +
                    ".save_pretrained(dir, safe_serialization=True)`, which writes model.safetensors");
            throw new LanguageModelFolderException(weightsPath, "file not found");
        }
        var config = ReadConfig(Path.Combine(folder, ConfigFile));
        var tensors = Safetensors.Load(weightsPath);
        try
        {
            var model = new Gpt2Model(config);
            try
            {
                LoadWeights(model, tensors, weightsPath);
                if (device is not null && device.type != DeviceType.CPU) model.to(device);
                model.eval();
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    public static Gpt2Config ReadConfig(string path)
    {
        if (!File.Exists(path)) throw new LanguageModelFolderException(path, "file not found");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path))?.AsObject()
                   ?? throw new LanguageModelFolderException(path, "is not a JSON object");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new LanguageModelFolderException(path, $"is not valid JSON: {e.Message}", e);
        }
        int Required(string name)
        {
            try
            {
                return json[name] is { } node ? node.GetValue<int>()
                    : throw new LanguageModelFolderException(path, $"missing required field \"{name}\"");
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new LanguageModelFolderException(path, $"field \"{name}\" is not an integer", e);
            }
        }
        // Options whose computation Gpt2Model does not implement are refused rather than silently ignored.
        if (json["scale_attn_by_inverse_layer_idx"] is JsonValue inverse && inverse.GetValue<bool>())
            throw new LanguageModelFolderException(path,
                "\"scale_attn_by_inverse_layer_idx\": true is not supported; supported: false (scores scaled by 1/√d_head only)");
        if (json["scale_attn_weights"] is JsonValue scaled && !scaled.GetValue<bool>())
            throw new LanguageModelFolderException(path, "\"scale_attn_weights\": false is not supported; supported: true");
        if (json["add_cross_attention"] is JsonValue cross && cross.GetValue<bool>())
            throw new LanguageModelFolderException(path, "\"add_cross_attention\": true is not supported; supported: false");
        var config = new Gpt2Config(
            VocabSize: Required("vocab_size"),
            ContextLength: Required("n_positions"),
            DModel: Required("n_embd"),
            NLayers: Required("n_layer"),
            NHeads: Required("n_head"),
            LayerNormEpsilon: json["layer_norm_epsilon"] is { } eps ? eps.GetValue<double>() : 1e-5,
            Activation: json["activation_function"] is { } act ? act.GetValue<string>() : "gelu_new",
            BosTokenId: json["bos_token_id"] is { } bos ? bos.GetValue<int>() : 50256);
        if (config.BosTokenId >= config.VocabSize) config = config with { BosTokenId = config.VocabSize - 1 };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new LanguageModelFolderException(path, e.Message, e);
        }
        return config;
    }

    /// <summary>Writes config.json, model.safetensors and (when given) the tokenizer into <paramref name="folder"/>.</summary>
    public static void Save(Gpt2Model model, string folder, Gpt2Tokenizer? tokenizer = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(folder);
        WriteConfig(model.Config, Path.Combine(folder, ConfigFile));
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.named_parameters())
            tensors[name] = IsConv1DWeight(name) ? parameter.detach().t().contiguous() : parameter.detach();
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) meta[k] = v;
        Safetensors.Save(Path.Combine(folder, WeightsFile), tensors, meta);
        tokenizer?.Save(folder);
    }

    public static void WriteConfig(Gpt2Config config, string path)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["model_type"] = "gpt2",
            ["activation_function"] = config.Activation,
            ["vocab_size"] = config.VocabSize,
            ["n_positions"] = config.ContextLength,
            ["n_ctx"] = config.ContextLength,
            ["n_embd"] = config.DModel,
            ["n_layer"] = config.NLayers,
            ["n_head"] = config.NHeads,
            ["layer_norm_epsilon"] = config.LayerNormEpsilon,
            ["bos_token_id"] = config.BosTokenId,
            ["eos_token_id"] = config.BosTokenId,
            ["tie_word_embeddings"] = true,
            ["torch_dtype"] = "float32",
        };
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>HF's Conv1D stores [in, out]; torch Linear stores [out, in].</summary>
    private static bool IsConv1DWeight(string name) =>
        name.EndsWith(".c_attn.weight", StringComparison.Ordinal) ||
        name.EndsWith(".c_proj.weight", StringComparison.Ordinal) ||
        name.EndsWith(".c_fc.weight", StringComparison.Ordinal);

    private static void LoadWeights(Gpt2Model model, Dictionary<string, Tensor> stored, string path)
    {
        var byName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (raw, tensor) in stored)
        {
            var name = raw.StartsWith(Prefix, StringComparison.Ordinal) ? raw[Prefix.Length..] : raw;
            // Tied to wte; older files also hold the causal-mask buffers attn.bias / attn.masked_bias.
            if (name == "lm_head.weight" || name.EndsWith(".attn.bias", StringComparison.Ordinal) ||
                name.EndsWith(".attn.masked_bias", StringComparison.Ordinal)) continue;
            byName[name] = tensor;
        }
        var parameters = model.named_parameters().ToList();
        var missing = parameters.Select(p => p.name).Where(n => !byName.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw new LanguageModelFolderException(path, $"missing tensors: {string.Join(", ", missing.Take(10))}");
        var unexpected = byName.Keys.Except(parameters.Select(p => p.name)).ToList();
        if (unexpected.Count > 0)
            throw new LanguageModelFolderException(path, $"unexpected tensors: {string.Join(", ", unexpected.Take(10))}");
        using var noGrad = no_grad();
        foreach (var (name, parameter) in parameters)
        {
            using var scope = NewDisposeScope();
            var source = byName[name];
            if (source.dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64))
                throw new LanguageModelFolderException(path, $"tensor {name} has dtype {source.dtype}, expected a float type");
            var value = IsConv1DWeight(name) ? source.t() : source;
            if (!value.shape.SequenceEqual(parameter.shape))
                throw new LanguageModelFolderException(path,
                    $"tensor {name} has shape [{string.Join(", ", source.shape)}], config.json implies " +
                    $"[{string.Join(", ", IsConv1DWeight(name) ? parameter.shape.Reverse() : parameter.shape)}]");
            parameter.copy_(value.to(ScalarType.Float32));
        }
    }
}
