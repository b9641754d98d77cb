using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

public class InterpretationRulesTests
{
    private static Validated<ValidInterpretation> Validate(string? label = "Python keywords", string? description = "Fires on `def`.", int confidence = 3, string? tag = "syntax") =>
        InterpretationRules.Validate(new InterpretationDraft(label, description, confidence, tag), Taxonomy.Default);

    [Fact]
    public void A_complete_draft_is_valid_and_normalised()
    {
        var result = Validate(label: "  Python keywords  ", tag: "SYNTAX");

        Assert.True(result.IsValid);
        Assert.Equal("Python keywords", result.Value!.Label);
        Assert.Equal("syntax", result.Value.Tag);
        Assert.Equal("<p>Fires on <code>def</code>.</p>\n", result.Value.DescriptionHtml);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \t ")]
    public void Empty_labels_are_refused(string? label)
    {
        var result = Validate(label: label);

        Assert.Equal("The label is empty; write a short name for what the latent detects.", result.Validation.Errors["label"]);
    }

    [Fact]
    public void A_label_of_120_characters_is_accepted_and_121_refused()
    {
        Assert.True(Validate(label: new string('x', 120)).IsValid);

        var tooLong = Validate(label: new string('x', 121));
        Assert.Equal("The label is 121 characters; the limit is 120. Put the detail in the description.", tooLong.Validation.Errors["label"]);
    }

    [Fact]
    public void Surrounding_whitespace_does_not_count_towards_the_label_limit()
    {
        Assert.True(Validate(label: "  " + new string('x', 120) + "  ").IsValid);
    }

    [Theory]
    [InlineData("two\nlines")]
    [InlineData("bell\u0007")]
    [InlineData("nul\0")]
    [InlineData("tab\there")]
    [InlineData("evil\u202Egnp.exe")]
    public void Labels_with_control_or_spoofing_characters_are_refused(string label)
    {
        var result = Validate(label: label);

        Assert.StartsWith("The label contains ", result.Validation.Errors["label"]);
    }

    [Fact]
    public void Labels_with_an_unpaired_surrogate_are_refused()
    {
        // Built in code: xUnit's test-case serialisation would replace a lone surrogate with U+FFFD.
        var label = "half " + (char)0xD800 + " surrogate";

        Assert.Equal("The label contains an unpaired surrogate (U+D800) at position 6; labels are one line of plain text.", Validate(label: label).Validation.Errors["label"]);
    }

    [Fact]
    public void Emoji_and_non_latin_labels_are_accepted()
    {
        Assert.True(Validate(label: "日本語の助詞 👍🏽").IsValid);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(-1)]
    public void Confidence_outside_one_to_five_is_refused(int confidence)
    {
        Assert.Equal($"Confidence must be a whole number from 1 to 5; got {confidence}.", Validate(confidence: confidence).Validation.Errors["confidence"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Confidence_at_the_bounds_is_accepted(int confidence) => Assert.True(Validate(confidence: confidence).IsValid);

    [Fact]
    public void A_tag_outside_the_taxonomy_is_refused_with_the_choices()
    {
        var result = Validate(tag: "vibes");

        Assert.Equal(
            "\"vibes\" is not a tag of this workspace; choose one of: lexical-token, syntax, topic-semantic, entity, format-position, polysemantic, uninterpretable.",
            result.Validation.Errors["tag"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void The_tag_is_optional(string? tag)
    {
        var result = Validate(tag: tag);

        Assert.True(result.IsValid);
        Assert.Null(result.Value!.Tag);
    }

    [Fact]
    public void A_description_over_one_hundred_thousand_characters_is_refused()
    {
        var result = Validate(description: new string('a', 100_001));

        Assert.Equal("The description is too long: 100,001 characters; the limit is 100,000.", result.Validation.Errors["description"]);
    }

    [Fact]
    public void A_description_at_the_limit_is_accepted() => Assert.True(Validate(description: new string('a', 100_000)).IsValid);

    [Fact]
    public void Every_failing_field_is_reported_at_once()
    {
        var result = Validate(label: "", description: new string('a', 200_000), confidence: 9, tag: "nope");

        Assert.Null(result.Value);
        Assert.Equal(["confidence", "description", "label", "tag"], result.Validation.Errors.Keys.Order().ToArray());
    }

    [Fact]
    public void The_description_is_stored_sanitised()
    {
        var result = Validate(description: "<img src=x onerror=alert(1)> [x](javascript:alert(1))");

        Assert.Equal("<p>&lt;img src=x onerror=alert(1)&gt; x</p>\n", result.Value!.DescriptionHtml);
    }

    [Fact]
    public void Problem_errors_have_the_shape_aspnet_validation_problems_take()
    {
        var errors = Validate(label: "").Validation.ToProblemErrors();

        Assert.Equal(["The label is empty; write a short name for what the latent detects."], errors["label"]);
    }
}

public class TaxonomyTests
{
    [Fact]
    public void The_default_taxonomy_has_the_seven_tags_of_the_issue_in_order()
    {
        Assert.Equal(
            ["lexical/token", "syntax", "topic/semantic", "entity", "format/position", "polysemantic", "uninterpretable"],
            Taxonomy.Default.Tags.Select(t => t.Name).ToArray());
    }

    [Fact]
    public void Duplicate_keys_are_refused_ignoring_case()
    {
        var result = Taxonomy.Validate([new("a", "A", ""), new("b", "B", ""), new("a", "C", "")]);

        Assert.Equal("Tag key \"a\" is used twice.", result.Errors["tags[2].key"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("has space")]
    [InlineData("-leading")]
    public void Keys_that_are_not_slugs_are_refused(string key)
    {
        Assert.False(Taxonomy.Validate([new(key, "Name", "")]).IsValid);
    }

    [Fact]
    public void An_empty_taxonomy_is_refused() =>
        Assert.Equal("A taxonomy needs at least one tag.", Taxonomy.Validate([]).Errors["tags"]);

    [Fact]
    public void Duplicate_names_are_refused() =>
        Assert.False(Taxonomy.Validate([new("a", "Same", ""), new("b", "same", "")]).IsValid);

    [Fact]
    public void Constructing_an_invalid_taxonomy_throws() =>
        Assert.Throws<ArgumentException>(() => new Taxonomy([new("a", "", "")]));

    [Fact]
    public void A_custom_taxonomy_is_used_for_validation()
    {
        var custom = new Taxonomy([new("circuit", "circuit", "Part of a known circuit.")]);

        Assert.True(InterpretationRules.Validate(new("x", null, 3, "circuit"), custom).IsValid);
        Assert.False(InterpretationRules.Validate(new("x", null, 3, "syntax"), custom).IsValid);
    }
}
