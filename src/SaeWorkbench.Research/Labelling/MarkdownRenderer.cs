using AngleSharp.Dom;
using Ganss.Xss;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace SaeWorkbench.Research.Labelling;

/// <summary>The safe HTML of some user Markdown, or why it was refused.</summary>
public sealed record RenderedMarkdown(string Html, ValidationResult Validation)
{
    public bool IsValid => Validation.IsValid;
}

/// <summary>
/// The one way user Markdown (descriptions, comments, review reasons) becomes HTML (docs/architecture.md
/// §9). Two layers, so that a gap in one is caught by the other:
/// 1. Markdig with raw HTML disabled: any <c>&lt;tag&gt;</c> the user types is rendered as text.
/// 2. HtmlSanitizer on Markdig's output, starting from an empty allow list: only the tags Markdown
///    produces, no event handlers, no classes or ids, CSS limited to table-cell <c>text-align</c>.
/// Links: only absolute http, https and mailto URLs survive; any other link (javascript:, data:,
/// vbscript:, relative, protocol-relative) loses its URL and is rendered as its plain text. Kept
/// links get rel="nofollow noopener noreferrer" and open in a new tab (the labelling form stays).
/// Images are never embedded: an image becomes a link to it (text = its alt text, else its URL), so
/// viewing a description fetches nothing from a third party (no tracking pixels, no mixed content).
/// Instances are thread-safe once built (HtmlSanitizer README, "Thread safety").
/// </summary>
public sealed class MarkdownRenderer
{
    /// <summary>Descriptions are capped here, so a megabyte of text is refused before it is rendered.</summary>
    public const int DefaultMaxLength = 100_000;

    public const string LinkRel = "nofollow noopener noreferrer";

    /// <summary>Deepest syntax tree accepted (Markdig's default is 128). Real descriptions stay far
    /// below; hostile ones (thousands of '>' or '[') are refused early and cheaply.</summary>
    public const int MaxNestingDepth = 64;

    public const string TooDeeplyNested =
        "The text is nested too deeply to display (hundreds of quote, list, bracket or emphasis levels); simplify it.";

    private static readonly string[] AllowedSchemes = ["http", "https", "mailto"];

    private static readonly string[] AllowedTags =
    [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "del", "ins", "mark",
        "sub", "sup", "code", "pre", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    ];

    private readonly MarkdownPipeline _pipeline;
    private readonly HtmlSanitizer _sanitizer;

    public MarkdownRenderer(int maxLength = DefaultMaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        MaxLength = maxLength;
        _pipeline = new MarkdownPipelineBuilder { MaximumNestingDepth = MaxNestingDepth }
            .DisableHtml()
            .UseEmphasisExtras()   // ~~strike~~, ~sub~, ^sup^, ++ins++, ==mark==
            .UsePipeTables()
            .UseListExtras()       // a. / i. ordered lists
            .UseAutoLinks()        // bare https://… and www.… become links
            .Build();
        _sanitizer = BuildSanitizer();
    }

    /// <summary>A renderer with the description limit; share it, it holds no per-call state.</summary>
    public static MarkdownRenderer Default { get; } = new();

    public int MaxLength { get; }

    /// <summary>Safe HTML for <paramref name="markdown"/> (null or empty gives empty HTML), or a
    /// validation error on <paramref name="field"/> when the text is too long or holds characters
    /// that are refused (NUL and other control characters other than tab and line breaks).</summary>
    public RenderedMarkdown Render(string? markdown, string field = "description")
    {
        var validation = Validate(markdown, field);
        if (!validation.IsValid) return new RenderedMarkdown("", validation);
        if (string.IsNullOrEmpty(markdown)) return new RenderedMarkdown("", ValidationResult.Valid);

        string html;
        try
        {
            var document = Markdown.Parse(markdown, _pipeline);
            TurnImagesIntoLinks(document);
            html = Markdown.ToHtml(document, _pipeline);
        }
        catch (ArgumentException e) when (e.Message.Contains("too deeply nested", StringComparison.Ordinal))
        {
            // Markdig refuses a syntax tree deeper than MaxNestingDepth.
            return new RenderedMarkdown("", ValidationResult.Fail(field, TooDeeplyNested));
        }
        return new RenderedMarkdown(_sanitizer.Sanitize(html), ValidationResult.Valid);
    }

    /// <summary>The length, character and cost checks (<see cref="MarkdownComplexity"/>) of <see cref="Render"/> without
    /// rendering (the exact nesting depth is only known after parsing, so only <see cref="Render"/> checks it fully).</summary>
    public ValidationResult Validate(string? markdown, string field = "description")
    {
        if (string.IsNullOrEmpty(markdown)) return ValidationResult.Valid;
        if (markdown.Length > MaxLength)
            return ValidationResult.Fail(field,
                $"The text is too long: {TextRules.Count(markdown.Length)} characters; the limit is {TextRules.Count(MaxLength)}.");
        var forbidden = TextRules.FirstForbiddenInMultiline(markdown);
        if (forbidden is not null) return ValidationResult.Fail(field, $"The text contains {forbidden}.");
        return MarkdownComplexity.Check(markdown, MaxNestingDepth) is { } costly ? ValidationResult.Fail(field, costly) : ValidationResult.Valid;
    }

    private static void TurnImagesIntoLinks(MarkdownDocument document)
    {
        foreach (var link in document.Descendants<LinkInline>().Where(l => l.IsImage).ToList())
        {
            link.IsImage = false;
            if (link.FirstChild is null && !string.IsNullOrEmpty(link.Url))
                link.AppendChild(new LiteralInline(link.Url));
        }
    }

    private static HtmlSanitizer BuildSanitizer()
    {
        var options = HtmlSanitizerOptions.Empty();
        foreach (var tag in AllowedTags) options.AllowedTags.Add(tag);
        foreach (var attribute in new[] { "href", "title", "start", "style" }) options.AllowedAttributes.Add(attribute);
        options.UriAttributes.Add("href");
        foreach (var scheme in AllowedSchemes) options.AllowedSchemes.Add(scheme);
        options.AllowedCssProperties.Add("text-align"); // pipe-table column alignment

        var sanitizer = new HtmlSanitizer(options) { KeepChildNodes = true };
        sanitizer.FilterUrl += (_, e) =>
        {
            // HtmlSanitizer keeps relative URLs; here only absolute http(s)/mailto URLs are links.
            if (e.SanitizedUrl is not null && !IsAllowedAbsoluteUrl(e.SanitizedUrl)) e.SanitizedUrl = null;
        };
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is not IElement { LocalName: "a" } anchor) return;
            if (anchor.HasAttribute("href"))
            {
                anchor.SetAttribute("rel", LinkRel);
                anchor.SetAttribute("target", "_blank");
                return;
            }
            // A link whose URL was refused is shown as its text.
            foreach (var child in anchor.ChildNodes.ToList()) e.ReplacementNodes.Add(child);
            if (e.ReplacementNodes.Count == 0) e.ReplacementNodes.Add(e.Document.CreateTextNode(""));
        };
        return sanitizer;
    }

    private static bool IsAllowedAbsoluteUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && AllowedSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase)
        && (uri.Scheme == Uri.UriSchemeMailto || url.StartsWith(uri.Scheme + "://", StringComparison.OrdinalIgnoreCase));
}
