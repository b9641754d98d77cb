using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Interventions;

/// <summary>
/// The hook function of an <see cref="InterventionSet"/> on the SAE's hook point (docs/science.md §7). The caller tells it
/// which absolute token position the activation's first position is (<see cref="StartPosition"/>: 0 for a whole
/// sequence, then the cache length for each KV-cached step), and which batch rows to touch (<see cref="Rows"/>;
/// null: all rows). Positions and rows left out are returned bit for bit unchanged.
/// <para>
/// Ablate and clamp are computed as x + (f′ − f)·W_dec on the targeted latents, which is exactly
/// SAE(x with f_i := c) + (x − SAE(x)) because the decoder is linear (SAELens <c>use_error_term</c>), but written
/// so that an unchanged latent (a dead latent ablated, a latent clamped to its own value) gives back x exactly
/// rather than x̂ + (x − x̂) with rounding. Order: ablate/clamp (all from one encoding of x), then additive,
/// then orthogonal decompositions one after another.
/// </para>
/// <para>
/// A transcoder (docs/science.md §12) reads one hook and writes another: its latents' contributions live at the output
/// hook. <see cref="Attach"/> then puts <see cref="Capture"/> on the input hook and <see cref="Apply"/> on the output
/// hook of the same forward pass: ablate/clamp change the output by (f′ − f)·W_dec with f encoded from the captured
/// input, and additive and orthogonal steering use W_dec's rows (output-space directions) on the output activation.
/// </para>
/// </summary>
public sealed class InterventionHook
{
    private readonly SparseAutoencoder _sae;
    private readonly InterventionSet _set;
    private readonly HashSet<int> _listed;

    /// <param name="bosAtStart">Whether absolute position 0 holds the BOS token (the steering and ablation runs put it
    /// there); it is then left alone unless <see cref="InterventionSet.IncludeBos"/>.</param>
    public InterventionHook(SparseAutoencoder sae, InterventionSet set, int promptLength = int.MaxValue, bool bosAtStart = true)
    {
        set.Validate(sae);
        _sae = sae;
        _set = set;
        _listed = [.. set.Positions];
        _skipBos = bosAtStart && !set.IncludeBos;
        PromptLength = promptLength;
    }

    private readonly bool _skipBos;

    /// <summary>Token count of the prompt (BOS included); separates prompt from generated positions.</summary>
    public int PromptLength { get; set; }

    /// <summary>Absolute position of the first position of the next activation the hook sees.</summary>
    public int StartPosition { get; set; }

    /// <summary>Batch rows to intervene on; null: every row.</summary>
    public IReadOnlyList<long>? Rows { get; set; }

    private Tensor? _input;

    /// <summary>
    /// Registers the hook on <paramref name="model"/>: at <paramref name="hookName"/> for an SAE; for a transcoder the
    /// capture at <paramref name="hookName"/> (its input) and the edit at <paramref name="outputHookName"/>. Checks the
    /// hooks exist, come in that order and have the dictionary's widths. Dispose the result to remove both.
    /// </summary>
    public IDisposable Attach(IHookedLanguageModel model, string hookName, string? outputHookName)
    {
        HookPoints.RequireKnown(model.HookNames, hookName);
        HookPoints.RequireWidth(model, hookName, _sae.DIn, "the SAE's d_in");
        if (!_sae.IsTranscoder)
        {
            if (outputHookName is not null && outputHookName != hookName)
                throw new ArgumentException($"an SAE writes the hook it reads ('{hookName}'), not '{outputHookName}'");
            return model.AddHook(hookName, Apply);
        }
        if (outputHookName is null)
            throw new ArgumentException("this dictionary is a transcoder: its latents write to its output hook, which must be named to intervene");
        Activations.TranscoderHooks.Check(model.HookNames, hookName, outputHookName);
        HookPoints.RequireWidth(model, outputHookName, _sae.DOut, "the transcoder's d_out");
        var capture = model.AddHook(hookName, Capture);
        try
        {
            return new Registrations(capture, model.AddHook(outputHookName, Apply));
        }
        catch
        {
            capture.Dispose();
            throw;
        }
    }

    /// <summary>A transcoder's input hook: keeps this pass's input activation for <see cref="Apply"/> at the output hook; returns it unchanged.</summary>
    public Tensor Capture(Tensor x)
    {
        _input = x;
        return x;
    }

