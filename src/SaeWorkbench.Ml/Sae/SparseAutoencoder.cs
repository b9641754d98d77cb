using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// A per-token transform of the input that a published dictionary applies before encoding and undoes after decoding
/// (SAELens <c>normalize_activations</c>, docs/science.md §11). It depends on each token, so it cannot be folded into
/// the weights and is kept as part of the dictionary.
/// </summary>
public enum InputNormalization
{
    None,
    /// <summary>x ← (x − mean) / (std + 1e-5) with the unbiased std; the output is x̂·std + mean (SAELens "layer_norm").</summary>
    LayerNorm,
    /// <summary>x ← x·√d/‖x‖; the output is divided by the same factor (SAELens "constant_norm_rescale").</summary>
    ConstantNormRescale,
}

/// <summary>
/// What a dictionary needs besides W_enc, b_enc, W_dec, b_dec and θ: the tensors of transcoders and gated SAEs and the
/// conventions of published formats (docs/science.md §11, §12). The defaults describe an SAE trained here.
/// </summary>
public sealed record SaeForm
{
    /// <summary>Subtract b_dec from the input before encoding (SAELens <c>apply_b_dec_to_input</c>); never for transcoders.</summary>
    public bool ApplyBDecToInput { get; init; } = true;

    /// <summary>Reads one hook and writes another (d_in → d_out); the output hook is in the dictionary's metadata.</summary>
    public bool Transcoder { get; init; }

    /// <summary>Skip matrix [d_out, d_in]: ŷ += x·W_skipᵀ on the raw input (skip transcoders).</summary>
    public Tensor? WSkip { get; init; }

    /// <summary>Gated only: magnitude bias b_mag [m] (the gate's bias is b_enc).</summary>
    public Tensor? BMag { get; init; }

    /// <summary>Gated only: r_mag [m]; the magnitude path uses W_enc ⊙ exp(r_mag).</summary>
    public Tensor? RMag { get; init; }

    public InputNormalization Normalization { get; init; } = InputNormalization.None;

    /// <summary>
    /// The dictionary reads <c>attn.hook_z</c> [.., heads, d_head] flattened to heads·d_head (SAELens
    /// <c>reshape_activations: hook_z</c>); Encode takes the flattened rows.
    /// </summary>
    public bool HookZ { get; init; }

    /// <summary>
    /// Subtract each token's mean over d_in before encoding and add it back after decoding: the activations of a
    /// TransformerLens model loaded with <c>center_writing_weights</c>, whose every residual write is centred, are the
    /// Hugging Face model's minus their per-token mean (docs/science.md §11). SAEs only.
    /// </summary>
    public bool CentreInput { get; init; }
}

/// <summary>
/// A sparse dictionary with SAELens tensor names and shapes (docs/science.md §1, §11, §12): <c>W_enc</c> [d_in, m],
/// <c>b_enc</c> [m], <c>W_dec</c> [m, d_out], <c>b_dec</c> [d_out], for JumpReLU a per-latent <c>threshold</c> [m], and
/// the extras of <see cref="SaeForm"/> (skip matrix, gated magnitude path, input normalisation). An SAE has
/// d_out = d_in; a transcoder reads d_in and writes d_out. A BatchTopK SAE in inference form is a JumpReLU (§2), so it
/// is held as one. Owns its tensors; dispose it.
/// </summary>
public sealed class SparseAutoencoder : IDisposable
{
    /// <summary>Activation function at inference: TopK keeps k per token, JumpReLU uses <see cref="Threshold"/>.</summary>
    public SaeArchitecture Architecture { get; }

    /// <summary>Input width d_in.</summary>
    public int DIn { get; }

    /// <summary>Output width d_out (= d_in for an SAE).</summary>
    public int DOut { get; }

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

    /// <summary>The conventions and extra tensors (owned by this dictionary).</summary>
    public SaeForm Form { get; }

    public bool IsTranscoder => Form.Transcoder;

    /// <summary>Whether decoding needs the input too (skip matrix or a per-token normalisation to undo).</summary>
    public bool DecodeNeedsInput => Form.WSkip is not null || Form.Normalization != InputNormalization.None || Form.CentreInput;

