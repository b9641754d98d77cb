namespace SaeWorkbench.Ml.Analysis;

/// <summary>
/// The one definition of a dead latent (docs/science.md §3.4, §4): its density over the evaluated tokens is 0, it never
/// fired there. Everything else is alive, dense latents included. Which tokens count is the caller's: the Dictionaries
/// page, the feature list and the summary use the analysis's tokens; the training report its held-out tokens.
/// </summary>
public static class LatentLiveness
{
    /// <summary>Dead: a density of 0 (no token with f &gt; 0).</summary>
    public static bool IsDead(double density) => density <= 0;

    /// <summary>Dead: no active token.</summary>
    public static bool IsDead(long activeTokens) => activeTokens <= 0;

    /// <summary>How many of <paramref name="densities"/> are dead.</summary>
    public static int CountDead(IEnumerable<double> densities) => densities.Count(d => IsDead(d));
}
