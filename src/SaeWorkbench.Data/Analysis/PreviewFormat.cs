namespace SaeWorkbench.Data.Analysis;

/// <summary>
/// How a latent's stored preview texts are laid out (docs/science.md §6): the top tokens as entries "token, Field, count"
/// joined by <see cref="Entry"/>; the strongest context as "before, Field, peak, Field, after". Two control characters
/// that no tokenizer's decoded text keeps (the writer replaces them). Written and parsed by the application's
/// LatentPreview; read here for the text a search matches (<see cref="Dictionaries.LatentSearchTexts"/>).
/// </summary>
public static class PreviewFormat
{
    public const char Entry = '\u001E', Field = '\u001F';

    /// <summary>The token texts of a stored top-tokens text, without their counts.</summary>
    public static IEnumerable<string> TokenTexts(string? topTokens)
    {
        if (string.IsNullOrEmpty(topTokens)) yield break;
        foreach (var entry in topTokens.Split(Entry))
        {
            var at = entry.LastIndexOf(Field);
            if (at >= 0) yield return entry[..at];
        }
    }

    /// <summary>A stored context as the list shows it: before, peak and after as one running text.</summary>
    public static string ContextText(string? topContext) => string.IsNullOrEmpty(topContext) ? "" : topContext.Replace(Field.ToString(), "");
}
