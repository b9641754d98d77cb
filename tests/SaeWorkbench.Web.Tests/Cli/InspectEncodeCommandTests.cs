extern alias cli;

using System.CommandLine;
using System.Text.Json.Nodes;
using cli::SaeWorkbench.Cli;
using cli::SaeWorkbench.Cli.Commands;
using SaeWorkbench.Ml.Formats;
using static TorchSharp.torch;

namespace SaeWorkbench.Web.Tests.Cli;

/// <summary>
/// <c>sae encode</c> and <c>sae inspect</c> on published-format fixtures whose expected outputs their own libraries
/// computed (SaeWorkbench.Ml.Tests/Formats/Fixtures/README.md): what a researcher runs to check us against their scripts.
/// </summary>
public sealed class InspectEncodeCommandTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Formats", "Fixtures");
    private readonly string _dir = Directory.CreateTempSubdirectory("sae-encode-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("saelens-batchtopk-checkpoint", "saelens-batchtopk-checkpoint.expected.safetensors")]
    [InlineData("gemma-scope-2b-pt-res/layer_3/width_16k/average_l0_12", "gemma-scope-1.expected.safetensors")]
    [InlineData("sparsify-run/layers.3.mlp", "sparsify-skip-transcoder.expected.safetensors")]
    [InlineData("dictionary-learning/gated", "dictionary-learning-gated.expected.safetensors")]
    public void Encode_writes_what_the_dictionarys_own_library_computes_within_1e_5_relative(string folder, string expected)
    {
        var golden = Path.Combine(Fixtures, expected);
        var output = Path.Combine(_dir, "out.safetensors");
        var rc = SaeCommandLine.Build().Parse(["encode", "--sae", Path.Combine(Fixtures, folder), "--activations", golden, "--out", output]).Invoke();
        Assert.Equal(0, rc);
        var want = Safetensors.Load(golden);
        var got = Safetensors.Load(output);
        try
        {
            foreach (var name in new[] { "feature_acts", "reconstruction" })
            {
                Assert.Equal(ScalarType.Float32, got[name].dtype);
                Assert.Equal(want[name].shape, got[name].shape);
                var scale = want[name].abs().max().item<float>();
                var diff = (want[name] - got[name]).abs().max().item<float>();
                Assert.True(diff <= 1e-5 * scale, $"{folder} {name}: max |difference| {diff:E3} exceeds 1e-5 × {scale:G4}");
            }
            Assert.True(want["feature_acts"].gt(0).eq(got["feature_acts"].gt(0)).all().item<bool>(), "a different set of latents fires");
        }
        finally
        {
            foreach (var t in want.Values.Concat(got.Values)) t.Dispose();
        }
    }

    [Fact]
    public void Inspect_reports_the_stored_dtypes_of_npz_and_torch_weights_and_what_is_folded()
    {
        var gemma = DictionaryFormatCommands.Describe(Path.Combine(Fixtures, "gemma-scope-2b-pt-res", "layer_3", "width_16k", "average_l0_12"), new());
        Assert.Equal("F32", gemma["dtype"]!.GetValue<string>());
        var ae = DictionaryFormatCommands.Describe(Path.Combine(Fixtures, "dictionary-learning", "matryoshka"), new());
        // The float32 weights, and the integer buffers (k, group sizes) the state dict also holds.
        Assert.Equal("F32, I32, I64", ae["dtype"]!.GetValue<string>());
        var checkpoint = DictionaryFormatCommands.Describe(Path.Combine(Fixtures, "saelens-batchtopk-checkpoint"), new());
        Assert.Equal("batchtopk", checkpoint["architecture"]!.GetValue<string>());
        Assert.Equal("jumprelu", checkpoint["reads_as"]!.GetValue<string>());
        Assert.Contains(checkpoint["transforms"]!.AsArray(), t => t!.GetValue<string>().StartsWith("rescale_acts_by_decoder_norm", StringComparison.Ordinal));
    }

    [Fact]
    public void Inspect_says_why_a_malformed_folder_is_refused_naming_the_file_and_field()
    {
        var folder = Path.Combine(_dir, "bad-k");
        Directory.CreateDirectory(folder);
        var source = Path.Combine(Fixtures, "saelens-topk-rescaled");
        File.Copy(Path.Combine(source, "sae_weights.safetensors"), Path.Combine(folder, "sae_weights.safetensors"));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "cfg.json")))!;
        cfg["k"] = 33;   // d_sae is 32
        File.WriteAllText(Path.Combine(folder, "cfg.json"), cfg.ToJsonString());
        var report = DictionaryFormatCommands.Describe(folder, new());
        var why = report["refused"]!.GetValue<string>();
        Assert.Contains("cfg.json", why);
        Assert.Contains("k", why);
        Assert.Contains("1…d_sae", why);
    }
}
