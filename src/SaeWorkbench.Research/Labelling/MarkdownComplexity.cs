namespace SaeWorkbench.Research.Labelling;

/// <summary>
/// A linear pre-check that bounds what Markdig may be asked to do (docs/architecture.md §9). Markdig's inline
/// parsing is quadratic in the number of unresolved openers within one paragraph: 25,000 unclosed links (<c>[a](</c>
/// repeated, 100 KB) took 24 s, and runs of emphasis delimiters, <c>~</c>, <c>=</c>, <c>+</c> or autolinks ending in
/// <c>(</c> behave alike; a line of 50,000 quote or list markers costs over a second before Markdig refuses it as too deep.
/// Measured on a loaded 2-core box, 100 KB of <c>++a</c> parsed in 1.4–2 s at 1,000 markers per paragraph, 0.28 s at 500 and
/// 0.1 s at 250 (sanitising the HTML adds a linear ~1 s per 300 KB there). So, outside fenced code blocks (which Markdig does not parse inline), a paragraph may hold at most
/// <see cref="MaxMarkersPerParagraph"/> marker characters, and a line may open at most the renderer's nesting depth of
/// quotes and list items. Prose never comes near either limit (a paragraph with 100 links has 400 markers); a refused text
/// gets a message saying how to fix it. With these bounds the worst inputs we know render in well under a second.
/// </summary>
internal static class MarkdownComplexity
{
    /// <summary>Most marker characters (<see cref="Markers"/>) in one paragraph (lines between blank lines).</summary>
    public const int MaxMarkersPerParagraph = 500;

    /// <summary>The characters that open or close inline Markdown (links, images, emphasis and its extras, autolinks).</summary>
    public const string Markers = "[]()*_~=^+<!";

    /// <summary>Why <paramref name="markdown"/> is too costly to render, or null.</summary>
    public static string? Check(string markdown, int maxDepth)
    {
        var markers = 0;
        var brackets = 0;
        var fence = "";
        foreach (var rawLine in markdown.AsSpan().EnumerateLines())
        {
            var line = rawLine;
            var body = line.TrimStart(' ');
            var indent = line.Length - body.Length;
            if (indent <= 3 && FenceOf(body) is { Length: > 0 } marker)
            {
                if (fence.Length == 0) fence = marker;
                else if (marker[0] == fence[0] && marker.Length >= fence.Length && body[marker.Length..].IsWhiteSpace()) fence = "";
                markers = brackets = 0;
                continue;
            }
            if (fence.Length > 0) continue;
            if (line.IsWhiteSpace())
            {
                markers = brackets = 0;
                continue;
            }
            if (ContainerDepth(line) > maxDepth) return MarkdownRenderer.TooDeeplyNested;
            foreach (var c in line)
            {
                // Unclosed brackets nest links inside links: deeper than the limit is "too deeply nested", whatever the count.
                if (c == '[' && ++brackets > maxDepth) return MarkdownRenderer.TooDeeplyNested;
                if (c == ']' && brackets > 0) brackets--;
                if (Markers.Contains(c) && ++markers > MaxMarkersPerParagraph)
                    return $"One paragraph holds more than {TextRules.Count(MaxMarkersPerParagraph)} Markdown markers ({string.Join(" ", Markers.ToCharArray())}), " +
                           "more than any description needs and costly to display; split it with blank lines or put it in a code block (```).";
            }
        }
        return null;
    }

    /// <summary>The fence (``` or ~~~, three or more) a line opens or closes with, or empty.</summary>
    private static string FenceOf(ReadOnlySpan<char> body)
    {
        if (body.Length < 3 || (body[0] != '`' && body[0] != '~')) return "";
        var n = 0;
        while (n < body.Length && body[n] == body[0]) n++;
        return n >= 3 ? new string(body[0], n) : "";
    }

    /// <summary>How many block containers (quotes, list items) a line opens at its start.</summary>
    private static int ContainerDepth(ReadOnlySpan<char> line)
    {
        var depth = 0;
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && line[i] is ' ' or '\t') i++;
            if (i >= line.Length) break;
            if (line[i] == '>') { depth++; i++; continue; }
            if (line[i] is '-' or '*' or '+' && i + 1 < line.Length && line[i + 1] is ' ' or '\t') { depth++; i += 2; continue; }
            var digits = 0;
            while (i + digits < line.Length && digits < 10 && char.IsAsciiDigit(line[i + digits])) digits++;
            var letter = digits == 0 && i + 1 < line.Length && char.IsAsciiLetter(line[i]) ? 1 : 0; // a. / i. lists
            var end = i + digits + letter;
            if (digits + letter is > 0 and < 10 && end + 1 < line.Length && line[end] is '.' or ')' && line[end + 1] is ' ' or '\t')
            {
                depth++;
                i = end + 2;
                continue;
            }
            break;
        }
        return depth;
    }
}
