namespace SaeWorkbench.Data.Analysis;

/// <summary>The longest a latent's stored preview texts may be (the writer truncates to these).</summary>
public static class PreviewLengths
{
    public const int TopTokens = 400;
    public const int TopContext = 600;
}