    public SparseAutoencoder(SaeArchitecture architecture, int k, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec,
        Tensor? threshold = null, SaeForm? form = null)
    {
        form ??= new SaeForm();
        if (architecture == SaeArchitecture.BatchTopK)
            throw new ArgumentException("a BatchTopK SAE is held as a JumpReLU at inference (docs/science.md §2); pass JumpRelu with its threshold");
        if (wEnc.dim() != 2) throw new ArgumentException($"W_enc must be [d_in, m], got [{string.Join(", ", wEnc.shape)}]");
        DIn = (int)wEnc.shape[0];
        DSae = (int)wEnc.shape[1];
        if (wDec.dim() != 2) throw new ArgumentException($"W_dec must be [m, d_out], got [{string.Join(", ", wDec.shape)}]");
        DOut = (int)wDec.shape[1];
        RequireShape("b_enc", bEnc, DSae);
        RequireShape("W_dec", wDec, DSae, DOut);
        RequireShape("b_dec", bDec, DOut);
        if (!form.Transcoder && DOut != DIn)
            throw new ArgumentException($"W_dec writes width {DOut} but W_enc reads {DIn}: only a transcoder maps d_in to a different d_out");
        if (form.Transcoder && form.ApplyBDecToInput)
            throw new ArgumentException("a transcoder cannot subtract b_dec (an output-side bias) from its input (apply_b_dec_to_input must be false)");
        if (form.WSkip is { } skip) RequireShape("W_skip", skip, DOut, DIn);
        if (form.Transcoder && (form.CentreInput || form.Normalization != InputNormalization.None))
            throw new ArgumentException("a transcoder's input is not centred or normalised here (SAELens normalises a transcoder's input but not its output)");
        if (architecture == SaeArchitecture.JumpRelu)
        {
            if (threshold is null) throw new ArgumentException("a JumpReLU SAE needs a threshold tensor [m]");
            RequireShape("threshold", threshold, DSae);
        }
        if (architecture == SaeArchitecture.Gated)
        {
            if (form.BMag is null || form.RMag is null) throw new ArgumentException("a gated SAE needs b_mag and r_mag [m]");
            RequireShape("b_mag", form.BMag, DSae);
            RequireShape("r_mag", form.RMag, DSae);
        }
        if (architecture == SaeArchitecture.TopK && (k < 1 || k > DSae))
            throw new ArgumentException($"k must be between 1 and the number of latents ({DSae}), got {k}");
        Architecture = architecture;
        K = architecture == SaeArchitecture.TopK ? k : 0;
        WEnc = Own(wEnc);
        BEnc = Own(bEnc);
        WDec = Own(wDec);
        BDec = Own(bDec);
        Threshold = architecture == SaeArchitecture.JumpRelu ? Own(threshold!) : null;
        Form = form with
        {
            WSkip = form.WSkip is { } s ? Own(s) : null,
            BMag = architecture == SaeArchitecture.Gated ? Own(form.BMag!) : null,
            RMag = architecture == SaeArchitecture.Gated ? Own(form.RMag!) : null,
        };
    }

    private static Tensor Own(Tensor t) => t.detach().to(float32).contiguous().DetachFromDisposeScope();

    private static void RequireShape(string name, Tensor t, params long[] shape)
    {
        if (!t.shape.SequenceEqual(shape))
            throw new ArgumentException($"{name} must have shape [{string.Join(", ", shape)}], got [{string.Join(", ", t.shape)}]");
    }

    /// <summary>
    /// The input as the encoder sees it: normalised per token where the dictionary says so, then minus b_dec when
    /// <see cref="SaeForm.ApplyBDecToInput"/> (SAELens <c>process_sae_in</c>, docs/science.md §11).
    /// </summary>
    private Tensor EncoderInput(Tensor x)
    {
        if (Form.CentreInput) x = x - x.mean([-1], keepdim: true);
        var normalised = Form.Normalization switch
        {
            InputNormalization.LayerNorm => LayerNormIn(x),
            InputNormalization.ConstantNormRescale => x * RescaleFactor(x),
            _ => x,
        };
        return Form.ApplyBDecToInput ? normalised - BDec : normalised;
    }

    private static Tensor LayerNormIn(Tensor x)
    {
        // SAELens's run_time_activation_ln_in: unbiased std, eps added to the std (not the variance).
        var centred = x - x.mean([-1], keepdim: true);
        return centred / centred.std(-1, unbiased: true, keepdim: true).Plus(1e-5);
    }

