using SaeWorkbench.Ml.Interventions;

namespace SaeWorkbench.Research.Steering;

/// <summary>
/// A strength sweep: the request's interventions at several strengths side by side, beside one baseline, in one batch
/// with one seed per sample (docs/science.md §7). Column j sets the α of every add and orthogonal intervention, and the
/// value c of every clamp, to <see cref="Strengths"/>[j]; ablations have no strength and stay as they are.
/// </summary>
public sealed record SteeringSweepRequest
{
    public SteeringRequest Request { get; init; } = new();

    /// <summary>The strengths, one column each, in the order shown.</summary>
    public IReadOnlyList<double> Strengths { get; init; } = [];

    /// <summary>The request as column <paramref name="column"/> runs it.</summary>
    public SteeringRequest At(int column) => Request with
    {
        Interventions = Request.Interventions.Select(i => i.Kind == InterventionKind.Ablate ? i : i with { Value = Strengths[column] }).ToList(),
    };

    /// <summary>Checks what can be checked without the model; throws <see cref="ArgumentException"/> naming the field.</summary>
    public void Validate(SteeringLimits limits, int dSae)
    {
        if (Strengths.Count < 1 || Strengths.Count > limits.MaxSweepStrengths)
            throw new ArgumentException($"strengths: give 1 to {limits.MaxSweepStrengths} strengths to sweep, got {Strengths.Count}");
        foreach (var s in Strengths)
            if (!double.IsFinite(s)) throw new ArgumentException($"strengths: {s} is not a finite number");
        if (Strengths.Distinct().Count() != Strengths.Count) throw new ArgumentException("strengths: each strength once");
        if (Request.Interventions.Count > 0 && Request.Interventions.All(i => i.Kind == InterventionKind.Ablate))
            throw new ArgumentException("strengths: a sweep varies α (add, orthogonal) or c (clamp); ablation has no strength to sweep");
        for (var j = 0; j < Strengths.Count; j++) SteeringRules.Validate(At(j), limits, dSae);
        var rows = (long)Request.MaxNewTokens * Request.Samples * Strengths.Count;
        if (rows > limits.MaxTokensTimesSamples)
            throw new ArgumentException($"max tokens × samples × strengths is {rows}; at most {limits.MaxTokensTimesSamples} per request");
    }
}

/// <summary>A finished sweep: what was asked, on which dictionary, and the baseline and every column per sample.</summary>
public sealed record SteeringSweepRun(SteeringSweepRequest Request, string DictionaryName, string HookName, SweepResult Result)
{
    /// <summary>Column <paramref name="column"/> against the baseline, as a comparison that can be saved and reviewed.</summary>
    public SteeringRun Comparison(int column) => new(Request.At(column), DictionaryName, HookName, Result.Comparison(column));
}

/// <summary>A sweep's answer while it streams: the queue position, then each generated position.</summary>
public sealed record SweepProgress(int? QueuePosition, SweepStep? Step);
