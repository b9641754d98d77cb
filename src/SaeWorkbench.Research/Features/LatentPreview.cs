using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Research.Features;

/// <summary>A token a latent peaks on and in how many of its top contexts it is the peak.</summary>
public sealed record TokenCount(string Token, int Count);

/// <summary>The strongest context, cut short around its peak token.</summary>
public sealed record ContextSnippet(string Before, string Peak, string After);

/// <summary>
/// What tells one latent from another before anyone labels it (docs/science.md §6): the tokens it peaks on in its top
/// contexts, with counts, and a short window of its strongest context. The analysis writes it beside each dashboard as
/// decoded text, copied to the latent row, so the list shows it and its text search matches it without decoding
/// anything per request. Stored as plain text with two control characters as separators (<see cref="PreviewFormat"/>),
/// which no tokenizer's decoded text keeps (they are replaced when decoding).
/// </summary>
public static class LatentPreview
{
    /// <summary>Tokens shown per latent.</summary>
    public const int MaxTokens = 5;

    /// <summary>Tokens of the strongest context shown before and after its peak.</summary>
    public const int Before = 8, After = 4;

    private const char Entry = PreviewFormat.Entry, Field = PreviewFormat.Field;

    /// <summary>The stored texts for one latent's dashboard; nulls when it has no top context.</summary>
    public static (string? TopTokens, string? TopContext) From(LatentDashboard dashboard, ITokenizer tokenizer)
    {
        var top = dashboard.TopExamples;
        if (top.Count == 0) return (null, null);
        // Peak tokens by how many top contexts peak on them; ties keep the order of the strongest context they peak in.
        var counts = top.Select((e, rank) => (Id: e.TokenIds[e.PeakOffset], Rank: rank)).GroupBy(p => p.Id)
            .Select(g => (Id: g.Key, Count: g.Count(), First: g.Min(p => p.Rank)))
            .OrderByDescending(t => t.Count).ThenBy(t => t.First).Take(MaxTokens)
            .Select(t => new TokenCount(Decode(tokenizer, [t.Id]), t.Count)).ToList();
        var best = top[0];
        var from = Math.Max(0, best.PeakOffset - Before);
        var before = best.TokenIds[from..best.PeakOffset].Where(id => id != tokenizer.EndOfTextId).ToArray();
        var after = best.TokenIds[(best.PeakOffset + 1)..Math.Min(best.TokenIds.Length, best.PeakOffset + 1 + After)];
        var snippet = new ContextSnippet(Decode(tokenizer, before), Decode(tokenizer, [best.TokenIds[best.PeakOffset]]), Decode(tokenizer, after));
        return (EncodeTokens(counts), EncodeContext(snippet));
    }

    private static string Decode(ITokenizer tokenizer, int[] ids) =>
        ids.Length == 0 ? "" : tokenizer.Decode(ids).Replace(Entry, ' ').Replace(Field, ' ');

    public static string EncodeTokens(IEnumerable<TokenCount> tokens)
    {
        var text = string.Join(Entry, tokens.Select(t => $"{Clean(t.Token)}{Field}{t.Count}"));
        // Truncation drops whole entries, so what is stored always parses.
        while (text.Length > PreviewLengths.TopTokens && text.LastIndexOf(Entry) is var cut and > 0) text = text[..cut];
        return text.Length > PreviewLengths.TopTokens ? "" : text;
    }

    public static string EncodeContext(ContextSnippet s)
    {
        // Keep the peak whole and the text nearest to it: cut the far ends first.
        var peak = Clean(s.Peak);
        if (peak.Length > PreviewLengths.TopContext - 2) peak = peak[..(PreviewLengths.TopContext - 2)];
        var room = PreviewLengths.TopContext - 2 - peak.Length;
        var before = Clean(s.Before);
        var after = Clean(s.After);
        if (before.Length + after.Length > room)
        {
            after = after[..Math.Min(after.Length, Math.Max(room / 2, room - before.Length))];
            before = before[^Math.Min(before.Length, room - after.Length)..];
        }
        return $"{before}{Field}{peak}{Field}{after}";
    }

    public static IReadOnlyList<TokenCount> ParseTokens(string? text)
    {
        if (string.IsNullOrEmpty(text)) return [];
        var list = new List<TokenCount>();
        foreach (var entry in text.Split(Entry))
        {
            var at = entry.LastIndexOf(Field);
            if (at >= 0 && int.TryParse(entry.AsSpan(at + 1), System.Globalization.CultureInfo.InvariantCulture, out var count))
                list.Add(new TokenCount(entry[..at], count));
        }
        return list;
    }

    public static ContextSnippet? ParseContext(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var parts = text.Split(Field);
        return parts.Length == 3 ? new ContextSnippet(parts[0], parts[1], parts[2]) : null;
    }

    private static string Clean(string text) => text.Replace(Entry, ' ').Replace(Field, ' ');
}
