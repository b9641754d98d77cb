using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// JSON text as Python's <c>json.dump(obj, f)</c> writes it with its defaults, which is how SAELens writes cfg.json:
/// one line, ", " and ": " separators, every non-ASCII character escaped (<c>ensure_ascii</c>), no final newline,
/// integers without a fraction and floats in their shortest round-trip form ("1e-05", "0.1", "1.0").
/// </summary>
public static class PythonJson
{
    public static string Dump(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in o)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    WriteString(sb, key);
                    sb.Append(": ");
                    Write(sb, value);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Write(sb, a[i]);
                }
                sb.Append(']');
                break;
            case JsonValue v:
                WriteValue(sb, v);
                break;
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue v)
    {
        var element = JsonSerializer.SerializeToElement(v);
        switch (element.ValueKind)
        {
            case JsonValueKind.String: WriteString(sb, element.GetString()!); break;
            case JsonValueKind.True: sb.Append("true"); break;
            case JsonValueKind.False: sb.Append("false"); break;
            case JsonValueKind.Null: sb.Append("null"); break;
            case JsonValueKind.Number:
                var integer = v.TryGetValue<int>(out _) || v.TryGetValue<long>(out _) || v.TryGetValue<ulong>(out _);
                if (!integer && (v.TryGetValue<double>(out var d) || TryFloat(v, out d))) sb.Append(Float(d));
                else sb.Append(element.GetRawText());
                break;
            default: sb.Append(element.GetRawText()); break;
        }
    }

    private static bool TryFloat(JsonValue v, out double d)
    {
        var ok = v.TryGetValue<float>(out var f);
        d = f;
        return ok;
    }

    /// <summary>Python's float repr: shortest round-trip digits; positional for exponents −4 … 15 (with ".0" on whole
    /// numbers), else "1.5e-05" / "1e+16".</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsInfinity(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var r = d.ToString("R", CultureInfo.InvariantCulture);                               // "-1.2345E-05", "123.45", "1E+16"
        var negative = r[0] == '-';
        if (negative) r = r[1..];
        var e = r.IndexOf('E');
        var mantissa = e < 0 ? r : r[..e];
        var exponent = e < 0 ? 0 : int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.');
        var digits = mantissa.Replace(".", "");
        var point = (dot < 0 ? mantissa.Length : dot) + exponent;                            // digits before the decimal point
        var lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; point--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var scientific = point - 1;
        string body;
        if (scientific is >= -4 and < 16)
            body = point <= 0 ? "0." + new string('0', -point) + digits
                : point >= digits.Length ? digits + new string('0', point - digits.Length) + ".0"
                : digits[..point] + "." + digits[point..];
        else
            body = digits[0] + (digits.Length > 1 ? "." + digits[1..] : "") + "e" + (scientific < 0 ? "-" : "+") +
                   Math.Abs(scientific).ToString("00", CultureInfo.InvariantCulture);
        return negative ? "-" + body : body;
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
