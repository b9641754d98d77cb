using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Research.Explanations;

/// <summary>One context shown to the explainer: the tokens as text and the latent's activation on each.</summary>
public sealed record ExplainerExample(IReadOnlyList<string> Tokens, IReadOnlyList<float> Activations);

/// <summary>What the explainer's reply yielded: the explanation, or why there is none.</summary>
public sealed record ParsedExplanation(string? Explanation, string? Problem)
{
    public bool Succeeded => Explanation is not null;
}

/// <summary>
/// The explainer prompt (docs/science.md §13). Its shape follows EleutherAI delphi's default explainer
/// (delphi/explainers/default/prompts.py, prompt_builder.py and explainers/explainer.py): a system message, three
/// worked examples as user/assistant turns, then the latent's contexts. In each context the tokens at or above
/// <see cref="Threshold"/> × that context's maximum are marked &lt;&lt;like this&gt;&gt;, and a line after it lists
/// the marked tokens with their activation scaled to 0–10 by the largest activation among the examples; the reply
/// ends with one line "[EXPLANATION]: …". The wording of the instructions and the worked examples is ours.
/// </summary>
public static class ExplainerPrompt
{
    /// <summary>Recorded with every machine explanation; change it whenever the text below changes.</summary>
    public const string Version = "explainer-v1";

    /// <summary>Share of a context's maximum above which a token is marked (delphi's 0.3).</summary>
    public const double Threshold = 0.3;

    /// <summary>At most this many marked tokens are listed per context, as delphi does, to keep prompts short.</summary>
    public const int MaxListedPerContext = 10;

    /// <summary>The longest explanation kept: the length of an interpretation's label.</summary>
    public const int MaxLength = 120;

    public const string Marker = "[EXPLANATION]:";

    private const string SystemText = """
        You study what individual features inside a language model respond to. You will see short text excerpts in
        which the feature is active. In each excerpt the tokens where it is most active are wrapped in << and >>
        (a run of adjacent active tokens shares one pair of markers). Under each excerpt, "Activations:" lists those
        tokens with the feature's strength on each, from 0 to 10.

        - Describe in one short phrase what the marked tokens and their surroundings have in common.
        - Summarise the pattern; do not list example tokens unless the feature is about one specific token.
        - Never mention the << >> markers themselves.
        - Give a single description, not several alternatives.
        - End your reply with one line that starts with [EXPLANATION]: followed by the description.
        """;

    // Three worked examples written for this project (delphi's own are idioms, "er" suffixes and containers).
    private static readonly (string Prompt, string Reply)[] WorkedExamples =
    [
        ("""
         Excerpt 1: the meeting was moved to <<Tuesday>> afternoon because
         Activations: ("Tuesday", 9)
         Excerpt 2: we open every day except <<Sunday>>, when the
         Activations: ("Sunday", 10)
         Excerpt 3: from <<Monday>> to <<Friday>> the office
         Activations: ("Monday", 8), ("Friday", 7)
         """, "[EXPLANATION]: Names of the days of the week."),
        ("""
         Excerpt 1: she smiled and said<< "Thank>> you so much
         Activations: (" \"Thank", 6)
         Excerpt 2: he wrote back:<< "Thanks>> for the
         Activations: (" \"Thanks", 8)
         Excerpt 3: many<< thanks>> to everyone who helped
         Activations: (" thanks", 5)
         """, "[EXPLANATION]: Words expressing thanks, especially at the start of quoted speech."),
        ("""
         Excerpt 1: the function returns<< null>> when the key
         Activations: (" null", 7)
         Excerpt 2: if value is<< None>>: raise
         Activations: (" None", 9)
         Excerpt 3: the pointer was set to<< nil>> before
         Activations: (" nil", 6)
         """, "[EXPLANATION]: Programming keywords for an empty or missing value."),
    ];

    /// <summary>The messages for one latent; the contexts are shown in the order given.</summary>
    public static IReadOnlyList<ChatMessage> Build(IReadOnlyList<ExplainerExample> examples)
    {
        if (examples.Count == 0) throw new ArgumentException("The explainer needs at least one activating context.", nameof(examples));
        var messages = new List<ChatMessage> { ChatMessage.System(SystemText) };
        foreach (var (prompt, reply) in WorkedExamples)
        {
            messages.Add(ChatMessage.User(prompt));
            messages.Add(ChatMessage.Assistant(reply));
        }
        messages.Add(ChatMessage.User(Excerpts(examples)));
        return messages;
    }

    /// <summary>The user message listing the latent's contexts.</summary>
    public static string Excerpts(IReadOnlyList<ExplainerExample> examples)
    {
        var scale = examples.SelectMany(e => e.Activations).DefaultIfEmpty(0f).Max();
        var text = new StringBuilder();
        for (var k = 0; k < examples.Count; k++)
        {
            var e = examples[k];
            var max = e.Activations.DefaultIfEmpty(0f).Max();
            var marked = e.Activations.Select(a => max > 0 && a >= Threshold * max).ToList();
            text.Append("Excerpt ").Append(k + 1).Append(": ").AppendLine(HighlightedText.Render(e.Tokens, marked));
            var listed = Enumerable.Range(0, Math.Min(e.Tokens.Count, marked.Count)).Where(i => marked[i]).Take(MaxListedPerContext)
                .Select(i => $"(\"{Escape(e.Tokens[i])}\", {Scaled(e.Activations[i], scale)})");
            text.Append("Activations: ").AppendLine(string.Join(", ", listed));
        }
        return text.ToString();
    }

    private static string Scaled(float activation, float scale) =>
        scale <= 0 ? "0" : ((int)Math.Round(10.0 * activation / scale)).ToString(CultureInfo.InvariantCulture);

    private static string Escape(string token) => token.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private static readonly Regex MarkerLine = new(@"\[?\s*EXPLANATION\s*\]?\s*:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>
    /// The explanation in a reply: the text after the last "[EXPLANATION]:" (brackets and case forgiven, as small
    /// models drop them), up to the end of that line, without surrounding quotes or Markdown emphasis, cut to
    /// <see cref="MaxLength"/> characters at a word boundary. Never throws: an empty, missing or marker-less reply
    /// yields a <see cref="ParsedExplanation.Problem"/> instead.
    /// </summary>
    public static ParsedExplanation Parse(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return new(null, "The model's reply was empty.");
        var matches = MarkerLine.Matches(reply);
        if (matches.Count == 0) return new(null, "The model's reply has no \"[EXPLANATION]:\" line.");
        var last = matches[^1];
        var rest = reply[(last.Index + last.Length)..];
        var line = rest.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        line = line.Trim('*', '_', '`', ' ').Trim('"', '\'', '“', '”').Trim();
        line = Regex.Replace(line, @"\s+", " ");
        if (line.Length == 0) return new(null, "The model's \"[EXPLANATION]:\" line is empty.");
        return new(Shorten(line), null);
    }

    private static string Shorten(string text)
    {
        if (text.Length <= MaxLength) return text;
        var cut = text.LastIndexOf(' ', MaxLength - 1);
        return (cut > MaxLength / 2 ? text[..cut] : text[..(MaxLength - 1)]).TrimEnd() + "…";
    }
}
