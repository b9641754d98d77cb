using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Research.Steering;

namespace SaeWorkbench.Web.Components.Steering;

/// <summary>One intervention as the form edits it; <see cref="Latent"/> is what the label search chose.</summary>
public sealed class InterventionRow
{
    public SteerableLatent? Latent { get; set; }
    public InterventionKind Kind { get; set; } = InterventionKind.Add;
    public double Value { get; set; } = SteeringDefaults.WithoutAnalysis;
    public bool Unit { get; set; }

    public LatentIntervention? ToIntervention() => Latent is { } l
        ? new LatentIntervention(l.Index, Kind, Kind == InterventionKind.Ablate ? 0 : Value, Kind == InterventionKind.Add && Unit)
        : null;
}

/// <summary>
/// What the steering page's run and ablation panels share: the dictionary and the interventions (the ablation panel
/// ablates the latents chosen here).
/// </summary>
public sealed class SteeringForm
{
    public long DictionaryId { get; set; }
    public List<InterventionRow> Rows { get; } = [];

    public IReadOnlyList<int> Latents => Rows.Where(r => r.Latent is not null).Select(r => r.Latent!.Index).Distinct().ToList();

    /// <summary>The interventions; a row without a latent is refused with the reason.</summary>
    public IReadOnlyList<LatentIntervention> Interventions() =>
        Rows.Select((r, i) => r.ToIntervention() ?? throw new ArgumentException($"intervention {i + 1}: choose a latent (search by label or type its index)"))
            .ToList();
}
