namespace SaeWorkbench.Ml.Lm.Tokenization;

/// <summary>
/// One entry of tokenizer.json's <c>added_tokens</c>: a string matched literally in the text before the model sees
/// it (special tokens such as <c>&lt;|im_start|&gt;</c> and plain added tokens such as Qwen's <c>&lt;think&gt;</c>).
/// </summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LeftStrip, bool RightStrip);

/// <summary>
/// Cuts text at added-token strings, leftmost match first and the longest string at a position, as Hugging Face's
/// tokenizers do (a trie walk; <c>&lt;unused10&gt;</c> wins over <c>&lt;unused1&gt;</c>), and applies an added
/// token's <c>lstrip</c>/<c>rstrip</c> to the whitespace beside it.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private sealed class Node
    {
        public Dictionary<char, Node>? Next;
        public AddedToken? Token;
    }

    private readonly Node _root = new();
    public bool IsEmpty { get; }

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens, Func<string, string>? normalize = null)
    {
        var empty = true;
        foreach (var token in tokens)
        {
            var content = normalize is null ? token.Content : normalize(token.Content);
            if (content.Length == 0) continue;
            var node = _root;
            foreach (var c in content)
            {
                node.Next ??= [];
                if (!node.Next.TryGetValue(c, out var child)) node.Next[c] = child = new Node();
                node = child;
            }
            node.Token ??= token;
            empty = false;
        }
        IsEmpty = empty;
    }

    /// <summary>The text as alternating plain pieces (Token null) and added tokens; empty plain pieces are left out.</summary>
    public List<(string Text, AddedToken? Token)> Split(string text)
    {
        var pieces = new List<(string Text, AddedToken? Token)>();
        if (IsEmpty)
        {
            if (text.Length > 0) pieces.Add((text, null));
            return pieces;
        }
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            var node = _root;
            AddedToken? match = null;
            var matchEnd = i;
            for (var j = i; j < text.Length && node.Next is not null && node.Next.TryGetValue(text[j], out node); j++)
            {
                if (node.Token is not null) { match = node.Token; matchEnd = j + 1; }
            }
            if (match is null) { i++; continue; }
            if (i > start) pieces.Add((text[start..i], null));
            pieces.Add((text[i..matchEnd], match));
            i = start = matchEnd;
        }
        if (start < text.Length) pieces.Add((text[start..], null));

        // lstrip/rstrip: the token swallows the whitespace beside it.
        for (var k = 0; k < pieces.Count; k++)
        {
            if (pieces[k].Token is not { } token) continue;
            if (token.LeftStrip && k > 0 && pieces[k - 1].Token is null) pieces[k - 1] = (pieces[k - 1].Text.TrimEnd(), null);
            if (token.RightStrip && k + 1 < pieces.Count && pieces[k + 1].Token is null) pieces[k + 1] = (pieces[k + 1].Text.TrimStart(), null);
        }
        pieces.RemoveAll(p => p.Token is null && p.Text.Length == 0);
        return pieces;
    }
}
