using System.Text.Json;
using System.Text.Json.Nodes;

namespace SaeWorkbench.Ml.Lm;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> of a decoder family into a <see cref="DecoderConfig"/>, with the
/// defaults of that family's <c>configuration_*.py</c> for absent keys. Both the legacy keys (<c>rope_theta</c>,
/// <c>rope_scaling</c>, <c>torch_dtype</c>, <c>rotary_pct</c>) and the newer <c>rope_parameters</c> / <c>dtype</c>
/// are accepted. Any option whose computation we do not implement is refused, naming the key (docs/science.md §10.2).
/// </summary>
public static class HuggingFaceConfig
{
    /// <summary>Every model_type we load.</summary>
    public static readonly string[] SupportedFamilies =
        ["gpt2", "llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3_text", "gpt_neox"];

    private static readonly string[] SupportedRopeTypes = ["default", "linear", "llama3"];
    private static readonly string[] SupportedActivations = ["silu", "gelu", "gelu_pytorch_tanh", "gelu_new"];

    /// <summary>Parses the file as a JSON object (errors name the file).</summary>
    public static JsonObject ReadJson(string path)
    {
        if (!File.Exists(path)) throw new LanguageModelFolderException(path, "file not found");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?.AsObject()
                   ?? throw new LanguageModelFolderException(path, "is not a JSON object");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new LanguageModelFolderException(path, $"is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The model_type of a config, refused when it is not one of <see cref="SupportedFamilies"/>.</summary>
    public static string Family(JsonObject json, string path)
    {
        var type = json["model_type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (type is null)
            throw new LanguageModelFolderException(path,
                $"missing \"model_type\"; supported model types: {string.Join(", ", SupportedFamilies)}");
        if (!SupportedFamilies.Contains(type))
            throw new LanguageModelFolderException(path,
                $"model_type \"{type}\" is not supported; supported model types: {string.Join(", ", SupportedFamilies)}");
        return type;
    }

    /// <summary>Reads a non-GPT-2 config (use <see cref="HuggingFaceGpt2.ReadConfig"/> for gpt2).</summary>
    public static DecoderConfig ReadDecoder(string path) => ParseDecoder(ReadJson(path), path);

    public static DecoderConfig ParseDecoder(JsonObject json, string path)
    {
        var family = Family(json, path);
        if (family == "gpt2") throw new ArgumentException("gpt2 configs are read by HuggingFaceGpt2.ReadConfig");
        var r = new Reader(json, path);
        if (json["quantization_config"] is not null)
            throw r.Refuse("quantization_config", "quantized checkpoints are not supported; supported: unquantized float32, float16 or bfloat16 weights");

        var neox = family == "gpt_neox";
        var gemma = family is "gemma2" or "gemma3_text";
        var vocab = r.Int("vocab_size");
        var d = r.Int("hidden_size");
        var layers = r.Int("num_hidden_layers");
        var heads = r.Int("num_attention_heads");
        var kvHeads = neox ? heads : r.Int("num_key_value_heads", heads);
        var dHead = neox ? d / heads
            : r.NullableInt("head_dim", gemma ? 256 : family == "qwen3" ? 128 : null) ?? d / heads;
        var mlp = r.Int("intermediate_size");
        var context = r.Int("max_position_embeddings", neox ? 2048 : 4096);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
            throw r.Refuse("num_key_value_heads", $"num_attention_heads ({heads}) must be a positive multiple of num_key_value_heads ({kvHeads})");
        if (dHead <= 0 || (neox && d % heads != 0))
            throw r.Refuse("head_dim", $"head width {dHead} is not valid for hidden_size {d} and {heads} heads");

        var activation = r.String(gemma ? "hidden_activation" : "hidden_act",
            neox ? "gelu" : gemma ? "gelu_pytorch_tanh" : "silu");
        if (gemma && r.IsNull("hidden_activation")) activation = "gelu_pytorch_tanh";
        if (!SupportedActivations.Contains(activation))
            throw r.Refuse(gemma ? "hidden_activation" : "hidden_act",
                $"activation \"{activation}\" is not supported; supported: {string.Join(", ", SupportedActivations)}");

        var attentionBias = r.Bool("attention_bias", neox);
        var qkvBias = family == "qwen2" || attentionBias;
        var outBias = family != "qwen2" && attentionBias;
        var mlpBias = neox || r.Bool("mlp_bias", false);
        if (family == "mistral" && attentionBias) throw r.Refuse("attention_bias", "Mistral has no attention biases; supported: false");
        if (gemma && r.Bool("use_bidirectional_attention", false))
            throw r.Refuse("use_bidirectional_attention", "only causal attention is supported; supported: false");

        var tied = r.Bool("tie_word_embeddings", gemma);
        var parallel = neox && r.Bool("use_parallel_residual", true);
        double? attnCap = family == "gemma2" ? r.NullableDouble("attn_logit_softcapping", 50.0)
            : family == "gemma3_text" ? r.NullableDouble("attn_logit_softcapping", null) : null;
        double? finalCap = family == "gemma2" ? r.NullableDouble("final_logit_softcapping", 30.0)
            : family == "gemma3_text" ? r.NullableDouble("final_logit_softcapping", null) : null;
        var scale = gemma ? Math.Pow(r.Double("query_pre_attn_scalar", 256), -0.5) : Math.Pow(dHead, -0.5);

        // RoPE: rotary dims, θ and scaling of the full-attention layers, and (Gemma 3) of the local layers.
        var ropeParameters = json["rope_parameters"] as JsonObject;
        var partial = neox
            ? r.Double("rotary_pct", Nested(ropeParameters, "partial_rotary_factor") ?? r.Double("partial_rotary_factor", 0.25))
            : r.Double("partial_rotary_factor", 1.0);
        var rotaryDim = (int)(dHead * partial);
        if (rotaryDim <= 0 || rotaryDim % 2 != 0 || rotaryDim > dHead)
            throw r.Refuse(neox ? "rotary_pct" : "partial_rotary_factor", $"gives {rotaryDim} rotary dimensions of a {dHead}-wide head; it must be even and positive");
        var defaultTheta = family == "gemma3_text" ? 1_000_000.0 : 10000.0;
        RopeSpec globalRope, localRope;
        if (ropeParameters is not null && (ropeParameters["full_attention"] is JsonObject || ropeParameters["sliding_attention"] is JsonObject))
        {
            globalRope = ParseRope(r, ropeParameters["full_attention"] as JsonObject, "rope_parameters.full_attention", defaultTheta);
            localRope = ParseRope(r, ropeParameters["sliding_attention"] as JsonObject, "rope_parameters.sliding_attention", 10000.0);
        }
        else
        {
            var legacyTheta = neox ? r.Double("rotary_emb_base", r.Double("rope_theta", defaultTheta)) : r.Double("rope_theta", defaultTheta);
            var scaling = ropeParameters ?? json["rope_scaling"] as JsonObject;
            globalRope = ParseRope(r, scaling, ropeParameters is not null ? "rope_parameters" : "rope_scaling", legacyTheta);
            localRope = new RopeSpec(family == "gemma3_text" ? r.Double("rope_local_base_freq", 10000.0) : globalRope.Theta);
            if (family != "gemma3_text") localRope = globalRope;
        }

        // Sliding windows per layer, as each family's config builds its layer_types.
        var window = r.NullableInt("sliding_window", gemma || family is "mistral" or "qwen2" or "qwen3" ? 4096 : null);
        var windows = new int?[layers];
        var layerTypes = json["layer_types"] as JsonArray;
        if (layerTypes is not null)
        {
            if (layerTypes.Count != layers) throw r.Refuse("layer_types", $"has {layerTypes.Count} entries for {layers} layers");
            for (var l = 0; l < layers; l++)
            {
                var t = r.Convert<string>(layerTypes[l], $"layer_types[{l}]", "a string");
                windows[l] = t switch
                {
                    "full_attention" => null,
                    "sliding_attention" => window ?? throw r.Refuse("sliding_window", "layer_types has sliding_attention layers but no sliding_window"),
                    _ => throw r.Refuse("layer_types", $"entry \"{t}\" is not supported; supported: full_attention, sliding_attention"),
                };
            }
        }
        else
        {
            for (var l = 0; l < layers; l++)
                windows[l] = family switch
                {
                    "gemma2" => (l + 1) % 2 != 0 ? window : null,
                    "gemma3_text" => (l + 1) % r.Int("sliding_window_pattern", 6) != 0 ? window : null,
                    "mistral" => window,
                    "qwen2" or "qwen3" => r.Bool("use_sliding_window", false) && l >= r.Int("max_window_layers", 28) ? window : null,
                    _ => null,
                };
        }
        if (windows.Any(w => w is <= 0)) throw r.Refuse("sliding_window", $"must be positive, got {window}");

        var bos = r.NullableInt("bos_token_id", neox ? 0 : family.StartsWith("gemma") ? 2 : 1) ?? 0;
        if (bos < 0 || bos >= vocab) bos = 0;
        var dtype = r.String("dtype", r.String("torch_dtype", "float32"));

        return new DecoderConfig(
            Family: family, VocabSize: vocab, DModel: d, NLayers: layers, NHeads: heads, NKvHeads: kvHeads, DHead: dHead,
            DMlp: mlp, ContextLength: context,
            Norm: neox ? NormKind.LayerNorm : NormKind.RmsNorm,
            NormEps: neox ? r.Double("layer_norm_eps", 1e-5) : r.Double("rms_norm_eps", 1e-6),
            NormPlusOne: gemma, Activation: activation, GatedMlp: !neox, MlpBias: mlpBias,
            QkvBias: qkvBias, OutBias: outBias, QkNorm: family is "qwen3" or "gemma3_text", PostNorms: gemma,
            ScaleEmbeddings: gemma, AttentionScale: scale, AttentionSoftcap: attnCap, FinalSoftcap: finalCap,
            TiedEmbeddings: tied, ParallelResidual: parallel, RotaryDim: rotaryDim, Rope: globalRope,
            LocalRope: family == "gemma3_text" ? localRope : null, SlidingWindows: windows, BosTokenId: bos,
            StoredDtype: dtype);
    }

    private static double? Nested(JsonObject? o, string key) =>
        o?[key] is { } node ? JsonNode.Parse(node.ToJsonString()) is JsonValue v && v.TryGetValue<double>(out var x) ? x : null : null;

    private static RopeSpec ParseRope(Reader r, JsonObject? scaling, string key, double theta)
    {
        if (scaling is null) return new RopeSpec(theta);
        var type = (scaling["rope_type"] ?? scaling["type"]) is { } typeNode ? r.Convert<string>(typeNode, $"{key}.rope_type", "a string") : "default";
        if (scaling["rope_theta"] is { } t) theta = r.Convert<double>(t, $"{key}.rope_theta", "a number");
        if (!SupportedRopeTypes.Contains(type))
            throw r.Refuse($"{key}.rope_type", $"RoPE type \"{type}\" is not supported; supported: {string.Join(", ", SupportedRopeTypes)}");
        double Get(string name, double fallback) => scaling[name] is { } v ? r.Convert<double>(v, $"{key}.{name}", "a number") : fallback;
        return type switch
        {
            "default" => new RopeSpec(theta),
            "linear" => new RopeSpec(theta, "linear", Get("factor", 1)),
            _ => new RopeSpec(theta, "llama3", Get("factor", 8), Get("low_freq_factor", 1), Get("high_freq_factor", 4),
                (int)Get("original_max_position_embeddings", 8192)),
        };
    }

    /// <summary>Typed access to config fields with errors that name the key.</summary>
    private sealed class Reader(JsonObject json, string path)
    {
        public LanguageModelFolderException Refuse(string key, string problem) => new(path, $"\"{key}\": {problem}");

        public bool IsNull(string key) => json.ContainsKey(key) && json[key] is null;

        private T Get<T>(string key, T fallback, string kind) =>
            !json.TryGetPropertyValue(key, out var node) || node is null ? fallback : Convert<T>(node, key, kind);

        /// <summary>The node's value as T, or a refusal naming <paramref name="key"/>.</summary>
        public T Convert<T>(JsonNode? node, string key, string kind)
        {
            if (node is JsonValue value && value.TryGetValue<T>(out var direct)) return direct;
            // A value built in code (an int where a double is read) converts through its JSON text.
            try { return JsonNode.Parse(node?.ToJsonString() ?? "null")!.GetValue<T>(); }
            catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or NullReferenceException)
            {
                throw Refuse(key, $"is not {kind}");
            }
        }

        public int Int(string key)
        {
            if (!json.ContainsKey(key) || json[key] is null) throw new LanguageModelFolderException(path, $"missing required field \"{key}\"");
            return Int(key, 0);
        }

        public int Int(string key, int fallback)
        {
            var value = Get<double>(key, fallback, "an integer");
            if (value != Math.Floor(value) || value is > int.MaxValue or < int.MinValue) throw Refuse(key, "is not an integer");
            return (int)value;
        }

        public int? NullableInt(string key, int? fallback) =>
            json.TryGetPropertyValue(key, out var node) ? node is null ? null : Int(key, 0) : fallback;

        public double Double(string key, double fallback) => Get(key, fallback, "a number");

        public double? NullableDouble(string key, double? fallback) =>
            json.TryGetPropertyValue(key, out var node) ? node is null ? null : Double(key, 0) : fallback;

        public bool Bool(string key, bool fallback) => Get(key, fallback, "true or false");

        public string String(string key, string fallback) => Get(key, fallback, "a string");
    }
}
