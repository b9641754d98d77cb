using SaeWorkbench.Research.Explanations;

namespace SaeWorkbench.Research.Tests.Explanations;

public sealed class ExplainerPromptTests
{
    [Fact]
    public void The_prompt_is_a_system_message_three_worked_examples_and_the_latents_excerpts()
    {
        var messages = ExplainerPrompt.Build([new ExplainerExample(["a", " b"], [0f, 1f])]);

        Assert.Equal(["system", "user", "assistant", "user", "assistant", "user", "assistant", "user"], messages.Select(m => m.Role));
        Assert.All(messages.Where(m => m.Role == "assistant"), m => Assert.StartsWith("[EXPLANATION]:", m.Content));
        Assert.Contains("[EXPLANATION]:", messages[0].Content);
    }

    [Fact]
    public void Tokens_at_three_tenths_of_the_context_maximum_are_marked_and_listed_on_a_zero_to_ten_scale()
    {
        // Scale: the largest activation of all excerpts (4). Excerpt 1 max 4 → marks ≥ 1.2; excerpt 2 max 2 → ≥ 0.6.
        var text = ExplainerPrompt.Excerpts([
            new ExplainerExample(["the", " cat", " sat", " down"], [0f, 4f, 1.2f, 1f]),
            new ExplainerExample(["a", " dog"], [0.5f, 2f]),
        ]);

        Assert.Equal(
            "Excerpt 1: the<< cat sat>> down\n" +
            "Activations: (\" cat\", 10), (\" sat\", 3)\n" +
            "Excerpt 2: a<< dog>>\n" +
            "Activations: (\" dog\", 5)\n",
            text.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_run_of_marked_tokens_at_the_end_is_closed()
    {
        Assert.Equal("x<<yz>>", HighlightedText.Render(["x", "y", "z"], [false, true, true]));
        Assert.Equal("<<x>>y<<z>>", HighlightedText.Render(["x", "y", "z"], [true, false, true]));
    }

    [Fact]
    public void No_examples_is_refused_with_the_reason()
    {
        var e = Assert.Throws<ArgumentException>(() => ExplainerPrompt.Build([]));
        Assert.Contains("at least one activating context", e.Message);
    }

    [Theory]
    [InlineData("Step 1: tokens...\n[EXPLANATION]: Names of cities.", "Names of cities.")]
    [InlineData("[EXPLANATION]: first try\n[EXPLANATION]: \"Days of the week\"\n", "Days of the week")]
    [InlineData("Explanation: **Words about money**", "Words about money")]
    [InlineData("[EXPLANATION]:\n\n   Plural   nouns  \nmore text", "Plural nouns")]
    [InlineData("[EXPLANATION]: Names of", "Names of")]
    public void The_explanation_is_read_from_the_last_marker_line(string reply, string expected)
    {
        var parsed = ExplainerPrompt.Parse(reply);
        Assert.True(parsed.Succeeded, parsed.Problem);
        Assert.Equal(expected, parsed.Explanation);
    }

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("   ", "empty")]
    [InlineData("The feature is about cities.", "no \"[EXPLANATION]:\" line")]
    [InlineData("[EXPLANATION]:   \n  ", "line is empty")]
    public void A_malformed_reply_yields_a_problem_not_an_exception(string? reply, string problem)
    {
        var parsed = ExplainerPrompt.Parse(reply);
        Assert.False(parsed.Succeeded);
        Assert.Contains(problem, parsed.Problem);
    }

    [Fact]
    public void A_long_explanation_is_cut_at_a_word_to_the_label_length()
    {
        var parsed = ExplainerPrompt.Parse("[EXPLANATION]: " + string.Join(" ", Enumerable.Repeat("word", 60)));
        Assert.True(parsed.Explanation!.Length <= ExplainerPrompt.MaxLength);
        Assert.EndsWith("word…", parsed.Explanation);
    }
}
