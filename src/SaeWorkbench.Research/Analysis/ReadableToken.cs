using System.Collections.Frozen;
using System.Text;
using System.Text.RegularExpressions;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Features;

namespace SaeWorkbench.Research.Analysis;

/// <summary>
/// One token as text a person can read, including tokens that hold only part of a UTF-8 character. Byte-level BPE
/// (GPT-2, docs/science.md §10.2) splits rare characters into byte tokens, and decoding one such token alone gives
/// U+FFFD ("�") — every partial byte token then looks the same, or like an empty chip. Here the bytes that do not form
/// a character are written as <c>&lt;0xE2&gt;</c> (the notation SentencePiece's byte-fallback vocabularies use), the
/// rest as <see cref="TokenText.Readable"/> writes it (leading space "·", newline "↵", tab "→"). Plain text: pages encode it.
/// </summary>
public static partial class ReadableToken
{
    private static readonly FrozenDictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToFrozenDictionary(b => ByteLevel.ByteToChar[b], b => (byte)b);

    private static readonly Encoding Utf8WithByteNotation =
        Encoding.GetEncoding("utf-8", EncoderFallback.ExceptionFallback, new ByteNotationFallback());

    [GeneratedRegex("^<0x[0-9A-Fa-f]{2}>$")]
    private static partial Regex ByteFallbackToken();

    /// <summary>The readable form of token <paramref name="id"/>.</summary>
    public static string Of(ITokenizer? tokenizer, int id)
    {
        var text = TokenText.Readable(tokenizer, id);
        if (tokenizer is null) return text;
        // A control character (a byte token such as 0x01) draws as an empty box or nothing: write it as its byte.
        if (text.Any(char.IsControl)) text = string.Concat(text.Select(c => char.IsControl(c) ? $"<0x{(int)c:X2}>" : c.ToString()));
        if (!text.Contains('\uFFFD')) return text;
        var entry = tokenizer.TokenString(id);
        if (ByteFallbackToken().IsMatch(entry)) return entry.ToUpperInvariant().Replace("<0X", "<0x", StringComparison.Ordinal);
        return BytesOfByteLevel(entry) is { } bytes ? Printable(Utf8WithByteNotation.GetString(bytes)) : text;
    }

    /// <summary>Decodes <paramref name="bytes"/>, writing each byte that is not part of a valid UTF-8 character as <c>&lt;0xXX&gt;</c>.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes) => Utf8WithByteNotation.GetString(bytes);

    /// <summary>The bytes behind a byte-level BPE vocabulary entry ("Ġthe"), or null when it is not one.</summary>
    private static byte[]? BytesOfByteLevel(string entry)
    {
        var bytes = new byte[entry.Length];
        for (var i = 0; i < entry.Length; i++)
        {
            if (!CharToByte.TryGetValue(entry[i], out var b)) return null;
            bytes[i] = b;
        }
        return bytes;
    }

    private static string Printable(string text)
    {
        if (text.Length == 0) return text;
        var leadingSpace = text[0] == ' ';
        text = text.Replace("\r\n", "↵").Replace('\n', '↵').Replace('\r', '↵').Replace('\t', '→');
        if (text.Any(char.IsControl)) text = string.Concat(text.Select(c => char.IsControl(c) ? $"<0x{(int)c:X2}>" : c.ToString()));
        return leadingSpace ? "·" + text[1..] : text;
    }

    /// <summary>Writes each undecodable byte as <c>&lt;0xXX&gt;</c> instead of U+FFFD.</summary>
    private sealed class ByteNotationFallback : DecoderFallback
    {
        public override int MaxCharCount => 6 * 4; // at most four bytes of one broken sequence, six characters each

        public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer();

        private sealed class Buffer : DecoderFallbackBuffer
        {
            private string _text = "";
            private int _next;

            public override int Remaining => _text.Length - _next;

            public override bool Fallback(byte[] bytesUnknown, int index)
            {
                _text = string.Concat(bytesUnknown.Select(b => $"<0x{b:X2}>"));
                _next = 0;
                return true;
            }

            public override char GetNextChar() => _next < _text.Length ? _text[_next++] : '\0';

            public override bool MovePrevious()
            {
                if (_next == 0) return false;
                _next--;
                return true;
            }

            public override void Reset()
            {
                _text = "";
                _next = 0;
            }
        }
    }
}
