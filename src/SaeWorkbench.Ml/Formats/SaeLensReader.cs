using SaeWorkbench.Ml.Runtime;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>Choices a person makes when importing a published dictionary.</summary>
public sealed record SaeLoadOptions
{
    /// <summary>
    /// Centre each input on its per-token mean (TransformerLens <c>center_writing_weights</c>). Null: follow the
    /// dictionary's own record (<c>metadata.model_from_pretrained_kwargs.center_writing_weights</c>).
    /// </summary>
    public bool? CentreWritingWeights { get; init; }

    /// <summary>
    /// The dataset norm scaling factor of a SAELens dictionary with <c>normalize_activations:
    /// "expected_average_only_in"</c>, which SAELens keeps outside the folder; folded into the weights when given.
    /// </summary>
    public double? NormScalingFactor { get; init; }
}

/// <summary>The format names a reader reports (shown by <c>sae inspect</c> and on the dictionary page).</summary>
public static class SaeFormatNames
{
    public const string SaeLens = "SAELens v6";
    public const string SaeLensPre6 = "SAELens (before 6.0)";
    public const string GemmaScope1 = "Gemma Scope 1";
    public const string GemmaScope2 = "Gemma Scope 2";
    public const string LlamaScope = "Llama Scope";
    public const string Sparsify = "sparsify";
    public const string DictionaryLearning = "dictionary_learning";
}

/// <summary>
/// Reads SAELens folders the way SAELens 6's <c>SAE.load_from_disk</c> does (docs/science.md §11): old configs are
/// first renamed as <c>handle_pre_6_0_config</c> does, then each architecture's <c>encode</c>/<c>decode</c> is honoured:
/// <c>apply_b_dec_to_input</c> and <c>normalize_activations</c> as part of the dictionary, TopK's
/// <c>rescale_acts_by_decoder_norm</c> and a non-unit <c>scaling_factor</c> folded into the weights, BatchTopK as
/// JumpReLU, <c>log_threshold</c> as exp. Anything else that would change the maths is refused by field.
/// </summary>
internal static class SaeLensReader
{
    private static readonly string[] Architectures =
    [
        "standard", "topk", "jumprelu", "gated", "batchtopk", "matryoshka_batchtopk",
        "transcoder", "skip_transcoder", "jumprelu_transcoder", "jumprelu_skip_transcoder",
    ];

    /// <summary>TransformerLens processing flags that change the activations at some hooks: flag → hooks it changes.</summary>
    private static readonly Dictionary<string, Func<string, bool>> ProcessingFlags = new()
    {
        // fold_ln moves LayerNorm weights into the next layer: only the normalised outputs change.
        ["fold_ln"] = hook => hook.Contains("hook_normalized", StringComparison.Ordinal) || hook.EndsWith("hook_scale", StringComparison.Ordinal),
        // fold_value_biases moves b_V into b_O: per-head values and z change.
        ["fold_value_biases"] = hook => hook.Contains(".attn.hook_", StringComparison.Ordinal),
        ["refactor_factored_attn_matrices"] = hook => hook.Contains(".attn.hook_", StringComparison.Ordinal),
        ["center_unembed"] = _ => false,
    };

    public static SaeLensSae Read(string folder, SaeLoadOptions options)
    {
        var cfgPath = Path.Combine(folder, SaeLensFolder.ConfigFile);
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"{folder} is not a SAELens SAE folder: {SaeLensFolder.ConfigFile} is missing", cfgPath);
        var raw = JsonFields.Read(cfgPath);
        var meta = raw.Object("metadata") ?? new JsonObject();
        var version = (meta["sae_lens_version"] ?? raw.Node("sae_lens_version"))?.ToString();
        var pre6 = !IsVersion6(version);
        var cfg = pre6 ? Pre6(raw) : raw;
        var transforms = new List<string>();
        // Old configs keep metadata at the top level.
        JsonNode? MetaField(string name) => meta[name] ?? cfg.Node(name);

