using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

/// <summary>
/// The training loss of every architecture written densely with autograd, the way the Python libraries do
/// it (dense scatter, dense decoder matmul). The reference the hand-written gradients are checked against.
/// </summary>
internal static class DenseReferenceStep
{
    /// <param name="y">A transcoder's target (its output activations); null for an SAE, whose target is x.</param>
    public static (double Loss, Dictionary<string, Tensor> Gradients) Compute(SaeTrainingState s, Tensor x, double lambda, Tensor? y = null)
    {
        var cfg = s.Config;
        var p = s.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().requires_grad_(true));
        var batch = x.shape[0];
        var target = y ?? x;
        var xc = cfg.IsTranscoder ? x : x - p["b_dec"];
        var pre = matmul(xc, p["W_enc"]) + p["b_enc"];
        Tensor f;
        Tensor extra = zeros(Array.Empty<long>());
        switch (cfg.Architecture)
        {
            case SaeArchitecture.TopK:
            {
                var (v, i) = pre.topk(cfg.K, dim: 1, largest: true, sorted: false);
                f = zeros_like(pre).scatter(1, i, nn.functional.relu(v));
                break;
            }
            case SaeArchitecture.BatchTopK:
            {
                var relu = nn.functional.relu(pre);
                var (_, i) = relu.reshape(-1).topk(cfg.K * (int)batch, sorted: false);
                var mask = zeros(relu.NumberOfElements).index_fill_(0, i, 1.0).view(pre.shape);
                f = relu * mask;
                break;
            }
            case SaeArchitecture.Relu:
                f = nn.functional.relu(pre);
                extra = lambda * (f * p["W_dec"].norm(dim: 1)).sum(1).mean();
                break;
            case SaeArchitecture.JumpRelu:
            {
                var theta = (p["log_threshold"] + s.ThresholdOffset).exp();   // θ = exp(ℓ + c), c the L0 controller's offset
                var eps = cfg.JumpReluBandwidth;
                var h = (pre > theta).to(float32).detach();
                var u = ((pre - theta) / eps).detach();
                var rect = ((u > -0.5) & (u < 0.5)).to(float32);
                var thetaOnlyGrad = theta - theta.detach();               // value 0, gradient 1 w.r.t. θ
                f = pre * h + thetaOnlyGrad * (-(theta.detach() / eps) * rect);
                extra = lambda * (h.sum(1).mean() + (thetaOnlyGrad * (-(1.0 / eps) * rect)).sum(1).mean());
                break;
            }
            default: throw new InvalidOperationException();
        }
        var xHat = matmul(f, p["W_dec"]) + p["b_dec"];
        if (p.TryGetValue("W_skip", out var skip)) xHat = xHat + matmul(x, skip.t());
        var loss = (xHat - target).square().sum(1).mean() + extra;
        if (cfg.Architecture is SaeArchitecture.TopK or SaeArchitecture.BatchTopK)
        {
            var dead = s.DeadMask();
            var numDead = dead.sum().item<long>();
            if (numDead > 0)
            {
                var kAuxFull = cfg.AuxK > 0 ? cfg.AuxK : s.DOut / 2;
                var scale = Math.Min((double)numDead / kAuxFull, 1.0);
                var residual = (target - xHat).detach();
                var auxPre = where(dead.unsqueeze(0), pre, tensor(double.NegativeInfinity));
                var (av, ai) = auxPre.topk((int)Math.Min(kAuxFull, numDead), dim: 1, largest: true, sorted: false);
                var auxF = zeros_like(pre).scatter(1, ai, av);
                var auxHat = matmul(auxF, p["W_dec"]) + p["b_dec"];
                loss = loss + cfg.AuxKCoefficient * scale * (auxHat - residual).square().sum(1).mean();
            }
        }
        loss.backward();
        return (loss.item<float>(), p.ToDictionary(kv => kv.Key, kv => kv.Value.grad!.detach().clone()));
    }
}
