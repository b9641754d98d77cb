using SaeWorkbench.Ml.Runtime;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// saprmarks/dictionary_learning (docs/science.md §11): <c>ae.pt</c> (a torch.save state dict, read by
/// <see cref="TorchStateDict"/> without running pickle code) and <c>config.json {trainer: {dict_class, activation_dim,
/// dict_size, k, …}}</c>. Each <c>dict_class</c> is read as <c>utils.load_dictionary</c> loads it and its default
/// <c>encode</c> computes (AutoEncoder's decoder normalisation folded as its <c>from_pretrained</c> does).
/// </summary>
internal static class DictionaryLearningReader
{
    public const string Weights = "ae.pt";
    public const string Config = "config.json";

    private static readonly string[] Classes =
        ["AutoEncoder", "AutoEncoderNew", "GatedAutoEncoder", "JumpReluAutoEncoder", "AutoEncoderTopK", "BatchTopKSAE", "MatryoshkaBatchTopKSAE"];

    public static SaeLensSae Read(string folder)
    {
        var cfgPath = Path.Combine(folder, Config);
        var cfg = JsonFields.Read(cfgPath);
        var trainer = new JsonFields(cfgPath, cfg.Object("trainer") ?? throw new SaeFormatException(cfgPath, "trainer", "is missing"));
        var dictClass = trainer.String("dict_class") ?? throw new SaeFormatException(cfgPath, "trainer.dict_class", "is missing");
        if (!Classes.Contains(dictClass))
            throw new SaeFormatException(cfgPath, "trainer.dict_class", $"'{dictClass}' is not one of {string.Join(", ", Classes)}");
        var d = trainer.RequireInt("activation_dim");
        var m = trainer.RequireInt("dict_size");
        var path = Path.Combine(folder, Weights);
        var tensors = TorchStateDict.Load(path);
        try
        {
            using var scope = NewDisposeScope();
            Tensor T(string name, params long[] shape) => WeightReading.Take(tensors, path, name, shape).to(float32);
            var transforms = new List<string>();
            SparseAutoencoder sae;
            int k = 0;
            switch (dictClass)
            {
                case "AutoEncoder":
                {
                    // encode ReLU(encoder(x − bias)), decode decoder(f) + bias; from_pretrained(normalize_decoder=True)
                    // rescales unit-less decoder columns into the encoder unless they are already unit norm.
                    var wEnc = T("encoder.weight", m, d).t();
                    var bEnc = T("encoder.bias", m);
                    var wDec = T("decoder.weight", d, m).t();
                    var norms = wDec.norm(1);
                    if (!allclose(norms, ones_like(norms)))
                    {
                        if (!norms.Gt(0).all().item<bool>()) throw new SaeFormatException(path, "decoder.weight", "has a zero column, which from_pretrained's normalisation divides by");
                        wDec = wDec / norms.unsqueeze(1);
                        wEnc = wEnc * norms.unsqueeze(0);
                        bEnc = bEnc * norms;
                        transforms.Add("decoder columns normalised to unit norm and the norms folded into the encoder, as AutoEncoder.from_pretrained does by default.");
                    }
                    sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, wEnc, bEnc, wDec, T("bias", d));
                    break;
                }
                case "AutoEncoderNew":
                    sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, T("encoder.weight", m, d).t(), T("encoder.bias", m),
                        T("decoder.weight", d, m).t(), T("decoder.bias", d), null, new SaeForm { ApplyBDecToInput = false });
                    transforms.Add("AutoEncoderNew: the input is encoded without subtracting a bias.");
                    break;
                case "GatedAutoEncoder":
                    sae = new SparseAutoencoder(SaeArchitecture.Gated, 0, T("encoder.weight", m, d).t(), T("gate_bias", m),
                        T("decoder.weight", d, m).t(), T("decoder_bias", d), null, new SaeForm { BMag = T("mag_bias", m), RMag = T("r_mag", m) });
                    break;
                case "JumpReluAutoEncoder":
                    sae = new SparseAutoencoder(SaeArchitecture.JumpRelu, 0, T("W_enc", d, m), T("b_enc", m), T("W_dec", m, d), T("b_dec", d),
                        T("threshold", m), new SaeForm { ApplyBDecToInput = false });
                    transforms.Add("JumpReluAutoEncoder: apply_b_dec_to_input is false (its from_pretrained default).");
                    break;
                case "AutoEncoderTopK":
                    k = StoredK(tensors, path, trainer, m);
                    sae = new SparseAutoencoder(SaeArchitecture.TopK, k, T("encoder.weight", m, d).t(), T("encoder.bias", m),
                        T("decoder.weight", d, m).t(), T("b_dec", d));
                    RequireScalar(tensors, path, "threshold");
                    transforms.Add("AutoEncoderTopK: encodes by top-k (its default; the stored threshold is used only with use_threshold=True).");
                    break;
                default: // BatchTopKSAE, MatryoshkaBatchTopKSAE
                {
                    k = StoredK(tensors, path, trainer, m);
                    var theta = RequireScalar(tensors, path, "threshold");
                    var matryoshka = dictClass == "MatryoshkaBatchTopKSAE";
                    if (matryoshka)
                    {
                        Dim0(tensors, path, "group_sizes");
                        var groups = tensors["group_sizes"].to(int64);
                        if (groups.Lt(1).any().item<bool>()) throw new SaeFormatException(path, "group_sizes", "has a size below 1");
                        if (groups.sum().item<long>() != m) throw new SaeFormatException(path, "group_sizes", $"sum to {groups.sum().item<long>()}, not dict_size {m}");
                    }
                    var wEnc = matryoshka ? T("W_enc", d, m) : T("encoder.weight", m, d).t();
                    var bEnc = matryoshka ? T("b_enc", m) : T("encoder.bias", m);
                    var wDec = matryoshka ? T("W_dec", m, d) : T("decoder.weight", d, m).t();
                    // Default encode (use_threshold=True): ReLU(pre)·1[ReLU(pre) > θ], the JumpReLU with θ for every latent.
                    sae = new SparseAutoencoder(SaeArchitecture.JumpRelu, 0, wEnc, bEnc, wDec, T("b_dec", d), ones(m, dtype: float32).Times(theta));
                    transforms.Add($"{dictClass}: encodes with its learned threshold {theta:R} for every latent (use_threshold=True, its default), i.e. as a JumpReLU; k = {k} is used only in training.");
                    k = 0;
                    break;
                }
            }
            var extras = new JsonObject { ["dict_class"] = dictClass };
            foreach (var key in new[] { "layer", "lm_name", "submodule_name" })
                if (trainer.Node(key) is { } v) extras[key] = v.DeepClone();
            var layer = trainer.Int("layer");
            var hook = layer is { } l && (trainer.String("submodule_name") ?? "").Contains("resid", StringComparison.Ordinal) ? $"blocks.{l}.hook_resid_post" : "";
            if (hook.Length == 0) transforms.Add("the hook is not recorded in a form this reader maps (trainer.layer and a resid submodule_name); choose it at import.");
            return new SaeLensSae(sae, new SaeLensMetadata { ModelName = trainer.String("lm_name") ?? "", HookName = hook, SaeLensVersion = "", Extras = extras }, null)
            {
                Format = SaeFormatNames.DictionaryLearning,
                SourceArchitecture = dictClass,
                Transforms = transforms,
            };
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static long Dim0(Dictionary<string, Tensor> tensors, string path, string name) =>
        tensors.TryGetValue(name, out var t) && t.dim() == 1 ? t.shape[0] : throw new SaeFormatException(path, name, "is missing or not 1-D");

    private static int StoredK(Dictionary<string, Tensor> tensors, string path, JsonFields trainer, int m)
    {
        if (!tensors.TryGetValue("k", out var kt) || kt.NumberOfElements != 1) throw new SaeFormatException(path, "k", "buffer is missing");
        var stored = kt.to(int64).item<long>();
        var configured = trainer.Int("k") ?? stored;
        if (configured != stored) throw new SaeFormatException(trainer.File, "trainer.k", $"{configured} differs from the stored k buffer {stored} (from_pretrained refuses this too)");
        if (stored < 1 || stored > m) throw new SaeFormatException(path, "k", $"{stored} is outside 1…dict_size ({m})");
        return (int)stored;
    }

    private static double RequireScalar(Dictionary<string, Tensor> tensors, string path, string name) =>
        WeightReading.Check(tensors.TryGetValue(name, out var t) ? t : throw new SaeFormatException(path, name, "buffer is missing"), path, name)
            .to(float64).item<double>();
}
