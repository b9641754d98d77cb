using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Research.Explanations;

/// <summary>One generated token's log-probability and its top alternatives (OpenAI's <c>logprobs.content</c>).</summary>
public sealed record TokenLogprob(string Token, double Logprob, IReadOnlyList<(string Token, double Logprob)> Top);

/// <summary>The rater's answers for one batch: one entry per context (null where it gave none), the probability
/// of "yes" where the log-probabilities allow, and what was wrong with the reply, if anything.</summary>
public sealed record ParsedClassification(IReadOnlyList<bool?> Answers, IReadOnlyList<double?> Probabilities, string? Problem);

/// <summary>
/// Detection and fuzzing prompts (docs/science.md §13). Their shape follows EleutherAI delphi's classifier scorers
/// (delphi/scorers/classifier/classifier.py, prompts/detection_prompt.py and prompts/fuzz_prompt.py): a system
/// message, three worked examples, then "Explanation: …" and numbered examples "Example i: …", answered with a
/// list of 1s and 0s, one per example. The wording and the worked examples are ours.
/// </summary>
public static class ClassifierPrompt
{
    public const string DetectionVersion = "detection-v1";
    public const string FuzzingVersion = "fuzzing-v1";

    /// <summary>Contexts per request (delphi shows 1–5; more leaks information and breaks small models' format).</summary>
    public const int BatchSize = 5;

    private const string DetectionSystem = """
        You check whether short text excerpts fit a description of a language-model feature, such as "names of
        cities" or "text in a sad tone". You get the description and a few numbered excerpts. For each excerpt, in
        order, answer 1 if the feature described would be active somewhere in it and 0 if not.
        Reply with a JSON list of 1s and 0s, one per excerpt, and nothing else, for example [1,0,0].
        """;

    private const string FuzzingSystem = """
        You check whether marked tokens fit a description of a language-model feature, such as "names of cities" or
        "text in a sad tone". You get the description and a few numbered excerpts in which some tokens are wrapped
        in << and >>. Some excerpts are marked correctly, some at random: any mix is possible. An excerpt is marked
        correctly only if every marked token is one the description is about. For each excerpt, in order, answer 1
        if it is marked correctly and 0 if not.
        Reply with a JSON list of 1s and 0s, one per excerpt, and nothing else, for example [1,0,0].
        """;

    private static readonly (string Prompt, string Reply)[] DetectionExamples =
    [
        ("Explanation: Names of the days of the week.\n\nExample 0: see you on Friday at the\nExample 1: the river flows north into\nExample 2: closed every Sunday and public holidays\n", "[1,0,1]"),
        ("Explanation: Words expressing thanks.\n\nExample 0: the train left at noon\nExample 1: a red car parked outside\nExample 2: he counted the boxes twice\n", "[0,0,0]"),
        ("Explanation: Programming keywords for an empty value.\n\nExample 0: return null if missing\nExample 1: x = None\nExample 2: set it to nil first\n", "[1,1,1]"),
    ];

    private static readonly (string Prompt, string Reply)[] FuzzingExamples =
    [
        ("Explanation: Names of the days of the week.\n\nExample 0: see you on<< Friday>> at the\nExample 1: the river<< flows>> north into\nExample 2: closed every<< Sunday>> and public holidays\n", "[1,0,1]"),
        ("Explanation: Words expressing thanks.\n\nExample 0: many<< thanks>> for<< coming>>\nExample 1:<< a>> red car parked outside\nExample 2: she said<< thank>> you\n", "[0,0,1]"),
        ("Explanation: Programming keywords for an empty value.\n\nExample 0: return<< null>> if missing\nExample 1: x =<< None>>\nExample 2: set it to<< nil>> first\n", "[1,1,1]"),
    ];

    public static IReadOnlyList<ChatMessage> Detection(string explanation, IReadOnlyList<string> contexts) =>
        Build(DetectionSystem, DetectionExamples, explanation, contexts);

    /// <summary>Fuzzing: <paramref name="contexts"/> already carry their &lt;&lt; &gt;&gt; marks.</summary>
    public static IReadOnlyList<ChatMessage> Fuzzing(string explanation, IReadOnlyList<string> contexts) =>
        Build(FuzzingSystem, FuzzingExamples, explanation, contexts);

