using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Ml.Lm.Tokenization;

/// <summary>A part of tokenizer.json that is malformed or that we do not implement; the message names the key.</summary>
internal sealed class TokenizerJsonException(string message) : Exception(message);

/// <summary>Reads the typed parts of tokenizer.json (normalizer, pre_tokenizer, decoder) into functions.</summary>
internal static class TokenizerJsonParts
{
    public static string Type(JsonElement part, string key) =>
        part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()!
            : throw new TokenizerJsonException($"{key} has no \"type\"");

    public static string? String(JsonElement part, string name) =>
        part.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static bool Bool(JsonElement part, string name, bool fallback) =>
        part.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    public static int Int(JsonElement part, string name, int fallback) =>
        part.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    /// <summary>
    /// A <c>{"String": s}</c> or <c>{"Regex": r}</c> pattern. Regexes are written for Oniguruma (the Rust library's
    /// engine); the ones tokenizers ship (GPT-2, Llama 3, Qwen) use only constructs .NET reads the same way.
    /// </summary>
    public static Regex Pattern(JsonElement part, string key)
    {
        if (!part.TryGetProperty("pattern", out var pattern) || pattern.ValueKind != JsonValueKind.Object)
            throw new TokenizerJsonException($"{key}.pattern is missing");
        if (pattern.TryGetProperty("String", out var s) && s.ValueKind == JsonValueKind.String)
            return new Regex(Regex.Escape(s.GetString()!), RegexOptions.CultureInvariant);
        if (pattern.TryGetProperty("Regex", out var r) && r.ValueKind == JsonValueKind.String)
        {
            try
            {
                return new Regex(r.GetString()!, RegexOptions.CultureInvariant | RegexOptions.Compiled);
            }
            catch (ArgumentException e)
            {
                throw new TokenizerJsonException($"{key}.pattern.Regex is not a regular expression .NET reads: {e.Message}");
            }
        }
        throw new TokenizerJsonException($"{key}.pattern must be {{\"String\": …}} or {{\"Regex\": …}}");
    }

    // ---- normalizers -------------------------------------------------------------------------------------------

    public static Func<string, string>? Normalizer(JsonElement part, string key = "normalizer")
    {
        if (part.ValueKind == JsonValueKind.Null || part.ValueKind == JsonValueKind.Undefined) return null;
        var type = Type(part, key);
        switch (type)
        {
            case "NFC": return s => s.Normalize(NormalizationForm.FormC);
            case "NFD": return s => s.Normalize(NormalizationForm.FormD);
            case "NFKC": return s => s.Normalize(NormalizationForm.FormKC);
            case "NFKD": return s => s.Normalize(NormalizationForm.FormKD);
            case "Lowercase": return s => s.ToLowerInvariant();
            case "Replace":
            {
                var regex = Pattern(part, key);
                var content = String(part, "content") ?? "";
                return s => regex.Replace(s, content.Replace("$", "$$"));
            }
            case "Prepend":
            {
                var prepend = String(part, "prepend") ?? throw new TokenizerJsonException($"{key}.prepend is missing");
                // The Rust normalizer prepends only to a non-empty string.
                return s => s.Length == 0 ? s : prepend + s;
            }
            case "Strip":
            {
                bool left = Bool(part, "strip_left", true), right = Bool(part, "strip_right", true);
                return s => left && right ? s.Trim() : left ? s.TrimStart() : right ? s.TrimEnd() : s;
            }
            case "Sequence":
            {
                var steps = Array(part, "normalizers", key).Select((p, i) => Normalizer(p, $"{key}.normalizers[{i}]"))
                    .Where(f => f is not null).Select(f => f!).ToArray();
                return s =>
                {
                    foreach (var step in steps) s = step(s);
                    return s;
                };
            }
            default:
                throw new TokenizerJsonException(
                    $"{key}.type \"{type}\" is not supported (supported: NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Strip, Sequence)");
        }
    }

    public static IEnumerable<JsonElement> Array(JsonElement part, string name, string key) =>
        part.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray()
            : throw new TokenizerJsonException($"{key}.{name} must be an array");

    // ---- pre-tokenizers ----------------------------------------------------------------------------------------

    /// <summary>
    /// A pre-tokenizer: splits one piece (with whether it starts the text) into pieces. Byte-level encoding is not
    /// done here: <see cref="PreTokenization.ByteLevel"/> tells the model to map bytes to its alphabet itself.
    /// </summary>
    public sealed record PreTokenization(Func<string, bool, IEnumerable<string>> Split, bool ByteLevel);

