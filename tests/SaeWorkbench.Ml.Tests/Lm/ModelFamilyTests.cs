using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Lm;

/// <summary>
/// Every family against golden logits and hook activations from an independent reference (LitGPT's model run on the
/// weights its own Hugging Face converter read; Fixtures/README.md), and KV-cached decoding against the full pass.
/// </summary>
public sealed class ModelFamilyTests
{
    public static TheoryData<string> Fixtures() =>
        ["gpt2", "llama3", "mistral", "qwen2", "qwen3", "gemma2", "gemma3", "pythia", "neox_sequential"];

    internal static string FixtureFolder(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "SaeWorkbench.Ml.Tests", "Lm", "Fixtures", name);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/SaeWorkbench.Ml.Tests/Lm/Fixtures/{name} not found above the test binaries");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Logits_and_every_hook_match_the_reference_within_1e_4_in_float32(string fixture)
    {
        var folder = FixtureFolder(fixture);
        using var scope = NewDisposeScope();
        var golden = Safetensors.Load(Path.Combine(folder, "golden.safetensors"));
        using var model = HuggingFaceModels.LoadModel(folder);
        var tokens = golden["tokens"].unsqueeze(0);                                       // [1, T]
        var seen = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var handles = model.HookNames.Select(h => model.AddHook(h, a => { seen[h] = a.detach().clone(); return a; })).ToList();
        var logits = model.Forward(tokens)[0];                                            // [T, vocab]
        handles.ForEach(h => h.Dispose());

        Assert.Equal(golden["logits"].shape, logits.shape);
        Assert.True(MaxDiff(golden["logits"], logits) < 1e-4, $"{fixture} logits differ by {MaxDiff(golden["logits"], logits)}");
        Assert.Equal(golden.Keys.Where(k => k is not ("tokens" or "logits")).Order(), model.HookNames.Order());
        foreach (var hook in model.HookNames)
        {
            var actual = seen[hook][0];                                                   // [T, width]
            Assert.Equal(golden[hook].shape, actual.shape);
            Assert.Equal(model.HookWidth(hook), (int)actual.shape[1]);
            var diff = MaxDiff(golden[hook], actual);
            Assert.True(diff < 1e-4, $"{fixture} {hook} differs by {diff}");
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Kv_cached_decoding_equals_the_full_forward_pass(string fixture)
    {
        using var scope = NewDisposeScope();
        var golden = Safetensors.Load(Path.Combine(FixtureFolder(fixture), "golden.safetensors"));
        using var model = HuggingFaceModels.LoadModel(FixtureFolder(fixture));
        var tokens = golden["tokens"].unsqueeze(0);                                       // [1, T]
        var full = model.Forward(tokens);                                                 // [1, T, vocab]
        var length = tokens.shape[1];
        // A 3-token prompt, then one token at a time past every sliding window, then a 2-token chunk.
        using var cache = model.CreateKvCache();
        var pieces = new List<Tensor> { model.Forward(tokens.narrow(1, 0, 3), cache) };
        for (var i = 3; i < length - 2; i++) pieces.Add(model.Forward(tokens.narrow(1, i, 1), cache));
        pieces.Add(model.Forward(tokens.narrow(1, length - 2, 2), cache));
        var cached = cat(pieces, 1);
        Assert.Equal((int)length, cache.Length);
        Assert.True(MaxDiff(full, cached) < 1e-5, $"{fixture}: cached decoding differs by {MaxDiff(full, cached)}");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Run_to_hook_returns_the_hooked_activation_and_a_replacement_changes_the_logits(string fixture)
    {
        using var scope = NewDisposeScope();
        var golden = Safetensors.Load(Path.Combine(FixtureFolder(fixture), "golden.safetensors"));
        using var model = HuggingFaceModels.LoadModel(FixtureFolder(fixture));
        var tokens = golden["tokens"].unsqueeze(0);
        var hook = $"blocks.{model.NLayers - 1}.attn.hook_z";
        var z = model.RunToHook(tokens, hook)[0];
        Assert.True(MaxDiff(golden[hook], z) < 1e-4);
        var before = model.Forward(tokens);
        using (model.AddHook(hook, a => zeros_like(a)))
        {
            var ablated = model.Forward(tokens);
            Assert.True(MaxDiff(before, ablated) > 1e-3, "zeroing hook_z did not change the logits");
        }
        Assert.True(MaxDiff(before, model.Forward(tokens)) == 0, "the hook stayed active after disposal");
    }

    [Fact]
    public void A_bfloat16_checkpoint_runs_in_bfloat16_close_to_the_float32_reference()
    {
        using var scope = NewDisposeScope();
        var folder = FixtureFolder("gemma2");
        var golden = Safetensors.Load(Path.Combine(folder, "golden.safetensors"));
        using var model = HuggingFaceModels.LoadModel(folder, ScalarType.BFloat16);
        var logits = model.Forward(golden["tokens"].unsqueeze(0))[0];
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        var diff = MaxDiff(golden["logits"], logits.to(ScalarType.Float32));
        Assert.True(diff < 0.1, $"bf16 logits differ by {diff}");
    }

    [Theory]
    [InlineData("gemma2", NormKind.RmsNorm)]
    [InlineData("pythia", NormKind.LayerNorm)]
    public void The_final_norm_is_described_with_its_kind_effective_scale_and_eps(string fixture, NormKind kind)
    {
        using var scope = NewDisposeScope();
        var folder = FixtureFolder(fixture);
        using var model = HuggingFaceModels.LoadModel(folder);
        using var norm = model.FinalNorm;
        Assert.Equal(kind, norm.Kind);
        var stored = HuggingFaceModels.WeightFiles(folder);
        var name = kind == NormKind.RmsNorm ? "model.norm.weight" : "gpt_neox.final_layer_norm.weight";
        var raw = Safetensors.Load(stored[name], n => n == name)[name].to(ScalarType.Float32);
        // Gemma's RMSNorm scales by 1 + w.
        var expected = kind == NormKind.RmsNorm ? raw + ones_like(raw) : raw;
        Assert.True(MaxDiff(expected, norm.Weight) == 0);
        Assert.Equal(kind == NormKind.LayerNorm, norm.Bias is not null);
        using var wu = model.UnembeddingMatrix();
        Assert.Equal([(long)model.DModel, model.VocabSize], wu.shape);
    }

    internal static double MaxDiff(Tensor a, Tensor b) =>
        (a.to(ScalarType.Float32) - b.to(ScalarType.Float32)).abs().max().item<float>();
}
