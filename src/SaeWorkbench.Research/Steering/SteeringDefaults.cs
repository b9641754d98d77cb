namespace SaeWorkbench.Research.Steering;

/// <summary>
/// The one source of the strength a steering form starts with (the feature page's link, the steering page's latent
/// search): α = <see cref="MaxActivationMultiple"/> × the latent's max activation over the analysed tokens
/// (docs/science.md §7; the benchmark <c>steer-strength</c> measures how often a multiple changes a continuation).
/// </summary>
public static class SteeringDefaults
{
    /// <summary>Multiple of the latent's max activation: the smallest that changes most demo continuations fluently (docs/performance.md, `steer-strength`).</summary>
    public const double MaxActivationMultiple = 1;

    /// <summary>The strength for a latent whose dictionary has not been analysed yet (no max activation known).</summary>
    public const double WithoutAnalysis = 10;

    /// <summary>The prefilled α for a latent with <paramref name="maxActivation"/> (null or ≤ 0: not analysed, or dead).</summary>
    public static double Strength(double? maxActivation) =>
        maxActivation is { } max && max > 0 && double.IsFinite(max) ? Math.Round(MaxActivationMultiple * max, 4) : WithoutAnalysis;
}
