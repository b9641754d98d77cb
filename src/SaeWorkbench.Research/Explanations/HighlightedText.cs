using System.Text;

namespace SaeWorkbench.Research.Explanations;

/// <summary>
/// Text with marked tokens as the explainer and the scorers show it: each run of consecutive marked tokens between
/// &lt;&lt; and &gt;&gt;, the convention of EleutherAI delphi's prompts.
/// </summary>
public static class HighlightedText
{
    public const string Open = "<<";
    public const string Close = ">>";

    public static string Render(IReadOnlyList<string> tokens, IReadOnlyList<bool> marked)
    {
        var text = new StringBuilder();
        for (var i = 0; i < tokens.Count; i++)
        {
            var on = i < marked.Count && marked[i];
            var before = i > 0 && i - 1 < marked.Count && marked[i - 1];
            if (on && !before) text.Append(Open);
            if (!on && before) text.Append(Close);
            text.Append(tokens[i]);
        }
        if (tokens.Count > 0 && tokens.Count - 1 < marked.Count && marked[tokens.Count - 1]) text.Append(Close);
        return text.ToString();
    }

    /// <summary>The plain text of the tokens, nothing marked (detection shows contexts this way).</summary>
    public static string Plain(IReadOnlyList<string> tokens) => string.Concat(tokens);
}