    public static PreTokenization PreTokenizer(JsonElement part, string key = "pre_tokenizer")
    {
        if (part.ValueKind == JsonValueKind.Null || part.ValueKind == JsonValueKind.Undefined)
            return new PreTokenization((s, _) => [s], false);
        var type = Type(part, key);
        switch (type)
        {
            case "Split":
            {
                var regex = Pattern(part, key);
                var behavior = String(part, "behavior") ?? "Isolated";
                var invert = Bool(part, "invert", false);
                if (invert && behavior is not ("Isolated" or "Removed"))
                    throw new TokenizerJsonException($"{key}: invert with behavior {behavior} is not supported");
                return new PreTokenization((s, _) => SplitBy(regex, s, behavior, invert, key), false);
            }
            case "ByteLevel":
            {
                var addPrefixSpace = Bool(part, "add_prefix_space", true);
                var useRegex = Bool(part, "use_regex", true);
                var regex = Tokenization.ByteLevel.PreTokenizer();
                return new PreTokenization((s, _) =>
                {
                    if (addPrefixSpace && !s.StartsWith(' ')) s = " " + s;
                    return useRegex ? regex.Matches(s).Select(m => m.Value) : [s];
                }, true);
            }
            case "Metaspace":
            {
                var replacement = String(part, "replacement") ?? "\u2581";
                var scheme = String(part, "prepend_scheme") ?? (Bool(part, "add_prefix_space", true) ? "always" : "never");
                var split = Bool(part, "split", true);
                if (scheme is not ("always" or "first" or "never"))
                    throw new TokenizerJsonException($"{key}.prepend_scheme \"{scheme}\" is not supported (always, first, never)");
                var marker = new Regex(Regex.Escape(replacement));
                return new PreTokenization((s, first) =>
                {
                    s = s.Replace(" ", replacement);
                    if (!s.StartsWith(replacement, StringComparison.Ordinal) && (scheme == "always" || (scheme == "first" && first)))
                        s = replacement + s;
                    return split ? SplitBy(marker, s, "MergedWithNext", false, key) : [s];
                }, false);
            }
            case "Sequence":
            {
                var steps = Array(part, "pretokenizers", key).Select((p, i) => PreTokenizer(p, $"{key}.pretokenizers[{i}]")).ToArray();
                return new PreTokenization((s, first) =>
                {
                    IEnumerable<string> pieces = [s];
                    foreach (var step in steps)
                    {
                        var current = pieces.ToList();
                        pieces = current.SelectMany((p, i) => step.Split(p, first && i == 0)).ToList();
                    }
                    return pieces;
                }, steps.Any(p => p.ByteLevel));
            }
            default:
                throw new TokenizerJsonException(
                    $"{key}.type \"{type}\" is not supported (supported: Split, ByteLevel, Metaspace, Sequence)");
        }
    }

    /// <summary>Splits at the pattern's matches, keeping them as the Rust library's SplitDelimiterBehavior says.</summary>
    public static List<string> SplitBy(Regex pattern, string s, string behavior, bool invert, string key)
    {
        // (text, isMatch) runs covering s.
        var runs = new List<(string Text, bool Match)>();
        var at = 0;
        foreach (Match m in pattern.Matches(s))
        {
            if (m.Length == 0) continue;
            if (m.Index > at) runs.Add((s[at..m.Index], false));
            runs.Add((m.Value, true));
            at = m.Index + m.Length;
        }
        if (at < s.Length) runs.Add((s[at..], false));
        if (invert) runs = runs.Select(r => (r.Text, !r.Match)).ToList();
        var pieces = new List<string>();
        switch (behavior)
        {
            case "Isolated":
                pieces.AddRange(runs.Select(r => r.Text));
                break;
            case "Removed":
                pieces.AddRange(runs.Where(r => !r.Match).Select(r => r.Text));
                break;
            case "MergedWithPrevious":
            {
                var current = new StringBuilder();
                foreach (var (text, match) in runs)
                {
                    current.Append(text);
                    if (match) { pieces.Add(current.ToString()); current.Clear(); }
                }
                if (current.Length > 0) pieces.Add(current.ToString());
                break;
            }
            case "MergedWithNext":
            {
                var current = new StringBuilder();
                foreach (var (text, match) in runs)
                {
                    if (match && current.Length > 0) { pieces.Add(current.ToString()); current.Clear(); }
                    current.Append(text);
                }
                if (current.Length > 0) pieces.Add(current.ToString());
                break;
            }
            case "Contiguous":
            {
                var current = new StringBuilder();
                var inMatch = false;
                foreach (var (text, match) in runs)
                {
                    if (current.Length > 0 && (match != inMatch || !match)) { pieces.Add(current.ToString()); current.Clear(); }
                    current.Append(text);
                    inMatch = match;
                }
                if (current.Length > 0) pieces.Add(current.ToString());
                break;
            }
            default:
                throw new TokenizerJsonException(
                    $"{key}.behavior \"{behavior}\" is not supported (Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous)");
        }
        pieces.RemoveAll(p => p.Length == 0);
        return pieces;
    }

