using System.Globalization;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Crowd;

/// <summary>Reads what a person types to define a scope: a list of latent indices, or a saved feature-list filter.</summary>
public static class ScopeDefinitions
{
    public const int MaxListedLatents = 100_000;

    /// <summary>"3, 7, 10-12" (commas, spaces or new lines; inclusive ranges) → distinct indices in order.</summary>
    public static Validated<IReadOnlyList<int>> ParseIndices(string? text)
    {
        var result = new SortedSet<int>();
        foreach (var part in (text ?? "").Split([',', ' ', '\n', '\r', '\t', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-', 2);
            if (!int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || (range.Length == 2 && !int.TryParse(range[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                return Validated<IReadOnlyList<int>>.Fail("definition", $"\"{Shorten(part)}\" is not a latent index or a range like 10-20.");
            var to = range.Length == 2 ? int.Parse(range[1], CultureInfo.InvariantCulture) : from;
            if (to < from) return Validated<IReadOnlyList<int>>.Fail("definition", $"The range {from}-{to} runs backwards.");
            if ((long)result.Count + (to - from + 1) > MaxListedLatents)
                return Validated<IReadOnlyList<int>>.Fail("definition", $"A list holds at most {MaxListedLatents:N0} latents.");
            for (var i = from; i <= to; i++) result.Add(i);
        }
        return result.Count == 0
            ? Validated<IReadOnlyList<int>>.Fail("definition", "List at least one latent index, e.g. 3, 7, 10-12.")
            : Validated<IReadOnlyList<int>>.Ok(result.ToList());
    }

    /// <summary>A feature-list URL or its query string ("?status=Unlabelled&amp;dead=false") → the query it saves.</summary>
    public static FeatureQuery ParseFilter(string? text)
    {
        var query = text?.Trim() ?? "";
        var q = query.IndexOf('?');
        if (q >= 0) query = query[(q + 1)..];
        var pairs = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            pairs[Uri.UnescapeDataString(kv[0].Replace('+', ' '))] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : "";
        }
        return FeatureQuery.Parse(pairs) with { Page = 0 };
    }

    private static string Shorten(string s) => s.Length <= 20 ? s : s[..20] + "…";
}