        var archName = cfg.String("architecture") ?? "standard";
        if (!Architectures.Contains(archName))
            throw new SaeFormatException(cfgPath, "architecture", $"'{archName}' is not a SAELens architecture this workbench reads ({string.Join(", ", Architectures)})");
        var transcoder = archName.Contains("transcoder", StringComparison.Ordinal);
        var skip = archName.Contains("skip_transcoder", StringComparison.Ordinal);
        var dIn = cfg.RequireInt("d_in");
        var dSae = cfg.RequireInt("d_sae");
        var dOut = transcoder ? cfg.RequireInt("d_out") : dIn;
        if (cfg.Has("d_out") && !transcoder && cfg.Int("d_out") != dIn)
            throw new SaeFormatException(cfgPath, "d_out", $"{cfg.Int("d_out")} differs from d_in {dIn} but architecture '{archName}' is not a transcoder");
        var applyBDec = cfg.Bool("apply_b_dec_to_input") ?? true;
        if (transcoder && applyBDec)
            throw new SaeFormatException(cfgPath, "apply_b_dec_to_input", "is true, but SAELens refuses it for transcoders (b_dec lives on the output side)");
        if (!applyBDec && !transcoder) transforms.Add("apply_b_dec_to_input is false: b_dec is not subtracted from the input (kept as the dictionary's input convention).");

        var normalization = InputNormalization.None;
        double? foldScale = null;
        var norm = cfg.Node("normalize_activations");
        switch (norm?.ToString())
        {
            case null or "none": break;
            case "layer_norm":
                normalization = InputNormalization.LayerNorm;
                transforms.Add("normalize_activations \"layer_norm\": each input is centred and divided by its (unbiased) std + 1e-5 before encoding, and the reconstruction is scaled back (input transform).");
                break;
            case "constant_norm_rescale":
                normalization = InputNormalization.ConstantNormRescale;
                transforms.Add("normalize_activations \"constant_norm_rescale\": each input is scaled to norm √d_in before encoding and the reconstruction scaled back (input transform).");
                break;
            case "expected_average_only_in":
                if (options.NormScalingFactor is not { } s || !(s > 0) || !double.IsFinite(s))
                    throw new SaeFormatException(cfgPath, "normalize_activations",
                        "is \"expected_average_only_in\" but the dataset norm scaling factor is not in the folder (SAELens keeps it in its pretrained directory); " +
                        "give it with --norm-scaling-factor (sae inspect, sae encode) or as the import's norm scaling factor (normScalingFactor), " +
                        "or fold it with SAELens's fold_activation_norm_scaling_factor and save the folder again");
                foldScale = s;
                transforms.Add($"normalize_activations \"expected_average_only_in\" with scaling factor {s:R}: folded into W_enc (×s), W_dec and b_dec (÷s), as SAELens's fold_activation_norm_scaling_factor does.");
                break;
            default:
                throw new SaeFormatException(cfgPath, "normalize_activations", $"'{norm}' is not one of none, layer_norm, constant_norm_rescale, expected_average_only_in");
        }
        // A factor given for a folder that does not use one would otherwise be silently ignored.
        if (options.NormScalingFactor is not null && foldScale is null)
            throw new SaeFormatException(cfgPath, "normalize_activations",
                $"is \"{norm?.ToString() ?? "none"}\": a norm scaling factor applies only to \"expected_average_only_in\"; leave it out");
        if (transcoder && normalization != InputNormalization.None)
            throw new SaeFormatException(cfgPath, "normalize_activations", $"'{norm}' on a transcoder is not supported (SAELens normalises a transcoder's input but never its output)");

        var hookName = (MetaField("hook_name") ?? MetaField("hook_point"))?.ToString() ?? "";
        var reshape = cfg.String("reshape_activations") ?? "none";
        if (reshape is not ("none" or "hook_z"))
            throw new SaeFormatException(cfgPath, "reshape_activations", $"'{reshape}' is not one of none, hook_z");
        var hookZ = reshape == "hook_z";
        if (hookZ) transforms.Add("reshape_activations \"hook_z\": the input is attn.hook_z with its heads flattened to heads·d_head (input transform).");
        if (MetaField("hook_head_index") is { } head && head.GetValueKind() != System.Text.Json.JsonValueKind.Null)
            throw new SaeFormatException(cfgPath, "hook_head_index", $"is {head.ToJsonString()}: a dictionary that reads a single attention head is not supported");

