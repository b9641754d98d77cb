using System.Text;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Ml.Lm.Tokenization;

/// <summary>GPT-2's byte-level alphabet and pre-tokenisation (Radford et al. 2019, openai/gpt-2 encoder.py).</summary>
public static partial class ByteLevel
{
    /// <summary>Splits text into contractions, letter runs, digit runs, punctuation runs and whitespace.</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    public static partial Regex PreTokenizer();

    /// <summary>
    /// Maps each byte to a printable character: printable Latin-1 bytes map to themselves, the others to
    /// U+0100 upwards, so that every token is a visible string (GPT-2's bytes_to_unicode).
    /// </summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    /// <summary>The byte-level string of a pre-token ("␠the" → "Ġthe").</summary>
    public static string Encode(string preToken)
    {
        var bytes = Encoding.UTF8.GetBytes(preToken);
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }
}
