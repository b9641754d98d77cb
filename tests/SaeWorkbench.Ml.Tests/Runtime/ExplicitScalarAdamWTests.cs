using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Runtime;

public sealed class ExplicitScalarAdamWTests
{
    private static (List<Parameter> Parameters, AdamW Optimizer) Make()
    {
        using var g = new Generator(11, CPU);
        var parameters = new List<Parameter> { new(randn([5, 7], generator: g)), new(randn([7], generator: g)) };
        return (parameters, optim.AdamW(parameters, 3e-3, 0.9, 0.95, 1e-8, 0.1));
    }

    /// <summary>Gradients of Σ p·t for targets drawn from one seeded generator: the same for both optimizers.</summary>
    private static void Backward(List<Parameter> parameters, Generator g)
    {
        using var scope = NewDisposeScope();
        var loss = parameters.Select(p => (p * randn(p.shape, generator: g)).sum()).Aggregate((a, b) => a + b);
        loss.backward();
    }

    private static byte[] Bytes(Tensor t) => t.detach().contiguous().bytes.ToArray();

    [Fact]
    public void Its_steps_equal_TorchSharps_AdamW_step_bit_for_bit_with_a_learning_rate_that_changes()
    {
        var (expected, reference) = Make();
        var (actual, explicitScalars) = Make();
        using var gradientsA = new Generator(5, CPU);
        using var gradientsB = new Generator(5, CPU);
        for (var step = 0; step < 6; step++)
        {
            var lr = 1e-3 * (step + 1);
            foreach (var group in reference.ParamGroups) group.LearningRate = lr;
            foreach (var group in explicitScalars.ParamGroups) group.LearningRate = lr;
            reference.zero_grad();
            explicitScalars.zero_grad();
            Backward(expected, gradientsA);
            Backward(actual, gradientsB);
            reference.step();
            ExplicitScalarAdamW.Step(explicitScalars);
        }

        for (var i = 0; i < expected.Count; i++) Assert.Equal(Bytes(expected[i]), Bytes(actual[i]));
        var (s1, s2) = (reference.state_dict().State, explicitScalars.state_dict().State);
        for (var i = 0; i < s1.Count; i++)
        {
            var (a, b) = ((AdamW.State)s1[i], (AdamW.State)s2[i]);
            Assert.Equal(a.step, b.step);
            Assert.Equal(Bytes(a.exp_avg), Bytes(b.exp_avg));
            Assert.Equal(Bytes(a.exp_avg_sq), Bytes(b.exp_avg_sq));
        }
        // The update is not a no-op: the parameters moved from where they started.
        var (start, _) = Make();
        Assert.NotEqual(Bytes(start[0]), Bytes(actual[0]));
    }
}
