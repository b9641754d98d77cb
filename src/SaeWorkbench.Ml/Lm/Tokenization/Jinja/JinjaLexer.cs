using System.Text;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Ml.Lm.Tokenization.Jinja;

/// <summary>A template that uses Jinja we do not implement, or is malformed; the message says what and where.</summary>
public sealed class JinjaException(string message) : Exception(message);

/// <summary>An error the template raised itself with <c>raise_exception(message)</c>.</summary>
public sealed class JinjaRaisedException(string message) : Exception(message);

internal enum JinjaTokenKind { Text, Output, Statement }

internal sealed record JinjaSegment(JinjaTokenKind Kind, string Content, int Line);

internal enum TokenKind { Name, String, Integer, Float, Operator, End }

internal sealed record Token(TokenKind Kind, string Text, object? Value = null);

/// <summary>
/// Splits a template into text, <c>{{ … }}</c> and <c>{% … %}</c> segments with Jinja's whitespace control, in the
/// configuration transformers renders chat templates with (trim_blocks and lstrip_blocks on, one trailing newline
/// of the template dropped), and tokenizes the expressions inside them.
/// </summary>
internal static partial class JinjaLexer
{
    [GeneratedRegex(@"^[ \t]*({[#%-])", RegexOptions.Multiline)]
    private static partial Regex LeadingBlankBeforeBlock();

    [GeneratedRegex(@"([#%-]})\n")]
    private static partial Regex NewlineAfterBlock();

    [GeneratedRegex(@"(\s*){%(-?)\s*(?:end)?generation\s*(-?)%}(\s*)", RegexOptions.Singleline)]
    private static partial Regex GenerationTag();

    public static List<JinjaSegment> Segments(string template)
    {
        if (template.EndsWith('\n')) template = template[..^1];
        template = LeadingBlankBeforeBlock().Replace(template, "$1");
        template = NewlineAfterBlock().Replace(template, "$1");
        // transformers' {% generation %} marks assistant text for masks; it renders as nothing.
        template = GenerationTag().Replace(template, m =>
            (m.Groups[2].Value == "-" ? "" : m.Groups[1].Value) + (m.Groups[3].Value == "-" ? "" : m.Groups[4].Value));

        var segments = new List<JinjaSegment>();
        var i = 0;
        var stripNext = false;
        while (i < template.Length)
        {
            var open = FindOpen(template, i);
            var text = open < 0 ? template[i..] : template[i..open];
            if (stripNext) text = text.TrimStart();
            stripNext = false;
            if (open < 0)
            {
                if (text.Length > 0) segments.Add(new JinjaSegment(JinjaTokenKind.Text, text, LineOf(template, i)));
                break;
            }
            var kind = template[open + 1];
            var stripBefore = open + 2 < template.Length && template[open + 2] == '-';
            if (stripBefore) text = text.TrimEnd();
            if (text.Length > 0) segments.Add(new JinjaSegment(JinjaTokenKind.Text, text, LineOf(template, i)));
            var close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            var bodyStart = open + 2 + (stripBefore ? 1 : 0);
            var end = FindClose(template, bodyStart, close);
            if (end < 0) throw new JinjaException($"line {LineOf(template, open)}: '{{{kind}' is never closed with '{close}'");
            var bodyEnd = end;
            if (bodyEnd > bodyStart && template[bodyEnd - 1] == '-') { bodyEnd--; stripNext = true; }
            var body = template[bodyStart..bodyEnd];
            if (kind != '#')
                segments.Add(new JinjaSegment(kind == '{' ? JinjaTokenKind.Output : JinjaTokenKind.Statement, body, LineOf(template, open)));
            i = end + 2;
        }
        return segments;
    }

    private static int FindOpen(string s, int from)
    {
        for (var i = from; i + 1 < s.Length; i++)
            if (s[i] == '{' && s[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>The closing delimiter, skipping string literals (a "}}" inside quotes does not close).</summary>
    private static int FindClose(string s, int from, string close)
    {
        for (var i = from; i + 1 < s.Length; i++)
        {
            if (close != "#}" && s[i] is '\'' or '"')
            {
                var quote = s[i];
                for (i++; i < s.Length && s[i] != quote; i++) if (s[i] == '\\') i++;
                continue;
            }
            if (s[i] == close[0] && s[i + 1] == close[1]) return i;
        }
        return -1;
    }

    private static int LineOf(string s, int index) => s.AsSpan(0, Math.Min(index, s.Length)).Count('\n') + 1;

    private static readonly string[] Operators =
        ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "~", "="];

    public static List<Token> Tokens(string expression, int line)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < expression.Length)
        {
            var c = expression[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < expression.Length && (char.IsLetterOrDigit(expression[i]) || expression[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, expression[start..i]));
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < expression.Length && (char.IsAsciiDigit(expression[i]) || expression[i] == '_')) i++;
                var isFloat = i + 1 < expression.Length && expression[i] == '.' && char.IsAsciiDigit(expression[i + 1]);
                if (isFloat)
                {
                    i++;
                    while (i < expression.Length && char.IsAsciiDigit(expression[i])) i++;
                }
                var literal = expression[start..i].Replace("_", "");
                tokens.Add(isFloat
                    ? new Token(TokenKind.Float, literal, double.Parse(literal, System.Globalization.CultureInfo.InvariantCulture))
                    : new Token(TokenKind.Integer, literal, long.Parse(literal, System.Globalization.CultureInfo.InvariantCulture)));
                continue;
            }
            if (c is '\'' or '"')
            {
                var text = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= expression.Length) throw new JinjaException($"line {line}: unterminated string literal");
                    var ch = expression[i++];
                    if (ch == c) break;
                    if (ch != '\\') { text.Append(ch); continue; }
                    if (i >= expression.Length) throw new JinjaException($"line {line}: unterminated string literal");
                    var escaped = expression[i++];
                    text.Append(escaped switch
                    {
                        'n' => "\n", 't' => "\t", 'r' => "\r", 'b' => "\b", 'f' => "\f", 'v' => "\v", '0' => "\0",
                        '\\' => "\\", '\'' => "'", '"' => "\"",
                        _ => "\\" + escaped,
                    });
                }
                tokens.Add(new Token(TokenKind.String, text.ToString(), text.ToString()));
                continue;
            }
            var op = Operators.FirstOrDefault(o => string.CompareOrdinal(expression, i, o, 0, o.Length) == 0);
            if (op is null) throw new JinjaException($"line {line}: unexpected character '{c}'");
            tokens.Add(new Token(TokenKind.Operator, op));
            i += op.Length;
        }
        tokens.Add(new Token(TokenKind.End, ""));
        return tokens;
    }
}
