using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

public class MentionsTests
{
    [Fact]
    public void Mentions_are_found_in_order_of_appearance()
    {
        Assert.Equal(["ann", "bob.smith", "c_d-e"], Mentions.Parse("@ann what do you think? cc @bob.smith and @c_d-e"));
    }

    [Fact]
    public void Each_person_is_listed_once_ignoring_case()
    {
        Assert.Equal(["Ann"], Mentions.Parse("@Ann and @ann and @ANN"));
    }

    [Fact]
    public void Sentence_punctuation_after_a_name_is_not_part_of_it()
    {
        Assert.Equal(["ann", "bob"], Mentions.Parse("Thanks @ann. Also (@bob), right?"));
    }

    [Fact]
    public void Email_addresses_are_not_mentions()
    {
        Assert.Empty(Mentions.Parse("write to ann@example.org or first.last@uni.edu"));
    }

    [Fact]
    public void Mentions_in_code_spans_are_ignored()
    {
        Assert.Equal(["real"], Mentions.Parse("the decorator `class A: @property` fires it, says @real"));
    }

    [Fact]
    public void Mentions_in_fenced_and_indented_code_blocks_are_ignored()
    {
        Assert.Equal(["after"], Mentions.Parse("```python\n@dataclass\nclass A: ...\n```\n\n    @indented\n\nthen @after"));
    }

    [Fact]
    public void Mentions_inside_emphasis_lists_and_quotes_are_found()
    {
        Assert.Equal(["ann", "bob", "cy"], Mentions.Parse("**@ann**\n\n- item for @bob\n\n> quoting @cy"));
    }

    [Fact]
    public void At_signs_inside_link_urls_are_ignored_but_link_text_counts()
    {
        Assert.Equal(["ann"], Mentions.Parse("[ask @ann](https://mastodon.social/@alice) https://x.example/@carol\n\n[r]: https://y.example/@dan"));
    }

    [Fact]
    public void A_lone_at_sign_or_punctuation_is_not_a_mention()
    {
        Assert.Empty(Mentions.Parse("meet @ 5pm, @. or @-"));
    }

    [Fact]
    public void Text_without_mentions_gives_an_empty_list()
    {
        Assert.Empty(Mentions.Parse(null));
        Assert.Empty(Mentions.Parse("no one here"));
    }

    [Fact]
    public void Names_in_other_scripts_are_mentions()
    {
        Assert.Equal(["Zoë", "田中"], Mentions.Parse("@Zoë and @田中"));
    }
}

public class CommentRulesTests
{
    [Fact]
    public void A_comment_is_rendered_and_its_mentions_listed()
    {
        var result = CommentRules.Validate("**@ann** see <script>x</script>");

        Assert.True(result.IsValid);
        Assert.Equal("<p><strong>@ann</strong> see &lt;script&gt;x&lt;/script&gt;</p>\n", result.Value!.BodyHtml);
        Assert.Equal(["ann"], result.Value.MentionedUserNames);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \n ")]
    public void A_blank_comment_is_refused(string? body) =>
        Assert.Equal("The comment is empty.", CommentRules.Validate(body).Validation.Errors["body"]);

    [Fact]
    public void A_comment_over_ten_thousand_characters_is_refused()
    {
        Assert.False(CommentRules.Validate(new string('c', 10_001)).IsValid);
        Assert.True(CommentRules.Validate(new string('c', 10_000)).IsValid);
    }
}
