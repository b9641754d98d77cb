using System.Globalization;

namespace SaeWorkbench.Research.Labelling;

/// <summary>Character-level checks shared by labels, descriptions, comments and reasons.</summary>
internal static class TextRules
{
    /// <summary>
    /// The first character that may not appear in single-line user text, or null.
    /// Refused: C0/C1 control characters (Unicode category Cc, tabs and newlines included),
    /// bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069: they make a label read
    /// differently from what it stores) and unpaired surrogates (PostgreSQL cannot store them).
    /// </summary>
    public static string? FirstForbiddenInLine(string text) => FirstForbidden(text, allowLineBreaks: false);

    /// <summary>As <see cref="FirstForbiddenInLine"/>, but tab, line feed and carriage return are allowed.</summary>
    public static string? FirstForbiddenInMultiline(string text) => FirstForbidden(text, allowLineBreaks: true);

    private static string? FirstForbidden(string text, bool allowLineBreaks)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c)) return $"an unpaired surrogate (U+{(int)c:X4}) at position {i + 1}";
            if (allowLineBreaks && c is '\t' or '\n' or '\r') continue;
            if (char.IsControl(c)) return $"a control character (U+{(int)c:X4}) at position {i + 1}";
            if (c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069')
                return $"a bidirectional override (U+{(int)c:X4}) at position {i + 1}";
        }
        return null;
    }

    public static string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
