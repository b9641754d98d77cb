using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Runtime;

/// <summary>
/// TorchSharp's <c>AdamW.step</c> (Loshchilov &amp; Hutter 2019), operation for operation on the moments the optimizer
/// keeps and checkpoints, with every number an explicit Scalar disposed after its call. TorchSharp's own step passes its
/// numbers (β, 1 − β, ε, the step size) as implicit Scalars, which a collection on another thread can free while libtorch
/// reads them (docs/architecture.md §3, Scalars): a resumed language-model run then differed from an uninterrupted one
/// when the process was busy with other work. The results are bit for bit those of <c>optimizer.step()</c>.
/// </summary>
public static class ExplicitScalarAdamW
{
    /// <summary>One step of every parameter with a gradient, with each group's learning rate, betas, ε and weight decay.</summary>
    public static void Step(AdamW optimizer)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var dictionary = optimizer.state_dict();
        var parameterIndex = 0;
        var groupIndex = 0;
        using var one = 1.ToScalar();
        foreach (var group in optimizer.ParamGroups)
        {
            var o = (AdamW.Options)dictionary.Options[groupIndex++];
            if (o.amsgrad == true || o.maximize == true)
                throw new NotSupportedException("AMSGrad and maximize are not implemented by the explicit-scalar AdamW step.");
            double lr = o.LearningRate!.Value, beta1 = o.beta1!.Value, beta2 = o.beta2!.Value, eps = o.eps!.Value, decay = o.weight_decay!.Value;
            using var decayFactor = (1 - lr * decay).ToScalar();
            using var beta1Scalar = beta1.ToScalar();
            using var beta2Scalar = beta2.ToScalar();
            using var oneMinusBeta1 = (1 - beta1).ToScalar();
            using var oneMinusBeta2 = (1 - beta2).ToScalar();
            using var epsScalar = eps.ToScalar();
            foreach (var param in ((ParamGroup)group).Parameters)
            {
                var state = (AdamW.State)dictionary.State[parameterIndex++];
                var grad = param.grad;
                if (grad is null) continue;
                state.step += 1;
                param.mul_(decayFactor);
                var biasCorrection1 = 1 - Math.Pow(beta1, state.step);
                var biasCorrection2 = 1 - Math.Pow(beta2, state.step);
                state.exp_avg.mul_(beta1Scalar).add_(grad, oneMinusBeta1);
                state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad, oneMinusBeta2);
                using var sqrtBias2 = Math.Sqrt(biasCorrection2).ToScalar();
                var denominator = state.exp_avg_sq.sqrt().div(sqrtBias2).add_(epsScalar, one);
                using var stepSize = (-(lr / biasCorrection1)).ToScalar();
                param.addcdiv_(state.exp_avg, denominator, stepSize);
            }
        }
    }
}