    private static IReadOnlyList<ChatMessage> Build(string system, (string Prompt, string Reply)[] examples, string explanation, IReadOnlyList<string> contexts)
    {
        if (contexts.Count == 0) throw new ArgumentException("A classifier prompt needs at least one context.", nameof(contexts));
        var messages = new List<ChatMessage> { ChatMessage.System(system) };
        foreach (var (prompt, reply) in examples)
        {
            messages.Add(ChatMessage.User(prompt));
            messages.Add(ChatMessage.Assistant(reply));
        }
        var text = new StringBuilder("Explanation: ").Append(OneLine(explanation)).Append("\n\n");
        for (var i = 0; i < contexts.Count; i++) text.Append("Example ").Append(i).Append(": ").Append(OneLine(contexts[i])).Append('\n');
        messages.Add(ChatMessage.User(text.ToString()));
        return messages;
    }

    // A newline inside an excerpt would read as the start of the next example.
    private static string OneLine(string text) => text.Replace("\r\n", "↵").Replace('\n', '↵').Replace('\r', '↵');

    private static readonly Regex FirstList = new(@"\[[^\[\]]*\]", RegexOptions.CultureInvariant);

    /// <summary>
    /// The answers in a reply: the first [...] list, each item 1/0, true/false or yes/no (quoted or not). Never
    /// throws: a missing list gives no answers; a short list leaves the tail unanswered; items past
    /// <paramref name="expected"/> are ignored; an unreadable item is unanswered. Probabilities come from
    /// <paramref name="logprobs"/> as in delphi's <c>_parse_logprobs</c> — for each generated token that is a 0 or
    /// a 1, P(1) / (P(0) + P(1)) over its top alternatives — and are used only when there is exactly one per
    /// context.
    /// </summary>
    public static ParsedClassification Parse(string? reply, int expected, IReadOnlyList<TokenLogprob>? logprobs = null)
    {
        var none = Enumerable.Repeat<double?>(null, expected).ToList();
        var answers = new bool?[expected];
        if (string.IsNullOrWhiteSpace(reply)) return new(answers, none, "The model's reply was empty.");
        var match = FirstList.Match(reply);
        if (!match.Success) return new(answers, none, "The model's reply has no [ … ] list.");
        var items = match.Value[1..^1].Split(',', StringSplitOptions.TrimEntries);
        var unreadable = 0;
        for (var i = 0; i < Math.Min(expected, items.Length); i++)
        {
            answers[i] = items[i].Trim('"', '\'', ' ').ToLowerInvariant() switch
            {
                "1" or "true" or "yes" => true,
                "0" or "false" or "no" => false,
                _ => null,
            };
            if (answers[i] is null) unreadable++;
        }
        var problems = new List<string>();
        var given = items.Length == 1 && items[0].Length == 0 ? 0 : items.Length;
        if (given < expected) problems.Add($"The model answered {given} of {expected} examples.");
        if (given > expected) problems.Add($"The model gave {given} answers for {expected} examples; the extra ones were ignored.");
        if (unreadable > 0) problems.Add($"{unreadable} answers were neither 1 nor 0.");
        return new(answers, Probabilities(logprobs, expected) ?? none, problems.Count == 0 ? null : string.Join(" ", problems));
    }

    private static IReadOnlyList<double?>? Probabilities(IReadOnlyList<TokenLogprob>? logprobs, int expected)
    {
        if (logprobs is null) return null;
        var result = new List<double?>();
        foreach (var token in logprobs)
        {
            var t = token.Token.Trim();
            if (t is not ("0" or "1")) continue;
            double p0 = 0, p1 = 0;
            foreach (var (alt, lp) in token.Top)
            {
                var a = alt.Trim();
                if (a == "0") p0 += Math.Exp(lp);
                else if (a == "1") p1 += Math.Exp(lp);
            }
            // Without alternatives, the chosen token's own probability is all there is.
            if (p0 + p1 == 0) { if (t == "1") p1 = Math.Exp(token.Logprob); else p0 = Math.Exp(token.Logprob); }
            result.Add(p1 / (p0 + p1));
        }
        return result.Count == expected ? result : null;
    }

    /// <summary>A reply's list as JSON, for the record kept with each score.</summary>
    public static string AnswersJson(IEnumerable<bool?> answers) => JsonSerializer.Serialize(answers.Select(a => a switch { true => 1, false => 0, null => (int?)null }));
}
