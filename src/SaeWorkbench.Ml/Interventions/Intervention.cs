using SaeWorkbench.Ml.Sae;

namespace SaeWorkbench.Ml.Interventions;

/// <summary>The interventions of docs/science.md §7.</summary>
public enum InterventionKind
{
    /// <summary>f_i := 0 with the error term kept: only latent i's contribution f_i·W_dec,i is removed.</summary>
    Ablate,

    /// <summary>f_i := c with the error term kept: latent i contributes c·W_dec,i instead of f_i·W_dec,i.</summary>
    Clamp,

    /// <summary>x ← x + α·W_dec,i (Neuronpedia SIMPLE_ADDITIVE); optionally on the unit-normalised direction.</summary>
    Add,

    /// <summary>x ← (I − P)x + α·Px with P = vvᵀ/‖v‖², v = W_dec,i.</summary>
    Orthogonal,
}

/// <summary>Which token positions an intervention touches. Positions count from 0 = the BOS token.</summary>
public enum PositionScope
{
    All,

    /// <summary>The prompt's positions (BOS included).</summary>
    Prompt,

    /// <summary>Positions of generated tokens (so the first generated token is still predicted from an untouched prompt).</summary>
    Generated,

    /// <summary>Only <see cref="InterventionSet.Positions"/>.</summary>
    Listed,
}

/// <summary>
/// One latent's intervention. <see cref="Value"/> is the clamp value c (Clamp) or the strength α (Add, Orthogonal);
/// Ablate ignores it. <see cref="UnitDirection"/> normalises W_dec,i to unit norm first (Add only).
/// </summary>
public sealed record LatentIntervention(int Latent, InterventionKind Kind, double Value = 0, bool UnitDirection = false);

/// <summary>Several latents' interventions applied together at the same positions.</summary>
public sealed record InterventionSet
{
    public IReadOnlyList<LatentIntervention> Latents { get; init; } = [];
    public PositionScope Scope { get; init; } = PositionScope.All;

    /// <summary>Token positions (0 = BOS) for <see cref="PositionScope.Listed"/>.</summary>
    public IReadOnlyList<int> Positions { get; init; } = [];

    /// <summary>
    /// Also intervene at position 0 when it holds the BOS token. Off by default: the SAE was never trained on BOS (its
    /// activations there are huge and not features, docs/science.md §3) and the metrics leave it out, so an edit there
    /// is an edit the dictionary cannot describe.
    /// </summary>
    public bool IncludeBos { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> with a message for the user when the set does not fit <paramref name="sae"/>.</summary>
    public void Validate(SparseAutoencoder sae) => Validate(sae.DSae);

    public void Validate(int dSae)
    {
        foreach (var l in Latents)
        {
            if (l.Latent < 0 || l.Latent >= dSae)
                throw new ArgumentException($"latent {l.Latent} does not exist; the dictionary has {dSae} latents (0–{dSae - 1})");
            if (!double.IsFinite(l.Value))
                throw new ArgumentException($"the value for latent {l.Latent} must be a finite number, got {l.Value}");
            if (!Enum.IsDefined(l.Kind)) throw new ArgumentException($"unknown intervention kind {(int)l.Kind}");
        }
        if (Latents.Select(l => (l.Latent, l.Kind)).Distinct().Count() != Latents.Count)
            throw new ArgumentException("the same intervention is listed twice for one latent");
        if (Scope == PositionScope.Listed && Positions.Count == 0)
            throw new ArgumentException("list at least one token position, or choose another position scope");
        if (Positions.Any(p => p < 0)) throw new ArgumentException("token positions start at 0 (the BOS token)");
        if (Scope == PositionScope.Listed && !IncludeBos && Positions.Contains(0))
            throw new ArgumentException("position 0 is the BOS token, which interventions leave alone by default; turn on \"include BOS\" to intervene there");
    }
}
