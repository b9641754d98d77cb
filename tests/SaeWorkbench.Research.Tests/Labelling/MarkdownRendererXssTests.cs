using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

/// <summary>
/// Known XSS payloads, after the OWASP XSS Filter Evasion Cheat Sheet
/// (https://cheatsheetseries.owasp.org/cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.html) and the
/// Markdown-specific vectors of the same family (link/image/autolink/reference URLs).
/// Each rendering is parsed back into a DOM and checked for every way script can run.
/// </summary>
public class MarkdownRendererXssTests
{
    public static TheoryData<string> Payloads => new()
    {
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<body onload=alert(1)>",
        "<iframe src=\"javascript:alert(1)\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<details open ontoggle=alert(1)>",
        "<input autofocus onfocus=alert(1)>",
        "<form action=\"javascript:alert(1)\"><button>go</button></form>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<base href=\"javascript:alert(1)//\">",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
        "[x](java%0ascript:alert(1))",
        "[x]( javascript:alert(1) )",
        "[x](<javascript:alert(1)>)",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](\"onmouseover=alert(1))",
        "[x](https://example.com\"onmouseover=\"alert(1))",
        "[x](https://example.com \"title\" onmouseover=alert(1))",
        "![x](javascript:alert(1))",
        "![x\" onerror=\"alert(1)](https://example.com/a.png)",
        "![x](https://example.com/a.png\"onerror=\"alert(1))",
        "<javascript:alert(1)>",
        "<JAVASCRIPT:alert(1)>",
        "<data:text/html,<script>alert(1)</script>>",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "[x][r]\n\n[r]: data:text/html,<script>alert(1)</script>",
        "[r]\n\n[r]: vbscript:msgbox(1)",
        "[x](jav\tascript:alert(1))",
        "[x](\\javascript:alert(1))",
        "`<script>alert(1)</script>`",
        "```html\n<script>alert(1)</script>\n```",
        "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
        "**<svg/onload=alert(1)>**",
        "> <iframe src=//xss.example></iframe>",
        "<a href=\"https://example.com\" onclick=\"alert(1)\">x</a>",
        "[x](//xss.example/evil)",
        "<style>@import 'https://xss.example/x.css';</style>",
        "<<script>alert(1)//<</script>",
        "<img src=`x`onerror=alert(1)>",
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    };

    private static readonly HashSet<string> SafeTags =
    [
        "html", "head", "body", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong",
        "del", "ins", "mark", "sub", "sup", "code", "pre", "blockquote", "ul", "ol", "li", "dl", "dt",
        "dd", "a", "table", "thead", "tbody", "tr", "th", "td",
    ];

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Payload_renders_without_any_executable_vector(string payload)
    {
        var html = MarkdownRenderer.Default.Render(payload).Html;

        AssertNothingExecutable(html);
    }

    [Fact]
    public void Payload_list_holds_at_least_thirty_known_vectors() =>
        Assert.True(Payloads.Count >= 30, $"only {Payloads.Count} payloads");

    [Fact]
    public void The_checker_itself_flags_executable_html()
    {
        // The assertion must be able to fail, or the theory above proves nothing.
        Assert.ThrowsAny<Exception>(() => AssertNothingExecutable("<img src=x onerror=alert(1)>"));
        Assert.ThrowsAny<Exception>(() => AssertNothingExecutable("<a href=\"javascript:alert(1)\">x</a>"));
        Assert.ThrowsAny<Exception>(() => AssertNothingExecutable("<a href=\"/relative\">x</a>"));
        Assert.ThrowsAny<Exception>(() => AssertNothingExecutable("<p style=\"background:url(x)\">x</p>"));
    }

    internal static void AssertNothingExecutable(string html)
    {
        var document = new HtmlParser().ParseDocument(html);
        foreach (var element in document.All)
        {
            Assert.True(SafeTags.Contains(element.LocalName), $"<{element.LocalName}> in {html}");
            foreach (var attribute in element.Attributes)
            {
                Assert.False(attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase),
                    $"event handler {attribute.Name} in {html}");
                Assert.Contains(attribute.Name, new[] { "href", "title", "rel", "target", "start", "style" });
                if (attribute.Name == "href") AssertSafeUrl(attribute.Value, html);
                if (attribute.Name == "style")
                    Assert.Matches("^(text-align: (left|right|center);?\\s*)$", attribute.Value);
                if (attribute.Name == "target") Assert.Equal("_blank", attribute.Value);
            }
            if (element is { LocalName: "a" } && element.HasAttribute("href"))
                Assert.Equal("nofollow noopener noreferrer", element.GetAttribute("rel"));
        }
    }

    private static void AssertSafeUrl(string href, string html)
    {
        var lowered = new string(href.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray()).ToLowerInvariant();
        Assert.True(
            lowered.StartsWith("http://") || lowered.StartsWith("https://") || lowered.StartsWith("mailto:"),
            $"href \"{href}\" in {html}");
    }
}