    private sealed class Registrations(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            second.Dispose();
            first.Dispose();
        }
    }

    public bool Touches(int position) => !(_skipBos && position == 0) && _set.Scope switch
    {
        PositionScope.All => true,
        PositionScope.Prompt => position < PromptLength,
        PositionScope.Generated => position >= PromptLength,
        PositionScope.Listed => _listed.Contains(position),
        _ => false,
    };

    /// <summary>The hook: activation [batch, pos, d] → the same shape.</summary>
    public Tensor Apply(Tensor x)
    {
        var batch = x.shape[0];
        var positions = (int)x.shape[1];
        var touchedPositions = Enumerable.Range(StartPosition, positions).Select(Touches).ToArray();
        if (_set.Latents.Count == 0 || !touchedPositions.Any(t => t) || Rows is { Count: 0 }) return x;
        using var scope = NewDisposeScope();
        var rowMask = ones(batch, dtype: ScalarType.Bool, device: x.device);
        if (Rows is { } rows)
        {
            var chosen = new bool[batch];
            foreach (var r in rows) chosen[r] = true;
            rowMask = tensor(chosen, device: x.device);
        }
        var mask = rowMask.view(batch, 1, 1) & tensor(touchedPositions, device: x.device).view(1, positions, 1); // [batch, pos, 1]
        Tensor? encoderInput = null;
        if (_sae.IsTranscoder)
        {
            if (_input is null || _input.shape[0] != batch || _input.shape[1] != positions)
                throw new InvalidOperationException("a transcoder's intervention runs at its output hook after Capture saw the same pass's input hook; attach it with Attach");
            encoderInput = _input.reshape(-1, _input.shape[^1]);                        // [N, d_in]
        }
        var changed = Intervene(x, encoderInput);
        return where(mask, changed, x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The intervention applied at every position of x ([..., d]); a transcoder's x is its output activation and
    /// <paramref name="encoderInput"/> [N, d_in] the input its latents are encoded from.
    /// </summary>
    private Tensor Intervene(Tensor x, Tensor? encoderInput)
    {
        var shape = x.shape;
        var flat = x.reshape(-1, shape[^1]);                                               // [N, d]
        var encoded = encoderInput ?? flat;
        var wDec = _sae.WDec.to(x.device).to(x.dtype);                                     // [m, d]
        var saeEdits = _set.Latents.Where(l => l.Kind is InterventionKind.Ablate or InterventionKind.Clamp).ToList();
        if (saeEdits.Count > 0)
        {
            var f = _sae.Encode(encoded.to(_sae.WEnc.dtype).to(_sae.WEnc.device)).to(x.device).to(x.dtype); // [N, m]
            var index = tensor(saeEdits.Select(l => (long)l.Latent).ToArray(), device: x.device);
            var current = f.index_select(1, index);                                        // [N, e]
            var target = tensor(saeEdits.Select(l => l.Kind == InterventionKind.Clamp ? (float)l.Value : 0f).ToArray(), device: x.device)
                .to(x.dtype).unsqueeze(0).expand_as(current);                              // [N, e]
            var delta = matmul(target - current, wDec.index_select(0, index));               // [N, d]
            // A dictionary that normalises each input decodes in normalised units: scale back to the token's own.
            if (_sae.Form.Normalization != InputNormalization.None)
                delta = delta * _sae.OutputScale(flat.to(_sae.WEnc.dtype).to(_sae.WEnc.device)).to(x.device).to(x.dtype);
            flat = flat.Plus(delta);
        }
        foreach (var l in _set.Latents.Where(l => l.Kind == InterventionKind.Add))
        {
            var v = wDec[l.Latent];                                                        // [d]
            if (l.UnitDirection) v = v / v.norm().ClampMin(1e-12);
            flat = flat.Plus(v.Times(l.Value));
        }
        foreach (var l in _set.Latents.Where(l => l.Kind == InterventionKind.Orthogonal))
        {
            var v = wDec[l.Latent];                                                        // [d]
            var projection = matmul(flat, v).unsqueeze(1) * v / v.dot(v).ClampMin(1e-24); // [N, d] = Px
            flat = (flat - projection).Plus(projection.Times(l.Value));                              // (I − P)x + αPx
        }
        return flat.reshape(shape);
    }
}
