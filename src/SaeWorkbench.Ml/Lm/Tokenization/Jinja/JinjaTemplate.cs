using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SaeWorkbench.Ml.Lm.Tokenization.Jinja;

/// <summary>Jinja's undefined value: falsy, prints as nothing, and fails when used as an object.</summary>
public sealed class Undefined
{
    public static readonly Undefined Value = new();
    private Undefined() { }
}

/// <summary>The mutable object <c>namespace(…)</c> returns: the way a template keeps state across loop iterations.</summary>
public sealed class Namespace : Dictionary<string, object?>;

/// <summary>
/// A small interpreter of the Jinja subset chat templates use (docs/tokenizers.md): text, <c>{{ }}</c>, if/elif/else,
/// for (with <c>loop.*</c>, a filter and else), set (names, namespace attributes, blocks), macros, break/continue,
/// the usual operators, slices, string and dict methods, and the filters and tests listed in
/// <see cref="ApplyFilter"/> and <see cref="ApplyTest"/>. Values: null (none), bool, long, double, string,
/// <c>List&lt;object?&gt;</c>, <c>OrderedDictionary&lt;string, object?&gt;</c>. Anything else is refused with a
/// <see cref="JinjaException"/> naming it, never rendered approximately.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly List<Node> _body;

    public JinjaTemplate(string source) => _body = JinjaParser.Parse(source);

    /// <summary>Renders with these variables (plus true/false/none, raise_exception, range, namespace).</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var scope = new Scope(null);
        foreach (var (k, v) in variables) scope.Vars[k] = v;
        var output = new StringBuilder();
        new Interpreter(output).Run(_body, scope);
        return output.ToString();
    }

    /// <summary>A JSON value as a template value (objects keep their key order).</summary>
    public static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => ToDict(e),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static OrderedDictionary<string, object?> ToDict(JsonElement e)
    {
        var d = new OrderedDictionary<string, object?>();
        foreach (var p in e.EnumerateObject()) d[p.Name] = FromJson(p.Value);
        return d;
    }

    private sealed class Scope(Scope? parent)
    {
        public readonly Dictionary<string, object?> Vars = [];

        public object? Get(string name)
        {
            for (var s = this; s is not null; s = s.Parent)
                if (s.Vars.TryGetValue(name, out var v)) return v;
            return Undefined.Value;
        }

        public Scope? Parent => parent;
    }

    private sealed class Macro(MacroNode node, Scope closure)
    {
        public MacroNode Node => node;
        public Scope Closure => closure;
    }

    private delegate object? Builtin(List<object?> args, Dictionary<string, object?> kwargs);

    private sealed class BreakSignal : Exception;
    private sealed class ContinueSignal : Exception;

    private sealed class Interpreter(StringBuilder output)
    {
        private StringBuilder _output = output;

        public void Run(List<Node> nodes, Scope scope)
        {
            foreach (var node in nodes) Execute(node, scope);
        }

        private void Execute(Node node, Scope scope)
        {
            switch (node)
            {
                case TextNode t: _output.Append(t.Text); break;
                case OutputNode o: _output.Append(Str(Eval(o.Value, scope))); break;
                case IfNode i:
                {
                    foreach (var (condition, body) in i.Branches)
                        if (Truthy(Eval(condition, scope))) { Run(body, scope); return; }
                    if (i.Else is not null) Run(i.Else, scope);
                    break;
                }
                case ForNode f: For(f, scope); break;
                case SetNode s:
                {
                    object? value;
                    if (s.Value is not null) value = Eval(s.Value, scope);
                    else
                    {
                        var saved = _output;
                        _output = new StringBuilder();
                        Run(s.Body!, scope);
                        value = _output.ToString();
                        _output = saved;
                    }
                    if (s.Attribute is null) scope.Vars[s.Target] = value;
                    else if (scope.Get(s.Target) is Namespace ns) ns[s.Attribute] = value;
                    else throw new JinjaException($"'{{% set {s.Target}.{s.Attribute} %}}': {s.Target} is not a namespace()");
                    break;
                }
                case MacroNode m: scope.Vars[m.Name] = new Macro(m, scope); break;
                case BreakNode: throw new BreakSignal();
                case ContinueNode: throw new ContinueSignal();
                default: throw new JinjaException($"unknown node {node.GetType().Name}");
            }
        }

        private void For(ForNode f, Scope scope)
        {
            var items = Iterate(Eval(f.Iterable, scope), "for loop").ToList();
            var inner = new Scope(scope);
            if (f.Filter is not null)
                items = items.Where(item => { Bind(inner, f.Targets, item); return Truthy(Eval(f.Filter, inner)); }).ToList();
            if (items.Count == 0)
            {
                if (f.Else is not null) Run(f.Else, scope);
                return;
            }
            for (var i = 0; i < items.Count; i++)
            {
                // Each iteration has its own scope: a set inside a loop does not leak out (Jinja's scoping).
                var iteration = new Scope(scope);
                Bind(iteration, f.Targets, items[i]);
                iteration.Vars["loop"] = new OrderedDictionary<string, object?>
                {
                    ["index"] = (long)(i + 1), ["index0"] = (long)i, ["revindex"] = (long)(items.Count - i),
                    ["revindex0"] = (long)(items.Count - i - 1), ["first"] = i == 0, ["last"] = i == items.Count - 1,
                    ["length"] = (long)items.Count, ["previtem"] = i > 0 ? items[i - 1] : Undefined.Value,
                    ["nextitem"] = i + 1 < items.Count ? items[i + 1] : Undefined.Value,
                };
                try
                {
                    Run(f.Body, iteration);
                }
                catch (BreakSignal) { break; }
                catch (ContinueSignal) { }
            }
        }

        private static void Bind(Scope scope, List<string> targets, object? item)
        {
            if (targets.Count == 1) { scope.Vars[targets[0]] = item; return; }
            var values = Iterate(item, "for loop unpacking").ToList();
            if (values.Count != targets.Count)
                throw new JinjaException($"cannot unpack {values.Count} values into {targets.Count} loop variables");
            for (var i = 0; i < targets.Count; i++) scope.Vars[targets[i]] = values[i];
        }

        private object? Eval(Expr e, Scope scope)
        {
            switch (e)
            {
                case Literal l: return l.Value;
                case Name n: return n.Id switch
                {
                    _ when scope.Get(n.Id) is var v && v is not Undefined => v,
                    "raise_exception" => (Builtin)((args, _) => throw new JinjaRaisedException(args.Count > 0 ? Str(args[0]) : "raise_exception")),
                    "namespace" => (Builtin)((args, kwargs) =>
                    {
                        var ns = new Namespace();
                        if (args.Count > 0 && args[0] is IDictionary<string, object?> init) foreach (var (k, v) in init) ns[k] = v;
                        foreach (var (k, v) in kwargs) ns[k] = v;
                        return ns;
                    }),
                    "strftime_now" => (Builtin)((args, _) => Strftime(DateTime.Now, Str(args.ElementAtOrDefault(0)))),
                    "range" => (Builtin)((args, _) =>
                    {
                        var ints = args.Select(a => ToLong(a, "range")).ToArray();
                        var (start, stop, step) = ints.Length switch
                        {
                            1 => (0L, ints[0], 1L),
                            2 => (ints[0], ints[1], 1L),
                            3 => (ints[0], ints[1], ints[2]),
                            _ => throw new JinjaException("range takes 1 to 3 arguments"),
                        };
                        if (step == 0) throw new JinjaException("range step must not be 0");
                        var list = new List<object?>();
                        for (var i = start; step > 0 ? i < stop : i > stop; i += step) list.Add(i);
                        return list;
                    }),
                    _ => Undefined.Value,
                };
                case ListExpr l: return l.Items.Select(i => Eval(i, scope)).ToList();
                case DictExpr d:
                {
                    var dict = new OrderedDictionary<string, object?>();
                    foreach (var (k, v) in d.Items) dict[Str(Eval(k, scope))] = Eval(v, scope);
                    return dict;
                }
                case Attribute a: return GetAttribute(Eval(a.Target, scope), a.Name);
                case Index i: return GetItem(Eval(i.Target, scope), Eval(i.Key, scope));
                case Slice s:
                    return SliceOf(Eval(s.Target, scope), s.Start is null ? null : Eval(s.Start, scope),
                        s.Stop is null ? null : Eval(s.Stop, scope), s.Step is null ? null : Eval(s.Step, scope));
                case Call c: return CallExpr(c, scope);
                case Filter f:
                    return ApplyFilter(f.Name, Eval(f.Target, scope), f.Args.Select(x => Eval(x, scope)).ToList(),
                        f.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope)));
                case Test t:
                {
                    var result = ApplyTest(t.Name, Eval(t.Target, scope), t.Args.Select(x => Eval(x, scope)).ToList());
                    return t.Negated ? !result : result;
                }
                case Unary u:
                {
                    var v = Eval(u.Operand, scope);
                    return u.Op == "not" ? !Truthy(v) : v switch
                    {
                        long l => (object)(-l),
                        double d => (object)(-d),
                        _ => throw new JinjaException($"cannot negate {TypeName(v)}"),
                    };
                }
                case Binary b: return BinaryOp(b, scope);
                case Conditional c:
                    return Truthy(Eval(c.Condition, scope)) ? Eval(c.Then, scope) : c.Else is null ? Undefined.Value : Eval(c.Else, scope);
                default: throw new JinjaException($"unknown expression {e.GetType().Name}");
            }
        }

        private object? CallExpr(Call c, Scope scope)
        {
            var args = c.Args.Select(a => Eval(a, scope)).ToList();
            var kwargs = c.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope));
            if (c.Target is Attribute method)
            {
                var target = Eval(method.Target, scope);
                if (target is string s) return StringMethod(s, method.Name, args);
                if (target is IDictionary<string, object?> d and not Namespace) return DictMethod(d, method.Name, args);
                if (target is List<object?> list && method.Name == "append") { list.Add(args[0]); return null; }
            }
            var callee = Eval(c.Target, scope);
            switch (callee)
            {
                case Builtin f: return f(args, kwargs);
                case Macro m:
                {
                    var call = new Scope(m.Closure);
                    var parameters = m.Node.Parameters;
                    if (args.Count > parameters.Count) throw new JinjaException($"macro {m.Node.Name} takes {parameters.Count} arguments");
                    for (var i = 0; i < parameters.Count; i++)
                    {
                        var (name, fallback) = parameters[i];
                        call.Vars[name] = i < args.Count ? args[i]
                            : kwargs.TryGetValue(name, out var kw) ? kw
                            : fallback is null ? Undefined.Value : Eval(fallback, m.Closure);
                    }
                    var saved = _output;
                    _output = new StringBuilder();
                    Run(m.Node.Body, call);
                    var result = _output.ToString();
                    _output = saved;
                    return result;
                }
                default:
                    throw new JinjaException(c.Target is Attribute a
                        ? $"the method '{a.Name}' of {TypeName(Eval(a.Target, scope))} is not supported"
                        : $"{Describe(c.Target)} is not callable");
            }
        }

        private static string Describe(Expr e) => e is Name n ? $"'{n.Id}'" : "this expression";

        private object? BinaryOp(Binary b, Scope scope)
        {
            if (b.Op == "and") { var l = Eval(b.Left, scope); return Truthy(l) ? Eval(b.Right, scope) : l; }
            if (b.Op == "or") { var l = Eval(b.Left, scope); return Truthy(l) ? l : Eval(b.Right, scope); }
            var left = Eval(b.Left, scope);
            var right = Eval(b.Right, scope);
            switch (b.Op)
            {
                case "==": return ValuesEqual(left, right);
                case "!=": return !ValuesEqual(left, right);
                case "in": return Contains(right, left);
                case "not in": return !Contains(right, left);
                case "~": return Str(left) + Str(right);
                case "+":
                    if (left is string ls && right is string rs) return ls + rs;
                    if (left is List<object?> ll && right is List<object?> rl) return ll.Concat(rl).ToList();
                    break;
                case "*":
                    if (left is string sl && right is long n) return string.Concat(Enumerable.Repeat(sl, (int)Math.Max(0, n)));
                    break;
            }
            if (left is long a && right is long c)
            {
                switch (b.Op)
                {
                    case "+": return a + c;
                    case "-": return a - c;
                    case "*": return a * c;
                    case "//": return c == 0 ? throw new JinjaException("division by zero") : (long)Math.Floor((double)a / c);
                    case "%": return c == 0 ? throw new JinjaException("division by zero") : ((a % c) + c) % c;
                    case "**": return (long)Math.Pow(a, c);
                }
            }
            if (left is long or double && right is long or double)
            {
                double x = Convert.ToDouble(left, CultureInfo.InvariantCulture), y = Convert.ToDouble(right, CultureInfo.InvariantCulture);
                switch (b.Op)
                {
                    case "+": return x + y;
                    case "-": return x - y;
                    case "*": return x * y;
                    case "/": return x / y;
                    case "//": return Math.Floor(x / y);
                    case "%": return x - y * Math.Floor(x / y);
                    case "**": return Math.Pow(x, y);
                    case "<": return x < y;
                    case ">": return x > y;
                    case "<=": return x <= y;
                    case ">=": return x >= y;
                }
            }
            if (left is string s1 && right is string s2 && b.Op is "<" or ">" or "<=" or ">=")
            {
                var cmp = string.CompareOrdinal(s1, s2);
                return b.Op switch { "<" => cmp < 0, ">" => cmp > 0, "<=" => cmp <= 0, _ => cmp >= 0 };
            }
            throw new JinjaException($"unsupported operand types for {b.Op}: {TypeName(left)} and {TypeName(right)}");
        }
    }

    /// <summary>
    /// transformers' <c>strftime_now(format)</c> global (Llama 3.2 puts today's date in its system prompt), for the
    /// format codes those templates use.
    /// </summary>
    public static string Strftime(DateTime now, string format)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length) { sb.Append(format[i]); continue; }
            var code = format[++i];
            sb.Append(code switch
            {
                'd' => now.ToString("dd", CultureInfo.InvariantCulture),
                'm' => now.ToString("MM", CultureInfo.InvariantCulture),
                'Y' => now.ToString("yyyy", CultureInfo.InvariantCulture),
                'y' => now.ToString("yy", CultureInfo.InvariantCulture),
                'b' => now.ToString("MMM", CultureInfo.InvariantCulture),
                'B' => now.ToString("MMMM", CultureInfo.InvariantCulture),
                'a' => now.ToString("ddd", CultureInfo.InvariantCulture),
                'A' => now.ToString("dddd", CultureInfo.InvariantCulture),
                'H' => now.ToString("HH", CultureInfo.InvariantCulture),
                'M' => now.ToString("mm", CultureInfo.InvariantCulture),
                'S' => now.ToString("ss", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => throw new JinjaException($"strftime_now: the format code %{code} is not supported"),
            });
        }
        return sb.ToString();
    }

    // ---- values ------------------------------------------------------------------------------------------------

    internal static string TypeName(object? v) => v switch
    {
        null => "none",
        Undefined => "an undefined value",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        Namespace => "namespace",
        IDictionary<string, object?> => "dict",
        _ => v.GetType().Name,
    };

    internal static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        IDictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    /// <summary>How {{ }} prints a value: Python's str (True, None, lists as repr).</summary>
    internal static string Str(object? v) => v switch
    {
        Undefined => "",
        string s => s,
        _ => Repr(v),
    };

    private static string Repr(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => double.IsInteger(d) && Math.Abs(d) < 1e16 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
        string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'",
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        IDictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => Repr(kv.Key) + ": " + Repr(kv.Value))) + "}",
        _ => v.ToString() ?? "",
    };

    internal static bool ValuesEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (Undefined, Undefined) => true,
        (long x, long y) => x == y,
        (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture),
        (bool x, bool y) => x == y,
        (string x, string y) => x == y,
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => ValuesEqual(p.First, p.Second)),
        (IDictionary<string, object?> x, IDictionary<string, object?> y) =>
            x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var other) && ValuesEqual(kv.Value, other)),
        _ => false,
    };

    private static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw new JinjaException($"'in <string>' needs a string, not {TypeName(item)}"),
        List<object?> l => l.Any(x => ValuesEqual(x, item)),
        IDictionary<string, object?> d => item is string k && d.ContainsKey(k),
        Undefined or null => throw new JinjaException($"'in' on {TypeName(container)}"),
        _ => throw new JinjaException($"'in' is not supported on {TypeName(container)}"),
    };

    private static long ToLong(object? v, string where) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new JinjaException($"{where} needs an integer, not {TypeName(v)}"),
    };

    private static IEnumerable<object?> Iterate(object? v, string where) => v switch
    {
        List<object?> l => l,
        string s => s.EnumerateRunes().Select(r => (object?)r.ToString()),
        IDictionary<string, object?> d => d.Keys.Select(k => (object?)k),
        Undefined => [],
        _ => throw new JinjaException($"{where}: {TypeName(v)} is not iterable"),
    };

    private static object? GetAttribute(object? target, string name)
    {
        if (target is IDictionary<string, object?> d) return d.TryGetValue(name, out var v) ? v : Undefined.Value;
        if (target is Undefined or null) throw new JinjaException($"cannot read '{name}' of {TypeName(target)}");
        if (target is List<object?> && long.TryParse(name, out var i)) return GetItem(target, i);
        return Undefined.Value; // Methods are resolved by the call; a plain attribute of a str/list is undefined.
    }

    private static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case IDictionary<string, object?> d:
                return key is string k && d.TryGetValue(k, out var v) ? v : Undefined.Value;
            case List<object?> l when key is long i:
                if (i < 0) i += l.Count;
                return i >= 0 && i < l.Count ? l[(int)i] : Undefined.Value;
            case string s when key is long i:
            {
                var runes = s.EnumerateRunes().ToList();
                if (i < 0) i += runes.Count;
                return i >= 0 && i < runes.Count ? runes[(int)i].ToString() : Undefined.Value;
            }
            case Undefined or null:
                throw new JinjaException($"cannot index {TypeName(target)}");
            default:
                throw new JinjaException($"cannot index {TypeName(target)} with {TypeName(key)}");
        }
    }

    private static object? SliceOf(object? target, object? start, object? stop, object? step)
    {
        List<object?> items = target switch
        {
            List<object?> l => l,
            string s => s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList(),
            _ => throw new JinjaException($"cannot slice {TypeName(target)}"),
        };
        var n = items.Count;
        var st = step is null ? 1 : ToLong(step, "slice step");
        if (st == 0) throw new JinjaException("slice step cannot be zero");
        long Clamp(object? v, long fallback)
        {
            if (v is null) return fallback;
            var i = ToLong(v, "slice index");
            if (i < 0) i += n;
            return st > 0 ? Math.Clamp(i, 0, n) : Math.Clamp(i, -1, n - 1);
        }
        long from = Clamp(start, st > 0 ? 0 : n - 1), to = Clamp(stop, st > 0 ? n : -1);
        var result = new List<object?>();
        for (var i = from; st > 0 ? i < to : i > to; i += st) result.Add(items[(int)i]);
        return target is string ? string.Concat(result.Cast<string>()) : result;
    }

    private static string PythonStrip(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars is null ? char.IsWhiteSpace : chars.Contains;
        int from = 0, to = s.Length;
        if (left) while (from < to && strip(s[from])) from++;
        if (right) while (to > from && strip(s[to - 1])) to--;
        return s[from..to];
    }

    private static string? OptionalString(List<object?> args, int index) =>
        index < args.Count && args[index] is string s ? s : null;

    private static object? StringMethod(string s, string name, List<object?> args)
    {
        switch (name)
        {
            case "strip": return PythonStrip(s, OptionalString(args, 0), true, true);
            case "lstrip": return PythonStrip(s, OptionalString(args, 0), true, false);
            case "rstrip": return PythonStrip(s, OptionalString(args, 0), false, true);
            case "upper": return s.ToUpperInvariant();
            case "lower": return s.ToLowerInvariant();
            case "title": return Title(s);
            case "capitalize": return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
            case "startswith":
                return args.Count > 0 && args[0] is List<object?> prefixes
                    ? prefixes.Any(p => s.StartsWith(Str(p), StringComparison.Ordinal))
                    : s.StartsWith(Str(args.ElementAtOrDefault(0)), StringComparison.Ordinal);
            case "endswith":
                return args.Count > 0 && args[0] is List<object?> suffixes
                    ? suffixes.Any(p => s.EndsWith(Str(p), StringComparison.Ordinal))
                    : s.EndsWith(Str(args.ElementAtOrDefault(0)), StringComparison.Ordinal);
            case "split":
            {
                var separator = OptionalString(args, 0);
                var max = args.Count > 1 ? ToLong(args[1], "split") : -1;
                if (separator is null)
                {
                    var parts = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    if (max >= 0 && parts.Length > max + 1)
                        throw new JinjaException("split() without a separator and with maxsplit is not supported");
                    return parts.Select(p => (object?)p).ToList();
                }
                if (separator.Length == 0) throw new JinjaException("split(): empty separator");
                return (max < 0 ? s.Split(separator) : s.Split(separator, (int)max + 1)).Select(p => (object?)p).ToList();
            }
            case "replace":
            {
                string from = Str(args.ElementAtOrDefault(0)), to = Str(args.ElementAtOrDefault(1));
                if (args.Count > 2) throw new JinjaException("replace() with a count is not supported");
                return from.Length == 0 ? throw new JinjaException("replace(): empty search string") : s.Replace(from, to);
            }
            case "find": return (long)s.IndexOf(Str(args.ElementAtOrDefault(0)), StringComparison.Ordinal);
            case "count": return (long)(s.Length - s.Replace(Str(args.ElementAtOrDefault(0)), "").Length) / Math.Max(1, Str(args.ElementAtOrDefault(0)).Length);
            case "join": return string.Join(s, Iterate(args.ElementAtOrDefault(0), "join").Select(Str));
            case "isdigit": return s.Length > 0 && s.All(char.IsDigit);
            case "isspace": return s.Length > 0 && s.All(char.IsWhiteSpace);
            default: throw new JinjaException($"the string method '{name}' is not supported");
        }
    }

    private static string Title(string s)
    {
        var chars = s.ToCharArray();
        var previousIsLetter = false;
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = previousIsLetter ? char.ToLowerInvariant(chars[i]) : char.ToUpperInvariant(chars[i]);
            previousIsLetter = char.IsLetter(chars[i]);
        }
        return new string(chars);
    }

    private static object? DictMethod(IDictionary<string, object?> d, string name, List<object?> args) => name switch
    {
        "items" => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
        "keys" => d.Keys.Select(k => (object?)k).ToList(),
        "values" => d.Values.ToList(),
        "get" => args.Count > 0 && args[0] is string k && d.TryGetValue(k, out var v) ? v : args.ElementAtOrDefault(1),
        _ => throw new JinjaException($"the dict method '{name}' is not supported"),
    };

    // ---- filters and tests -------------------------------------------------------------------------------------

    private static object? ApplyFilter(string name, object? value, List<object?> args, Dictionary<string, object?> kwargs)
    {
        switch (name)
        {
            case "trim": return PythonStrip(Str(value), OptionalString(args, 0), true, true);
            case "length" or "count":
                return value switch
                {
                    string s => (long)s.EnumerateRunes().Count(),
                    List<object?> l => (long)l.Count,
                    IDictionary<string, object?> d => (long)d.Count,
                    Undefined => 0L,
                    _ => throw new JinjaException($"length of {TypeName(value)}"),
                };
            case "tojson":
            {
                var indent = kwargs.TryGetValue("indent", out var i) ? i : args.ElementAtOrDefault(0);
                var sortKeys = kwargs.TryGetValue("sort_keys", out var sk) && Truthy(sk);
                if (kwargs.Keys.Except(["indent", "sort_keys"]).FirstOrDefault() is { } other)
                    throw new JinjaException($"tojson({other}=…) is not supported");
                var sb = new StringBuilder();
                ToJson(sb, value, indent is long n ? (int)n : null, 0, sortKeys);
                return sb.ToString();
            }
            case "upper": return Str(value).ToUpperInvariant();
            case "lower": return Str(value).ToLowerInvariant();
            case "title": return Title(Str(value));
            case "capitalize": return StringMethod(Str(value), "capitalize", []);
            case "string": return Str(value);
            case "safe": return value;
            case "int":
                return value switch
                {
                    long l => l,
                    double d => (long)Math.Truncate(d),
                    bool b => b ? 1L : 0L,
                    string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
                    _ => args.Count > 0 ? args[0] : 0L,
                };
            case "float":
                return value switch
                {
                    long l => (double)l,
                    double d => d,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                    _ => args.Count > 0 ? args[0] : 0.0,
                };
            case "abs": return value switch { long l => (object)Math.Abs(l), double d => (object)Math.Abs(d), _ => throw new JinjaException($"abs of {TypeName(value)}") };
            case "list": return Iterate(value, "list").ToList();
            case "first": return Iterate(value, "first").FirstOrDefault(Undefined.Value);
            case "last": return value is List<object?> { Count: > 0 } l2 ? l2[^1] : Iterate(value, "last").LastOrDefault(Undefined.Value);
            case "reverse": return value is string rs ? new string(rs.Reverse().ToArray()) : Iterate(value, "reverse").Reverse().ToList();
            case "join":
            {
                var separator = OptionalString(args, 0) ?? (kwargs.TryGetValue("d", out var d) ? Str(d) : "");
                return string.Join(separator, Iterate(value, "join").Select(Str));
            }
            case "default" or "d":
            {
                var fallback = args.ElementAtOrDefault(0) ?? "";
                var boolean = args.Count > 1 && Truthy(args[1]) || kwargs.TryGetValue("boolean", out var b) && Truthy(b);
                return value is Undefined || (boolean && !Truthy(value)) ? fallback : value;
            }
            case "replace": return StringMethod(Str(value), "replace", args);
            case "items":
                return value is IDictionary<string, object?> dict ? DictMethod(dict, "items", [])
                    : throw new JinjaException($"items of {TypeName(value)}");
            case "indent":
            {
                var width = args.Count > 0 ? ToLong(args[0], "indent") : kwargs.TryGetValue("width", out var w) ? ToLong(w, "indent") : 4;
                var first = args.Count > 1 && Truthy(args[1]) || kwargs.TryGetValue("first", out var f) && Truthy(f);
                var pad = new string(' ', (int)width);
                var lines = Str(value).Split('\n');
                return string.Join("\n", lines.Select((line, i) => (i == 0 && !first) || line.Length == 0 ? line : pad + line));
            }
            case "selectattr" or "rejectattr":
            {
                var attribute = Str(args.ElementAtOrDefault(0));
                var test = args.Count > 1 ? Str(args[1]) : null;
                var keep = name == "selectattr";
                return Iterate(value, name).Where(item =>
                {
                    var attr = item is IDictionary<string, object?> d ? (d.TryGetValue(attribute, out var v) ? v : Undefined.Value) : Undefined.Value;
                    var pass = test is null ? Truthy(attr) : ApplyTest(test, attr, args.Skip(2).ToList());
                    return pass == keep;
                }).ToList();
            }
            case "select" or "reject":
            {
                // select('equalto', x) / reject('equalto', x): items passing (failing) a test; without one, truthiness.
                var test = args.Count > 0 ? Str(args[0]) : null;
                var keep = name == "select";
                return Iterate(value, name).Where(item =>
                    (test is null ? Truthy(item) : ApplyTest(test, item, args.Skip(1).ToList())) == keep).ToList();
            }
            case "map":
            {
                if (!kwargs.TryGetValue("attribute", out var attribute) || args.Count > 0)
                    throw new JinjaException("map is supported only as map(attribute='…')");
                return Iterate(value, "map").Select(item =>
                    item is IDictionary<string, object?> d && d.TryGetValue(Str(attribute), out var v) ? v : Undefined.Value).ToList();
            }
            default:
                throw new JinjaException($"the filter '{name}' is not supported (supported: trim, length, count, tojson, upper, lower, title, " +
                                         "capitalize, string, safe, int, float, abs, list, first, last, reverse, join, default, replace, items, " +
                                         "indent, select, reject, selectattr, rejectattr, map)");
        }
    }

    private static bool ApplyTest(string name, object? value, List<object?> args) => name switch
    {
        "defined" => value is not Undefined,
        "undefined" => value is Undefined,
        "none" => value is null,
        "string" => value is string,
        "number" => value is long or double,
        "integer" => value is long,
        "float" => value is double,
        "boolean" => value is bool,
        "true" => value is true,
        "false" => value is false,
        "mapping" => value is IDictionary<string, object?>,
        "iterable" => value is string or List<object?> or IDictionary<string, object?>,
        "sequence" => value is string or List<object?> or IDictionary<string, object?>,
        "callable" => value is Builtin or Macro,
        "odd" => ToLong(value, "odd") % 2 != 0,
        "even" => ToLong(value, "even") % 2 == 0,
        "divisibleby" => ToLong(value, "divisibleby") % ToLong(args.ElementAtOrDefault(0), "divisibleby") == 0,
        "eq" or "equalto" or "==" => ValuesEqual(value, args.ElementAtOrDefault(0)),
        "ne" or "!=" => !ValuesEqual(value, args.ElementAtOrDefault(0)),
        "in" => Contains(args.ElementAtOrDefault(0), value),
        _ => throw new JinjaException($"the test 'is {name}' is not supported"),
    };

    /// <summary>Python's json.dumps as transformers' tojson calls it: ensure_ascii off, ", " and ": " separators.</summary>
    private static void ToJson(StringBuilder sb, object? value, int? indent, int depth, bool sortKeys)
    {
        var itemSeparator = indent is null ? ", " : ",";
        void NewLine(int d)
        {
            if (indent is { } n) sb.Append('\n').Append(' ', n * d);
        }
        switch (value)
        {
            case null or Undefined: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(Repr(d)); break;
            case string s: sb.Append(JsonString(s)); break;
            case List<object?> list:
                if (list.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(itemSeparator);
                    NewLine(depth + 1);
                    ToJson(sb, list[i], indent, depth + 1, sortKeys);
                }
                NewLine(depth);
                sb.Append(']');
                break;
            case IDictionary<string, object?> dict:
            {
                if (dict.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                var entries = sortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                for (var i = 0; i < entries.Count; i++)
                {
                    if (i > 0) sb.Append(itemSeparator);
                    NewLine(depth + 1);
                    sb.Append(JsonString(entries[i].Key)).Append(": ");
                    ToJson(sb, entries[i].Value, indent, depth + 1, sortKeys);
                }
                NewLine(depth);
                sb.Append('}');
                break;
            }
            default: throw new JinjaException($"tojson of {TypeName(value)}");
        }
    }

    private static string JsonString(string s)
    {
        var sb = new StringBuilder("\"");
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
                    if (c < 0x20) sb.Append($"\\u{(int)c:x4}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
