using System.Text.RegularExpressions;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace SaeWorkbench.Research.Labelling;

/// <summary>
/// The @mentions in a comment, for notifications. A mention is '@' followed by a user
/// name of letters, digits, '.', '_' and '-' (trailing dots are sentence punctuation, not part of the
/// name). Not mentions: anything inside a code span or code block, inside a link's URL or title or a
/// link reference definition (https://mastodon.social/@alice), or an '@' that follows a letter,
/// digit or one of <c>._+-@/\`</c> (email addresses such as bob@example.org). Names compare
/// case-insensitively (ASP.NET Core Identity normalises them); the first spelling is kept.
/// </summary>
public static partial class Mentions
{
    /// <summary>ASP.NET Core Identity's default user-name length limit.</summary>
    public const int MaxUserNameLength = 256;

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder { MaximumNestingDepth = MarkdownRenderer.MaxNestingDepth }
        .DisableHtml()
        .UseEmphasisExtras()
        .UsePipeTables()
        .UseListExtras()
        .UseAutoLinks()
        .UsePreciseSourceLocation()
        .Build();

    /// <summary>Distinct mentioned user names, in order of first appearance.</summary>
    public static IReadOnlyList<string> Parse(string? markdown)
    {
        if (string.IsNullOrEmpty(markdown) || !markdown.Contains('@')) return [];
        string text;
        try
        {
            text = MaskNonProse(markdown);
        }
        catch (ArgumentException e) when (e.Message.Contains("too deeply nested", StringComparison.Ordinal))
        {
            // Nested beyond Markdig's depth limit: such text is refused by MarkdownRenderer, so
            // it is never shown and notifies nobody.
            return [];
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new List<string>();
        foreach (Match match in MentionPattern().Matches(text))
        {
            var name = match.Groups["name"].Value.TrimEnd('.');
            if (name.Length == 0 || name.Length > MaxUserNameLength || !name.Any(char.IsLetterOrDigit)) continue;
            if (seen.Add(name)) names.Add(name);
        }
        return names;
    }

    /// <summary>The source with code, URLs and link definitions blanked out, positions unchanged.</summary>
    private static string MaskNonProse(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        var chars = markdown.ToCharArray();

        void Mask(SourceSpan span)
        {
            if (span.IsEmpty) return;
            var end = Math.Min(span.End, chars.Length - 1);
            for (var i = Math.Max(span.Start, 0); i <= end; i++) chars[i] = ' ';
        }

        foreach (var node in document.Descendants())
        {
            switch (node)
            {
                case CodeBlock or LinkReferenceDefinition or CodeInline or AutolinkInline:
                    Mask(node.Span);
                    break;
                case LinkInline { IsAutoLink: true } autoLink:
                    Mask(autoLink.Span);
                    break;
                case LinkInline link:
                    Mask(link.UrlSpan);
                    Mask(link.TitleSpan);
                    break;
            }
        }
        return new string(chars);
    }

    [GeneratedRegex(@"(?<![\p{L}\p{N}._+\-@/\\`])@(?<name>[\p{L}\p{N}._-]+)")]
    private static partial Regex MentionPattern();
}
