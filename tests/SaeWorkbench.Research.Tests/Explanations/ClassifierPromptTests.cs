using SaeWorkbench.Research.Explanations;

namespace SaeWorkbench.Research.Tests.Explanations;

public sealed class ClassifierPromptTests
{
    [Fact]
    public void The_last_message_numbers_the_examples_from_zero_under_the_explanation()
    {
        var messages = ClassifierPrompt.Detection("Days of the week", ["on Friday", "a\nb"]);

        Assert.Equal(8, messages.Count);
        Assert.Equal("Explanation: Days of the week\n\nExample 0: on Friday\nExample 1: a↵b\n", messages[^1].Content);
    }

    [Fact]
    public void Fuzzing_and_detection_use_different_instructions()
    {
        Assert.NotEqual(ClassifierPrompt.Detection("x", ["a"])[0].Content, ClassifierPrompt.Fuzzing("x", ["a"])[0].Content);
        Assert.Contains("<< and >>", ClassifierPrompt.Fuzzing("x", ["a"])[0].Content);
    }

    [Fact]
    public void A_well_formed_list_gives_one_answer_per_example()
    {
        var parsed = ClassifierPrompt.Parse("Sure! [1, 0, \"1\", true, no] hope that helps [0]", 5);

        Assert.Equal([true, false, true, true, false], parsed.Answers);
        Assert.Null(parsed.Problem);
    }

    [Fact]
    public void A_short_list_leaves_the_tail_unanswered_and_says_so()
    {
        var parsed = ClassifierPrompt.Parse("[1,0", 3);
        Assert.Equal([null, null, null], parsed.Answers);
        Assert.Contains("no [ … ] list", parsed.Problem);

        var partial = ClassifierPrompt.Parse("[1,0]", 3);
        Assert.Equal([true, false, null], partial.Answers);
        Assert.Contains("answered 2 of 3", partial.Problem);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("I cannot tell.")]
    [InlineData("[]")]
    [InlineData("[maybe, 2, {}]")]
    public void A_malformed_reply_never_throws_and_answers_nothing(string? reply)
    {
        var parsed = ClassifierPrompt.Parse(reply, 3);
        Assert.Equal(3, parsed.Answers.Count);
        Assert.All(parsed.Answers, Assert.Null);
        Assert.NotNull(parsed.Problem);
    }

    [Fact]
    public void Extra_answers_are_ignored_with_a_note()
    {
        var parsed = ClassifierPrompt.Parse("[1,1,0,0]", 2);
        Assert.Equal([true, true], parsed.Answers);
        Assert.Contains("extra", parsed.Problem);
    }

    [Fact]
    public void Probabilities_are_p1_over_p0_plus_p1_of_each_answer_token()
    {
        // Tokens "[", "1", ",", "0", "]": P(1)=0.6, P(0)=0.2 → 0.75; second: P(1)=0.1, P(0)=0.3 → 0.25.
        TokenLogprob T(string t, params (string, double)[] top) => new(t, Math.Log(0.5), top.Select(x => (x.Item1, Math.Log(x.Item2))).ToList());
        var logprobs = new[] { T("["), T("1", ("1", 0.6), ("0", 0.2), ("2", 0.1)), T(","), T("0", ("0", 0.3), ("1", 0.1)), T("]") };

        var parsed = ClassifierPrompt.Parse("[1,0]", 2, logprobs);

        Assert.Equal(0.75, parsed.Probabilities[0]!.Value, 12);
        Assert.Equal(0.25, parsed.Probabilities[1]!.Value, 12);
    }

    [Fact]
    public void Probabilities_are_dropped_when_their_count_does_not_match_the_examples()
    {
        var parsed = ClassifierPrompt.Parse("[1,0]", 2, [new TokenLogprob("1", -0.1, [])]);
        Assert.All(parsed.Probabilities, Assert.Null);
    }
}
