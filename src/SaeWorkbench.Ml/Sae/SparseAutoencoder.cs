using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// A trained (or training) sparse autoencoder with SAELens tensor names and shapes (SCIENCE.md §1):
/// <c>W_enc</c> [d, m], <c>b_enc</c> [m], <c>W_dec</c> [m, d], <c>b_dec</c> [d], and for JumpReLU a per-latent
/// <c>threshold</c> [m]. A BatchTopK SAE in inference form is a JumpReLU (§2), so it is held as one.
/// Owns its tensors; dispose it.
/// </summary>
public sealed class SparseAutoencoder : IDisposable
{
    /// <summary>Activation function at inference: TopK keeps k per token, JumpReLU uses <see cref="Threshold"/>.</summary>
    public SaeArchitecture Architecture { get; }

    /// <summary>Input width d.</summary>
    public int DIn { get; }

    /// <summary>Number of latents m.</summary>
    public int DSae { get; }

    /// <summary>Latents kept per token (TopK only, else 0).</summary>
    public int K { get; }

    public Tensor WEnc { get; }
    public Tensor BEnc { get; }
    public Tensor WDec { get; }
    public Tensor BDec { get; }

    /// <summary>θ per latent for JumpReLU, else null.</summary>
    public Tensor? Threshold { get; }

    public SparseAutoencoder(SaeArchitecture architecture, int k, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec,
        Tensor? threshold = null)
    {
        if (architecture == SaeArchitecture.BatchTopK)
            throw new ArgumentException("a BatchTopK SAE is held as a JumpReLU at inference (SCIENCE.md §2); pass JumpRelu with its threshold");
        if (wEnc.dim() != 2) throw new ArgumentException($"W_enc must be [d, m], got [{string.Join(", ", wEnc.shape)}]");
        DIn = (int)wEnc.shape[0];
        DSae = (int)wEnc.shape[1];
        RequireShape("b_enc", bEnc, DSae);
        RequireShape("W_dec", wDec, DSae, DIn);
        RequireShape("b_dec", bDec, DIn);
        if (architecture == SaeArchitecture.JumpRelu)
        {
            if (threshold is null) throw new ArgumentException("a JumpReLU SAE needs a threshold tensor [m]");
            RequireShape("threshold", threshold, DSae);
        }
        if (architecture == SaeArchitecture.TopK && (k < 1 || k >= DSae))
            throw new ArgumentException($"k must be between 1 and the number of latents - 1 ({DSae - 1}), got {k}");
        Architecture = architecture;
        K = architecture == SaeArchitecture.TopK ? k : 0;
        WEnc = wEnc.detach().to(float32).contiguous().DetachFromDisposeScope();
        BEnc = bEnc.detach().to(float32).contiguous().DetachFromDisposeScope();
        WDec = wDec.detach().to(float32).contiguous().DetachFromDisposeScope();
        BDec = bDec.detach().to(float32).contiguous().DetachFromDisposeScope();
        Threshold = architecture == SaeArchitecture.JumpRelu ? threshold!.detach().to(float32).contiguous().DetachFromDisposeScope() : null;
    }

    private static void RequireShape(string name, Tensor t, params long[] shape)
    {
        if (!t.shape.SequenceEqual(shape))
            throw new ArgumentException($"{name} must have shape [{string.Join(", ", shape)}], got [{string.Join(", ", t.shape)}]");
    }

    /// <summary>Pre-activation <c>(x - b_dec) W_enc + b_enc</c> (SCIENCE.md §2), [B, m].</summary>
    public Tensor PreActivation(Tensor x) => addmm(BEnc, x - BDec, WEnc, 1, 1);

    /// <summary>Latent activations f(x), dense [B, m].</summary>
    public Tensor Encode(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pre = PreActivation(x);
        Tensor f = Architecture switch
        {
            SaeArchitecture.Relu => nn.functional.relu(pre),
            SaeArchitecture.TopK => TopKDense(pre, K),
            SaeArchitecture.JumpRelu => pre * pre.gt(Threshold!).to(pre.dtype),
            _ => throw new InvalidOperationException(),
        };
        return f.MoveToOuterDisposeScope();
    }

    /// <summary>Reconstruction <c>f W_dec + b_dec</c>, [B, d].</summary>
    public Tensor Decode(Tensor f) => addmm(BDec, f, WDec, 1, 1);

    /// <summary>x̂ for x; for TopK decodes from the k active latents only.</summary>
    public Tensor Reconstruct(Tensor x)
    {
        using var scope = NewDisposeScope();
        var flat = x.reshape(-1, DIn);
        Tensor xHat;
        if (Architecture == SaeArchitecture.TopK)
        {
            var (vals, idx) = SparseLatents.TopK(PreActivation(flat), K);
            xHat = SparseLatents.Decode(idx, vals, WDec, BDec);
        }
        else xHat = Decode(Encode(flat));
        return xHat.reshape(x.shape).MoveToOuterDisposeScope();
    }

    /// <summary>ReLU of the k largest pre-activations per token, scattered into a dense [B, m] tensor.</summary>
    public static Tensor TopKDense(Tensor pre, int k)
    {
        using var scope = NewDisposeScope();
        var (vals, idx) = SparseLatents.TopK(pre, k);
        return zeros_like(pre).scatter_(1, idx, vals).MoveToOuterDisposeScope();
    }

    /// <summary>The SAELens tensors by name (the SAE keeps ownership).</summary>
    public Dictionary<string, Tensor> Tensors()
    {
        var d = new Dictionary<string, Tensor> { ["W_enc"] = WEnc, ["b_enc"] = BEnc, ["W_dec"] = WDec, ["b_dec"] = BDec };
        if (Threshold is not null) d["threshold"] = Threshold;
        return d;
    }

    /// <summary>
    /// The same SAE for raw activations when it was trained on <c>s·x</c> (SCIENCE.md §3, SAELens
    /// <c>fold_activation_norm_scaling_factor</c>): pre = (s·x − b_dec)·W_enc + b_enc = (x − b_dec/s)·(s·W_enc) + b_enc,
    /// so W_enc ← s·W_enc and the latents are unchanged (b_enc and θ stay); x̂/s = f·(W_dec/s) + b_dec/s.
    /// </summary>
    public SparseAutoencoder FoldActivationScale(double s)
    {
        using var scope = NewDisposeScope();
        return new SparseAutoencoder(Architecture, K, WEnc.Times(s), BEnc.clone(), WDec.DividedBy(s), BDec.DividedBy(s), Threshold?.clone());
    }

    public SparseAutoencoder Clone()
    {
        using var scope = NewDisposeScope();
        return new SparseAutoencoder(Architecture, K, WEnc.clone(), BEnc.clone(), WDec.clone(), BDec.clone(), Threshold?.clone());
    }

    public void Dispose()
    {
        WEnc.Dispose(); BEnc.Dispose(); WDec.Dispose(); BDec.Dispose(); Threshold?.Dispose();
    }
}
