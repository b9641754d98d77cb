using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Tests.Dictionaries;

public sealed class TranscoderTrainingRequestTests
{
    private static string DemoModel()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) return Path.Combine(dir.FullName, "models", "demo-gpt2");
        throw new DirectoryNotFoundException("the repository root (SaeWorkbench.sln) is not above the test binaries");
    }

    private static IReadOnlyList<string> Errors(string arch, string hook, string hookOut) => new SaeTrainingRequest
    {
        Model = DemoModel(), Corpus = Path.GetDirectoryName(DemoModel())!, Hook = hook, HookOut = hookOut, Arch = arch, Latents = 64, K = 8,
        Tokens = 8192, BatchSize = 512,
    }.Validate(OperatorPaths.Instance, new JobLimits());

    [Theory]
    [InlineData("transcoder", SaeArchitecture.Relu, DictionaryKind.Transcoder)]
    [InlineData("skip_transcoder", SaeArchitecture.Relu, DictionaryKind.SkipTranscoder)]
    [InlineData("jumprelu-transcoder", SaeArchitecture.JumpRelu, DictionaryKind.Transcoder)]
    [InlineData("batchtopk-skip-transcoder", SaeArchitecture.BatchTopK, DictionaryKind.SkipTranscoder)]
    [InlineData("relu-skip-transcoder", SaeArchitecture.Relu, DictionaryKind.SkipTranscoder)]
    public void A_transcoder_arch_on_an_mlp_pair_is_accepted_and_becomes_its_training_config(string arch, SaeArchitecture sparsity, DictionaryKind kind)
    {
        Assert.Empty(Errors(arch, "blocks.1.ln2.hook_normalized", "blocks.1.hook_mlp_out"));
        var config = new SaeTrainingRequest { Arch = arch, HookOut = "blocks.1.hook_mlp_out" }.ToConfig();
        Assert.Equal((sparsity, kind), (config.Architecture, config.Kind));
    }

    [Fact]
    public void A_topk_transcoder_is_refused_naming_the_reason_and_the_alternative()
    {
        var error = Assert.Single(Errors("topk-transcoder", "blocks.1.ln2.hook_normalized", "blocks.1.hook_mlp_out"));
        Assert.StartsWith("arch:", error);
        Assert.Contains("no TopK transcoder", error);
        Assert.Contains("batchtopk-transcoder", error);
    }

    [Fact]
    public void Hook_out_is_required_for_a_transcoder_refused_for_an_sae_and_must_come_after_the_input_hook()
    {
        Assert.Contains(Errors("transcoder", "blocks.1.ln2.hook_normalized", ""), e => e.StartsWith("hookOut:") && e.Contains("needs the output hook"));
        Assert.Contains(Errors("topk", "blocks.1.hook_resid_post", "blocks.1.hook_mlp_out"), e => e.StartsWith("hookOut:") && e.Contains("SAE"));
        Assert.Contains(Errors("transcoder", "blocks.1.hook_mlp_out", "blocks.1.ln2.hook_normalized"), e => e.StartsWith("hookOut:") && e.Contains("does not come after"));
        Assert.Contains(Errors("transcoder", "blocks.1.ln2.hook_normalized", "blocks.9.hook_mlp_out"), e => e.StartsWith("hookOut:") && e.Contains("unknown output hook"));
    }
}
