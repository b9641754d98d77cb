using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Tests.Dictionaries;

/// <summary>The JumpReLU fields of a training request: λ, ε, θ₀ and targetK (docs/science.md §2.4).</summary>
public sealed class JumpReluTrainingRequestTests
{
    private static string DemoModel()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) return Path.Combine(dir.FullName, "models", "demo-gpt2");
        throw new DirectoryNotFoundException("the repository root (SaeWorkbench.sln) is not above the test binaries");
    }

    private static SaeTrainingRequest Request(double l0, bool targetK) => new()
    {
        Model = DemoModel(), Corpus = Path.GetDirectoryName(DemoModel())!, Hook = "blocks.1.hook_resid_post", Arch = "jumprelu",
        Latents = 64, K = 8, Tokens = 8192, BatchSize = 512, L0 = l0, TargetK = targetK, Bandwidth = 0.1, InitialThreshold = 0.02,
    };

    [Fact]
    public void A_jumprelu_request_carries_lambda_bandwidth_initial_threshold_and_target_k_into_its_training_config()
    {
        var config = Request(l0: 0.5, targetK: true).ToConfig();
        Assert.Equal((SaeArchitecture.JumpRelu, 0.5, 0.1, 0.02, true, 8),
            (config.Architecture, config.L0Coefficient, config.JumpReluBandwidth, config.JumpReluInitialThreshold, config.JumpReluTargetsK, config.K));
    }

    [Fact]
    public void Lambda_zero_is_accepted_when_the_L0_is_steered_to_k_because_the_thresholds_offset_sets_the_level()
    {
        // The L0 controller moves every threshold itself (docs/science.md §2.4): λ only shapes how they differ, so 0 is a
        // valid choice, as it is with targetK off.
        Assert.Empty(Request(l0: 0, targetK: true).Validate(OperatorPaths.Instance, new JobLimits()));
        Assert.Empty(Request(l0: 0, targetK: false).Validate(OperatorPaths.Instance, new JobLimits()));
        new SaeTrainingConfig { Architecture = SaeArchitecture.JumpRelu, L0Coefficient = 0, JumpReluTargetsK = true, Latents = 64, K = 8 }.Validate(32);
    }

    [Fact]
    public void A_negative_or_infinite_lambda_is_refused_naming_the_field()
    {
        Assert.Contains(Request(l0: -1, targetK: true).Validate(OperatorPaths.Instance, new JobLimits()), e => e.StartsWith("l0:"));
        Assert.Contains(Request(l0: double.PositiveInfinity, targetK: true).Validate(OperatorPaths.Instance, new JobLimits()), e => e.StartsWith("l0:"));
    }
}
