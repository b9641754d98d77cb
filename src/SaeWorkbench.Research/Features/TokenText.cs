using System.Collections.Concurrent;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Research.Features;

/// <summary>
/// Turns token ids into readable text for heatmaps: GPT-2 byte-level tokens decoded to Unicode, a
/// leading space shown as "·", newlines as "↵" and tabs as "→". The result is plain text: pages HTML-escape it.
/// Tokenizers are loaded once per model folder.
/// </summary>
public sealed class TokenText
{
    private readonly ConcurrentDictionary<string, Lazy<ITokenizer?>> _tokenizers = new(StringComparer.Ordinal);

    public ITokenizer? TokenizerFor(string? modelFolder)
    {
        if (string.IsNullOrWhiteSpace(modelFolder)) return null;
        return _tokenizers.GetOrAdd(modelFolder, f => new Lazy<ITokenizer?>(() =>
        {
            try { return TokenizerFolder.ExistsIn(f) ? TokenizerFolder.Load(f) : null; }
            catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or ArgumentException) { return null; }
        })).Value;
    }

    /// <summary>Readable form of one token.</summary>
    public static string Readable(ITokenizer? tokenizer, int id)
    {
        if (tokenizer is null) return $"[{id}]";
        if (id == tokenizer.EndOfTextId) return "⟨bos⟩";
        var text = tokenizer.Decode([id]);
        return text.Length == 0 ? $"[{id}]" : Visible(text);
    }

    /// <summary>Decoded token text with its whitespace made visible: a leading space as "·", newlines "↵", tabs "→".</summary>
    public static string Visible(string text)
    {
        if (text.Length == 0) return text;
        var leadingSpace = text[0] == ' ';
        text = text.Replace("\r\n", "↵").Replace('\n', '↵').Replace('\r', '↵').Replace('\t', '→');
        return leadingSpace ? "·" + text[1..] : text;
    }

    /// <summary>Running text (a context snippet) on one line: newlines "↵", tabs "→", spaces kept.</summary>
    public static string OneLine(string text) => text.Replace("\r\n", "↵").Replace('\n', '↵').Replace('\r', '↵').Replace('\t', '→');
}