    private Tensor RescaleFactor(Tensor x) => x.norm(-1, keepdim: true).reciprocal().Times(Math.Sqrt(DIn));

    /// <summary>Pre-activation <c>x'·W_enc + b_enc</c> with x' the encoder input (docs/science.md §2, §11), [B, m]; the gate's for a gated SAE.</summary>
    public Tensor PreActivation(Tensor x)
    {
        using var scope = NewDisposeScope();
        return addmm(BEnc, EncoderInput(x), WEnc, 1, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Latent activations f(x), dense [B, m].</summary>
    public Tensor Encode(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor f;
        if (Architecture == SaeArchitecture.Gated)
        {
            // SAELens GatedSAE.encode: 1[x'·W_enc + b_gate > 0] · ReLU(x'·(W_enc ⊙ exp r_mag) + b_mag).
            var sae = EncoderInput(x);
            var projected = matmul(sae, WEnc);                                          // [B, m]
            var gate = projected.Plus(BEnc).Gt(0).to(projected.dtype);
            var magnitude = nn.functional.relu(addmm(Form.BMag!, sae, WEnc * Form.RMag!.exp(), 1, 1));
            f = gate * magnitude;
        }
        else
        {
            var pre = PreActivation(x);
            f = Architecture switch
            {
                SaeArchitecture.Relu => nn.functional.relu(pre),
                SaeArchitecture.TopK => TopKDense(pre, K),
                // ReLU before the threshold, as SAELens and dictionary_learning do: with a negative θ a plain
                // pre·1[pre > θ] would let negative activations through.
                SaeArchitecture.JumpRelu => nn.functional.relu(pre) * pre.gt(Threshold!).to(pre.dtype),
                _ => throw new InvalidOperationException(),
            };
        }
        return f.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Reconstruction <c>f W_dec + b_dec</c>, [B, d_out], for a dictionary whose decoding does not depend on the input
    /// (no skip matrix, no per-token normalisation); otherwise use <see cref="Decode(Tensor, Tensor)"/>.
    /// </summary>
    public Tensor Decode(Tensor f)
    {
        if (DecodeNeedsInput)
            throw new InvalidOperationException("this dictionary's output depends on its input (skip matrix or per-token normalisation): call Decode(f, x)");
        return addmm(BDec, f, WDec, 1, 1);
    }

    /// <summary>
    /// Reconstruction for latents <paramref name="f"/> of input <paramref name="x"/>: f·W_dec + b_dec, the input's
    /// normalisation undone (SAELens <c>run_time_activation_norm_fn_out</c>; transcoders have none), plus x·W_skipᵀ.
    /// </summary>
    public Tensor Decode(Tensor f, Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = addmm(BDec, f, WDec, 1, 1);
        var raw = x;
        Tensor? mean = null;
        if (Form.CentreInput)
        {
            mean = x.mean([-1], keepdim: true);
            x = x - mean;
        }
        switch (Form.Normalization)
        {
            case InputNormalization.LayerNorm:
            {
                // SAELens's run_time_activation_ln_out: x̂·std + mean with the unbiased std of the raw input.
                var mu = x.mean([-1], keepdim: true);
                y = (y * (x - mu).std(-1, unbiased: true, keepdim: true)).Plus(mu);
                break;
            }
            case InputNormalization.ConstantNormRescale:
                y = y / RescaleFactor(x);
                break;
        }
        if (mean is not null) y = y.Plus(mean);
        if (Form.WSkip is { } skip) y = y.Plus(matmul(raw, skip.t()));
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Scale that maps an output-space direction of the normalised input back to raw units per token, [B, 1] (1 without normalisation).</summary>
    public Tensor OutputScale(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor s = Form.Normalization switch
        {
            InputNormalization.LayerNorm => (x - x.mean([-1], keepdim: true)).std(-1, unbiased: true, keepdim: true),
            InputNormalization.ConstantNormRescale => x.norm(-1, keepdim: true).DividedBy(Math.Sqrt(DIn)),
            _ => ones(x.shape[0], 1, dtype: x.dtype, device: x.device),
        };
        return s.MoveToOuterDisposeScope();
    }

    /// <summary>x̂ (or ŷ for a transcoder) for x; for a plain TopK SAE decodes from the k active latents only.</summary>
    public Tensor Reconstruct(Tensor x)
    {
        using var scope = NewDisposeScope();
        var flat = x.reshape(-1, DIn);
        Tensor xHat;
        if (Architecture == SaeArchitecture.TopK && !DecodeNeedsInput)
        {
            var (vals, idx) = SparseLatents.TopK(PreActivation(flat), K);
            xHat = SparseLatents.Decode(idx, vals, WDec, BDec);
        }
        else xHat = Decode(Encode(flat), flat);
        var shape = x.shape.ToArray();
        shape[^1] = DOut;
        return xHat.reshape(shape).MoveToOuterDisposeScope();
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
        var d = new Dictionary<string, Tensor> { ["W_enc"] = WEnc, ["W_dec"] = WDec, ["b_dec"] = BDec };
        if (Architecture == SaeArchitecture.Gated)
        {
            d["b_gate"] = BEnc;
            d["b_mag"] = Form.BMag!;
            d["r_mag"] = Form.RMag!;
        }
        else d["b_enc"] = BEnc;
        if (Threshold is not null) d["threshold"] = Threshold;
        if (Form.WSkip is not null) d["W_skip"] = Form.WSkip;
        return d;
    }

    /// <summary>
    /// The same SAE for raw activations when it was trained on <c>s·x</c> (docs/science.md §3, SAELens
    /// <c>fold_activation_norm_scaling_factor</c>): pre = (s·x − b_dec)·W_enc + b_enc = (x − b_dec/s)·(s·W_enc) + b_enc,
    /// so W_enc ← s·W_enc and the latents are unchanged (b_enc and θ stay); x̂/s = f·(W_dec/s) + b_dec/s.
    /// </summary>
    public SparseAutoencoder FoldActivationScale(double s)
    {
        if (Architecture == SaeArchitecture.Gated || IsTranscoder || Form.Normalization != InputNormalization.None)
            throw new InvalidOperationException("folding an activation scale is defined for trained SAEs (standard, topk, jumprelu) only");
        using var scope = NewDisposeScope();
        return new SparseAutoencoder(Architecture, K, WEnc.Times(s), BEnc.clone(), WDec.DividedBy(s), BDec.DividedBy(s), Threshold?.clone(),
            Form with { WSkip = Form.WSkip?.clone() });
    }

    /// <summary>
    /// The same transcoder for raw activations when it was trained to map s_in·x to s_out·y (docs/science.md §3, §12):
    /// pre = (s_in·x)·W_enc + b_enc = x·(s_in·W_enc) + b_enc, so W_enc ← s_in·W_enc and the latents are unchanged (b_enc
    /// and θ stay); ŷ = (f·W_dec + b_dec + s_in·x·W_skipᵀ)/s_out, so W_dec, b_dec ← ÷ s_out and W_skip ← W_skip·s_in/s_out.
    /// </summary>
    public SparseAutoencoder FoldTranscoderScales(double inputScale, double outputScale)
    {
        if (!IsTranscoder || Architecture == SaeArchitecture.Gated)
            throw new InvalidOperationException("folding input and output scales is defined for trained transcoders only");
        using var scope = NewDisposeScope();
        return new SparseAutoencoder(Architecture, K, WEnc.Times(inputScale), BEnc.clone(), WDec.DividedBy(outputScale), BDec.DividedBy(outputScale),
            Threshold?.clone(), Form with { WSkip = Form.WSkip?.Times(inputScale / outputScale) });
    }

    public SparseAutoencoder Clone()
    {
        using var scope = NewDisposeScope();
        return new SparseAutoencoder(Architecture, K, WEnc.clone(), BEnc.clone(), WDec.clone(), BDec.clone(), Threshold?.clone(),
            Form with { WSkip = Form.WSkip?.clone(), BMag = Form.BMag?.clone(), RMag = Form.RMag?.clone() });
    }

    public void Dispose()
    {
        WEnc.Dispose(); BEnc.Dispose(); WDec.Dispose(); BDec.Dispose(); Threshold?.Dispose();
        Form.WSkip?.Dispose(); Form.BMag?.Dispose(); Form.RMag?.Dispose();
    }
}
