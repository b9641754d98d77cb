using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

public class MarkdownRendererTests
{
    private static string Render(string markdown) => MarkdownRenderer.Default.Render(markdown).Html;

    [Fact]
    public void Emphasis_code_and_headings_render_as_html()
    {
        var html = Render("# Title\n\n*em* **strong** ~~gone~~ `x < y`");

        Assert.Contains("<h1>Title</h1>", html);
        Assert.Contains("<em>em</em>", html);
        Assert.Contains("<strong>strong</strong>", html);
        Assert.Contains("<del>gone</del>", html);
        Assert.Contains("<code>x &lt; y</code>", html);
    }

    [Fact]
    public void Lists_keep_their_start_number()
    {
        var html = Render("- a\n- b\n\n3. three\n4. four");

        Assert.Contains("<ul>\n<li>a</li>\n<li>b</li>\n</ul>", html);
        Assert.Contains("<ol start=\"3\">", html);
    }

    [Fact]
    public void Pipe_tables_keep_column_alignment()
    {
        var html = Render("| a | b |\n|:--|--:|\n| 1 | 2 |");

        Assert.Contains("<th style=\"text-align: left\">a</th>", html);
        Assert.Contains("<td style=\"text-align: right\">2</td>", html);
    }

    [Fact]
    public void Fenced_code_is_escaped_text()
    {
        var html = Render("```python\nprint('<b>')\n```");

        Assert.Contains("<pre><code>print('&lt;b&gt;')\n</code></pre>", html);
    }

    [Fact]
    public void Https_links_survive_with_safe_rel_and_new_tab()
    {
        var html = Render("[paper](https://arxiv.org/abs/2309.08600)");

        Assert.Equal(
            "<p><a href=\"https://arxiv.org/abs/2309.08600\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">paper</a></p>\n",
            html);
    }

    [Fact]
    public void Bare_urls_and_mailto_autolinks_become_links()
    {
        var html = Render("see https://example.com/x and <mailto:team@example.org>");

        Assert.Contains("<a href=\"https://example.com/x\"", html);
        Assert.Contains("<a href=\"mailto:team@example.org\"", html);
    }

    [Fact]
    public void Javascript_link_keeps_only_its_text()
    {
        Assert.Equal("<p>click me</p>\n", Render("[click me](javascript:alert(1))"));
    }

    [Fact]
    public void Relative_and_protocol_relative_links_keep_only_their_text()
    {
        Assert.Equal("<p>a and b</p>\n", Render("[a](/latents/3) and [b](//evil.example/x)"));
    }

    [Fact]
    public void Images_become_links_to_the_image_and_are_never_embedded()
    {
        var html = Render("![activation plot](https://example.com/p.png) ![](https://example.com/q.png)");

        Assert.DoesNotContain("<img", html);
        Assert.Contains(">activation plot</a>", html);
        Assert.Contains("<a href=\"https://example.com/q.png\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">https://example.com/q.png</a>", html);
    }

    [Fact]
    public void Raw_html_is_shown_as_text()
    {
        Assert.Equal("<p>&lt;b&gt;bold&lt;/b&gt;</p>\n", Render("<b>bold</b>"));
    }

    [Fact]
    public void Empty_and_null_text_render_as_empty_html()
    {
        Assert.Equal("", MarkdownRenderer.Default.Render(null).Html);
        Assert.True(MarkdownRenderer.Default.Render("").IsValid);
    }

    [Fact]
    public void Text_over_the_limit_is_refused_with_a_clear_message()
    {
        var result = MarkdownRenderer.Default.Render(new string('a', 1_000_000));

        Assert.False(result.IsValid);
        Assert.Equal("", result.Html);
        Assert.Equal("The text is too long: 1,000,000 characters; the limit is 100,000.", result.Validation.Errors["description"]);
    }

    [Fact]
    public void Text_exactly_at_the_limit_is_accepted()
    {
        var renderer = new MarkdownRenderer(maxLength: 10);

        Assert.True(renderer.Render("0123456789").IsValid);
        Assert.False(renderer.Render("0123456789a").IsValid);
    }

    [Fact]
    public void The_error_names_the_field_it_was_given()
    {
        var result = new MarkdownRenderer(5).Render("too long", field: "body");

        Assert.True(result.Validation.Errors.ContainsKey("body"));
    }

    [Fact]
    public void Nul_characters_are_refused_but_line_breaks_and_tabs_are_not()
    {
        Assert.False(MarkdownRenderer.Default.Render("a\0b").IsValid);
        Assert.True(MarkdownRenderer.Default.Render("a\r\n\tb").IsValid);
    }
}

public class MarkdownRendererHostileInputTests
{
    public static TheoryData<string, string> TooDeep => new()
    {
        { "quotes", new string('>', 65) + " x" },
        { "quotes, many", new string('>', 90_000) },
        { "brackets", new string('[', 5_000) },
        { "lists", string.Concat(Enumerable.Range(0, 70).Select(i => new string(' ', i * 2) + "- x\n")) },
    };

    [Theory]
    [MemberData(nameof(TooDeep))]
    public void Text_nested_beyond_the_parsers_limit_is_refused_not_thrown(string kind, string markdown)
    {
        var result = MarkdownRenderer.Default.Render(markdown);

        Assert.False(result.IsValid, kind);
        Assert.Equal(MarkdownRenderer.TooDeeplyNested, result.Validation.Errors["description"]);
    }

    [Fact]
    public void Ordinary_nesting_renders()
    {
        var result = MarkdownRenderer.Default.Render(new string('>', 10) + " deep quote\n\n- a\n  - b\n    - c");

        Assert.True(result.IsValid);
        Assert.Contains("deep quote", result.Html);
    }

    [Fact]
    public void Mentions_in_text_nested_beyond_the_limit_notify_nobody()
    {
        Assert.Empty(Mentions.Parse(new string('>', 5_000) + " @ann"));
    }

    [Fact]
    public void Comments_nested_beyond_the_limit_are_refused() =>
        Assert.Equal(MarkdownRenderer.TooDeeplyNested, CommentRules.Validate(new string('>', 9_000) + " @ann").Validation.Errors["body"]);
}