        var centre = CentreWritingWeights(cfgPath, meta, cfg, hookName, transcoder, options, transforms);

        var k = 0;
        if (archName == "topk")
        {
            k = cfg.Int("k") ?? throw new SaeFormatException(cfgPath, "k", "is missing (a topk SAE needs k)");
            if (k < 1 || k > dSae) throw new SaeFormatException(cfgPath, "k", $"{k} is outside 1…d_sae ({dSae})");
        }
        var rescale = cfg.Bool("rescale_acts_by_decoder_norm") ?? false;
        // TopK uses it at inference; a BatchTopK training checkpoint (batchtopk / matryoshka_batchtopk, true by default)
        // is folded by the same _fold_norm_topk when SAELens saves it for inference, before its threshold applies.
        if (rescale && archName is not ("topk" or "batchtopk" or "matryoshka_batchtopk"))
            throw new SaeFormatException(cfgPath, "rescale_acts_by_decoder_norm", $"is true for architecture '{archName}'; SAELens applies it to topk, batchtopk and matryoshka_batchtopk only");

        var weightsPath = Path.Combine(folder, SaeLensFolder.WeightsFile);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{folder}: {SaeLensFolder.WeightsFile} is missing", weightsPath);
        var tensors = Safetensors.Load(weightsPath);
        try
        {
            using var scope = NewDisposeScope();
            Tensor T(string name, params long[] shape) => WeightReading.Take(tensors, weightsPath, name, shape).to(float32);
            var wEnc = T("W_enc", dIn, dSae);
            var wDec = T("W_dec", dSae, dOut);
            var bDec = T("b_dec", dOut);
            Tensor bEnc;
            Tensor? threshold = null;
            var form = new SaeForm { ApplyBDecToInput = applyBDec, Transcoder = transcoder, Normalization = normalization, HookZ = hookZ, CentreInput = centre };
            var arch = archName switch
            {
                "standard" or "transcoder" or "skip_transcoder" => SaeArchitecture.Relu,
                "topk" => SaeArchitecture.TopK,
                "gated" => SaeArchitecture.Gated,
                _ => SaeArchitecture.JumpRelu,
            };
            if (arch == SaeArchitecture.Gated)
            {
                bEnc = T("b_gate", dSae);
                form = form with { BMag = T("b_mag", dSae), RMag = T("r_mag", dSae) };
            }
            else bEnc = T("b_enc", dSae);
            if (arch == SaeArchitecture.JumpRelu) threshold = Threshold(tensors, weightsPath, archName, dSae, transforms);
            if (skip) form = form with { WSkip = T("W_skip", dOut, dIn) };
            else if (tensors.ContainsKey("W_skip"))
                throw new SaeFormatException(weightsPath, "W_skip", $"is present but architecture '{archName}' has no skip connection (use skip_transcoder or jumprelu_skip_transcoder)");

            // v5's fine-tuning scale multiplies the latents before decoding: folding it into W_dec's rows is exact.
            if (tensors.TryGetValue("scaling_factor", out var sf))
            {
                var factor = WeightReading.Check(sf, weightsPath, "scaling_factor", dSae).to(float32);
                if (!factor.Eq(1).all().item<bool>())
                {
                    if (!(cfg.Bool("finetuning_scaling_factor") ?? false))
                        throw new SaeFormatException(weightsPath, "scaling_factor", "is not all ones but cfg.json's finetuning_scaling_factor is not true (SAELens refuses this too)");
                    wDec = wDec * factor.unsqueeze(1);
                    transforms.Add("finetuning scaling_factor: the latents' fine-tuning scale was folded into W_dec's rows.");
                }
            }
            if (rescale)
            {
                // SAELens TopKSAE: topk(pre·‖W_dec,i‖), decoded as (f/‖W_dec,i‖)·W_dec; scaling W_enc's columns and b_enc by
                // the norms and W_dec's rows by their inverse gives the same latents and reconstruction.
                var norms = wDec.norm(1);
                if (!norms.Gt(0).all().item<bool>())
                    throw new SaeFormatException(weightsPath, "W_dec", "has a zero row, so rescale_acts_by_decoder_norm divides by zero");
                wEnc = wEnc * norms.unsqueeze(0);
                bEnc = bEnc * norms;
                wDec = wDec / norms.unsqueeze(1);
                transforms.Add("rescale_acts_by_decoder_norm: decoder row norms folded into W_enc and b_enc (W_dec rows now unit norm); latents are unchanged.");
            }
            var sae = new SparseAutoencoder(arch, k, wEnc, bEnc, wDec, bDec, threshold, form);
            if (foldScale is { } s)
            {
                var folded = sae.FoldActivationScale(s);
                sae.Dispose();
                sae = folded;
            }
            var dtype = cfg.String("dtype");
            if (dtype is not null && dtype.Replace("torch.", "") is not "float32")
                transforms.Add($"cfg dtype {dtype}: weights are computed in float32 here.");

            var extras = new JsonObject();
            foreach (var (key, v) in meta)
                if (!IsKnownMetadata(key)) extras[key] = v?.DeepClone();
            var metadata = new SaeLensMetadata
            {
                ModelName = MetaField("model_name")?.ToString() ?? "",
                HookName = hookName,
                HookNameOut = MetaField("hook_name_out")?.ToString(),
                PrependBos = MetaField("prepend_bos")?.GetValue<bool>() ?? true,
                ContextSize = MetaField("context_size") is { } c && c.GetValueKind() == System.Text.Json.JsonValueKind.Number ? c.GetValue<int>() : 0,
                DatasetPath = MetaField("dataset_path")?.ToString() ?? "",
                NeuronpediaId = MetaField("neuronpedia_id")?.ToString(),
                SaeLensVersion = version ?? "",
                Extras = extras,
            };
            if (transcoder && string.IsNullOrEmpty(metadata.HookNameOut))
                throw new SaeFormatException(cfgPath, "metadata.hook_name_out", "is missing: a transcoder must name the hook it writes");
            return new SaeLensSae(sae, metadata, LoadSparsity(folder, dSae))
            {
                Format = pre6 ? SaeFormatNames.SaeLensPre6 : SaeFormatNames.SaeLens,
                SourceArchitecture = archName,
                Transforms = transforms,
            };
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static bool IsKnownMetadata(string key) =>
        key is "model_name" or "hook_name" or "hook_point" or "hook_head_index" or "prepend_bos" or "context_size" or "dataset_path"
            or "neuronpedia_id" or "sae_lens_version" or "hook_name_out";

    private static bool IsVersion6(string? version)
    {
        if (string.IsNullOrEmpty(version)) return false;
        var major = version.Split('.', '-')[0];
        return int.TryParse(major, out var m) && m >= 6;
    }

    /// <summary>SAELens's <c>handle_pre_6_0_config</c>: renames and defaults of configs written before 6.0.</summary>
    private static JsonFields Pre6(JsonFields raw)
    {
        var cfg = new JsonObject();
        foreach (var (key, v) in raw.Root)
        {
            var name = key switch { "hook_point" => "hook_name", "hook_point_head_index" => "hook_head_index", "activation_fn_str" => "activation_fn", _ => key };
            cfg[name] = v?.DeepClone();
        }
        var fields = new JsonFields(raw.File, cfg);
        var activation = fields.String("activation_fn") ?? "relu";
        if (activation == "topk" && (fields.Object("activation_fn_kwargs")?["k"]) is { } k)
        {
            cfg["architecture"] = "topk";
            cfg["k"] = k.DeepClone();
        }
        else if (activation is not ("relu" or "topk"))
            throw new SaeFormatException(raw.File, "activation_fn", $"'{activation}' is not relu or topk");
        else if (activation == "topk")
            throw new SaeFormatException(raw.File, "activation_fn_kwargs.k", "is missing for activation_fn \"topk\"");
        if (cfg["normalize_activations"] is { } n && n.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)
            cfg["normalize_activations"] = n.GetValue<bool>() ? "expected_average_only_in" : "none";
        if (cfg["reshape_activations"] is null && (cfg["hook_name"]?.ToString() ?? "").Contains("hook_z", StringComparison.Ordinal))
            cfg["reshape_activations"] = "hook_z";
        return fields;
    }

    private static Tensor Threshold(Dictionary<string, Tensor> tensors, string file, string archName, int dSae, List<string> transforms)
    {
        if (tensors.ContainsKey("threshold")) return WeightReading.Take(tensors, file, "threshold", dSae).to(float32);
        if (tensors.ContainsKey("log_threshold"))
        {
            transforms.Add("log_threshold: threshold = exp(log_threshold).");
            return WeightReading.Take(tensors, file, "log_threshold", dSae).to(float32).exp();
        }
        if (archName.Contains("batchtopk", StringComparison.Ordinal) && tensors.TryGetValue("topk_threshold", out var t))
        {
            var scalar = WeightReading.Check(t, file, "topk_threshold");
            transforms.Add("BatchTopK topk_threshold: read as a JumpReLU with that threshold for every latent, as SAELens saves BatchTopK for inference.");
            return ones(dSae, dtype: float32).Times(scalar.to(float64).item<double>());
        }
        throw new SaeFormatException(file, "threshold", $"tensor is missing (architecture '{archName}' needs threshold or log_threshold)");
    }

    private static bool CentreWritingWeights(string cfgPath, JsonObject meta, JsonFields cfg, string hook, bool transcoder, SaeLoadOptions options,
        List<string> transforms)
    {
        var kwargs = (meta["model_from_pretrained_kwargs"] ?? cfg.Node("model_from_pretrained_kwargs")) as JsonObject;
        foreach (var (key, v) in kwargs ?? [])
        {
            if (key == "center_writing_weights") continue;
            var on = v?.GetValueKind() == System.Text.Json.JsonValueKind.True;
            if (!on) continue;
            if (!ProcessingFlags.TryGetValue(key, out var changes))
                throw new SaeFormatException(cfgPath, $"model_from_pretrained_kwargs.{key}", "is a TransformerLens model option this workbench does not reproduce");
            if (changes(hook))
                throw new SaeFormatException(cfgPath, $"model_from_pretrained_kwargs.{key}", $"changes the activations at '{hook}' in TransformerLens, which this workbench does not reproduce");
        }
        var recorded = kwargs?["center_writing_weights"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var centre = options.CentreWritingWeights ?? recorded;
        if (centre && transcoder)
            throw new SaeFormatException(cfgPath, "model_from_pretrained_kwargs.center_writing_weights", "centring a transcoder's input is not supported");
        if (centre)
            transforms.Add(recorded
                ? "center_writing_weights (TransformerLens, recorded in model_from_pretrained_kwargs): each input is centred on its per-token mean before encoding and the mean added back to the reconstruction (input transform)."
                : "center_writing_weights chosen at import: each input is centred on its per-token mean before encoding and the mean added back to the reconstruction (input transform).");
        else if (recorded)
            transforms.Add("center_writing_weights is recorded in model_from_pretrained_kwargs but was turned off at import: inputs are not centred.");
        return centre;
    }

    private static float[]? LoadSparsity(string folder, int dSae)
    {
        var path = Path.Combine(folder, SaeLensFolder.SparsityFile);
        if (!File.Exists(path)) return null;
        var tensors = Safetensors.Load(path);
        try
        {
            if (!tensors.TryGetValue("sparsity", out var s)) throw new SaeFormatException(path, "sparsity", "tensor is missing");
            if (s.NumberOfElements != dSae) throw new SaeFormatException(path, "sparsity", $"has {s.NumberOfElements} entries, expected d_sae = {dSae}");
            return s.to(float32).data<float>().ToArray();
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