    // ---- decoders ----------------------------------------------------------------------------------------------

    /// <summary>A decoder step over the token strings; added tokens pass the byte-level step unchanged.</summary>
    public delegate List<string> DecodeStep(List<string> tokens, Func<string, bool> isAddedToken);

    public static DecodeStep? Decoder(JsonElement part, string key = "decoder")
    {
        if (part.ValueKind == JsonValueKind.Null || part.ValueKind == JsonValueKind.Undefined) return null;
        var type = Type(part, key);
        switch (type)
        {
            case "ByteLevel": return ByteLevelDecode;
            case "Replace":
            {
                var regex = Pattern(part, key);
                var content = String(part, "content") ?? "";
                return (tokens, _) => tokens.Select(t => regex.Replace(t, content.Replace("$", "$$"))).ToList();
            }
            case "ByteFallback": return (tokens, _) => ByteFallbackDecode(tokens);
            case "Fuse": return (tokens, _) => [string.Concat(tokens)];
            case "Strip":
            {
                var content = String(part, "content") ?? " ";
                if (content.Length != 1) throw new TokenizerJsonException($"{key}.content must be one character");
                int start = Int(part, "start", 0), stop = Int(part, "stop", 0);
                return (tokens, _) => tokens.Select(t => StripChars(t, content[0], start, stop)).ToList();
            }
            case "Metaspace":
            {
                var replacement = String(part, "replacement") ?? "\u2581";
                var scheme = String(part, "prepend_scheme") ?? (Bool(part, "add_prefix_space", true) ? "always" : "never");
                return (tokens, _) => tokens.Select((t, i) =>
                {
                    var s = t.Replace(replacement, " ");
                    return i == 0 && scheme != "never" && s.StartsWith(' ') ? s[1..] : s;
                }).ToList();
            }
            case "Sequence":
            {
                var steps = Array(part, "decoders", key).Select((p, i) => Decoder(p, $"{key}.decoders[{i}]"))
                    .Where(d => d is not null).Select(d => d!).ToArray();
                return (tokens, added) =>
                {
                    foreach (var step in steps) tokens = step(tokens, added);
                    return tokens;
                };
            }
            default:
                throw new TokenizerJsonException(
                    $"{key}.type \"{type}\" is not supported (supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence)");
        }
    }

    private static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => Tokenization.ByteLevel.ByteToChar[b], b => (byte)b);

    /// <summary>Byte-level tokens back to bytes, then UTF-8 (invalid bytes become U+FFFD); added tokens stay as they are.</summary>
    private static List<string> ByteLevelDecode(List<string> tokens, Func<string, bool> isAddedToken)
    {
        var output = new List<string>();
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            output.Add(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
        foreach (var token in tokens)
        {
            if (isAddedToken(token)) { Flush(); output.Add(token); continue; }
            foreach (var c in token)
            {
                if (CharToByte.TryGetValue(c, out var b)) bytes.Add(b);
                else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }
        Flush();
        return output;
    }

    /// <summary>Runs of &lt;0xNN&gt; tokens become their UTF-8 text; an invalid run becomes one U+FFFD per byte (as in Rust).</summary>
    private static List<string> ByteFallbackDecode(List<string> tokens)
    {
        var output = new List<string>();
        var bytes = new List<byte>();
        var strict = new UTF8Encoding(false, true);
        void Flush()
        {
            if (bytes.Count == 0) return;
            try { output.Add(strict.GetString(bytes.ToArray())); }
            catch (DecoderFallbackException) { output.Add(new string('\uFFFD', bytes.Count)); }
            bytes.Clear();
        }
        foreach (var token in tokens)
        {
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>' &&
                byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                continue;
            }
            Flush();
            output.Add(token);
        }
        Flush();
        return output;
    }

    private static string StripChars(string token, char content, int start, int stop)
    {
        var from = 0;
        while (from < start && from < token.Length && token[from] == content) from++;
        var to = token.Length;
        while (token.Length - to < stop && to > from && token[to - 1] == content) to--;
        return token[from..to];
    }
}
