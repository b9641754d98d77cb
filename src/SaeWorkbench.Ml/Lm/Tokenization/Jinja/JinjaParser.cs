namespace SaeWorkbench.Ml.Lm.Tokenization.Jinja;

// ---- syntax tree ----------------------------------------------------------------------------------------------

internal abstract record Expr;
internal sealed record Literal(object? Value) : Expr;
internal sealed record Name(string Id) : Expr;
internal sealed record ListExpr(List<Expr> Items) : Expr;
internal sealed record DictExpr(List<(Expr Key, Expr Value)> Items) : Expr;
internal sealed record Attribute(Expr Target, string Name) : Expr;
internal sealed record Index(Expr Target, Expr Key) : Expr;
internal sealed record Slice(Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr;
internal sealed record Call(Expr Target, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr;
internal sealed record Filter(Expr Target, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr;
internal sealed record Test(Expr Target, string Name, List<Expr> Args, bool Negated) : Expr;
internal sealed record Unary(string Op, Expr Operand) : Expr;
internal sealed record Binary(string Op, Expr Left, Expr Right) : Expr;
internal sealed record Conditional(Expr Condition, Expr Then, Expr? Else) : Expr;

internal abstract record Node;
internal sealed record TextNode(string Text) : Node;
internal sealed record OutputNode(Expr Value) : Node;
internal sealed record IfNode(List<(Expr Condition, List<Node> Body)> Branches, List<Node>? Else) : Node;
internal sealed record ForNode(List<string> Targets, Expr Iterable, Expr? Filter, List<Node> Body, List<Node>? Else) : Node;
internal sealed record SetNode(string Target, string? Attribute, Expr? Value, List<Node>? Body) : Node;
internal sealed record MacroNode(string Name, List<(string Name, Expr? Default)> Parameters, List<Node> Body) : Node;
internal sealed record BreakNode : Node;
internal sealed record ContinueNode : Node;

/// <summary>
/// Parses the segments of <see cref="JinjaLexer"/> into a tree. Expression precedence follows Jinja's parser
/// (or → and → not → comparisons → + - → ~ → * / // % → ** → unary → postfix, filters and tests).
/// </summary>
internal sealed class JinjaParser
{
    private readonly List<JinjaSegment> _segments;
    private int _segment;
    private List<Token> _tokens = [];
    private int _pos;
    private int _line;

    private JinjaParser(List<JinjaSegment> segments) => _segments = segments;

    public static List<Node> Parse(string template)
    {
        var parser = new JinjaParser(JinjaLexer.Segments(template));
        var body = parser.Block(out var end);
        if (end is not null) throw new JinjaException($"line {parser._line}: unexpected '{{% {end} %}}'");
        return body;
    }

    private JinjaException Error(string message) => new($"line {_line}: {message}");

    /// <summary>Nodes until a statement that closes or divides a block; that statement's keyword is returned.</summary>
    private List<Node> Block(out string? end, params string[] enders)
    {
        var nodes = new List<Node>();
        while (_segment < _segments.Count)
        {
            var segment = _segments[_segment++];
            _line = segment.Line;
            switch (segment.Kind)
            {
                case JinjaTokenKind.Text:
                    nodes.Add(new TextNode(segment.Content));
                    break;
                case JinjaTokenKind.Output:
                    Start(segment);
                    nodes.Add(new OutputNode(Expression()));
                    ExpectEnd();
                    break;
                default:
                    Start(segment);
                    var keyword = NameToken();
                    if (enders.Contains(keyword)) { end = keyword; return nodes; }
                    nodes.Add(Statement(keyword));
                    break;
            }
        }
        end = null;
        if (enders.Length > 0) throw Error($"missing '{{% {enders[^1]} %}}'");
        return nodes;
    }

    private void Start(JinjaSegment segment)
    {
        _tokens = JinjaLexer.Tokens(segment.Content, segment.Line);
        _pos = 0;
    }

    private Node Statement(string keyword)
    {
        switch (keyword)
        {
            case "if":
            {
                var branches = new List<(Expr, List<Node>)>();
                var condition = Expression();
                ExpectEnd();
                List<Node>? otherwise = null;
                while (true)
                {
                    var body = Block(out var end, "elif", "else", "endif");
                    branches.Add((condition, body));
                    if (end == "elif") { condition = Expression(); ExpectEnd(); continue; }
                    if (end == "else") { ExpectEnd(); otherwise = Block(out _, "endif"); }
                    ExpectEnd();
                    return new IfNode(branches, otherwise);
                }
            }
            case "for":
            {
                var targets = new List<string> { NameToken() };
                while (Accept(",")) targets.Add(NameToken());
                if (NameToken() != "in") throw Error("expected 'in' in a for loop");
                var iterable = Or();
                Expr? filter = null;
                if (AcceptName("if")) filter = Or();
                if (AcceptName("recursive")) throw Error("recursive for loops are not supported");
                ExpectEnd();
                var body = Block(out var end, "else", "endfor");
                List<Node>? otherwise = null;
                if (end == "else") { ExpectEnd(); otherwise = Block(out _, "endfor"); }
                ExpectEnd();
                return new ForNode(targets, iterable, filter, body, otherwise);
            }
            case "set":
            {
                var target = NameToken();
                string? attribute = null;
                if (Accept(".")) attribute = NameToken();
                if (Peek.Kind == TokenKind.Operator && Peek.Text == ",") throw Error("set with several targets is not supported");
                if (Accept("="))
                {
                    var value = Expression();
                    ExpectEnd();
                    return new SetNode(target, attribute, value, null);
                }
                ExpectEnd();
                var body = Block(out _, "endset");
                ExpectEnd();
                return new SetNode(target, attribute, null, body);
            }
            case "macro":
            {
                var name = NameToken();
                Expect("(");
                var parameters = new List<(string, Expr?)>();
                while (!Accept(")"))
                {
                    var parameter = NameToken();
                    parameters.Add((parameter, Accept("=") ? Expression() : null));
                    if (!Accept(",")) { Expect(")"); break; }
                }
                ExpectEnd();
                var body = Block(out _, "endmacro");
                ExpectEnd();
                return new MacroNode(name, parameters, body);
            }
            case "break": ExpectEnd(); return new BreakNode();
            case "continue": ExpectEnd(); return new ContinueNode();
            default:
                throw Error($"the statement '{{% {keyword} %}}' is not supported (supported: if, elif, else, for, set, macro, break, continue)");
        }
    }

    // ---- tokens -------------------------------------------------------------------------------------------

    private Token Peek => _tokens[_pos];

    private bool Accept(string op)
    {
        if (Peek.Kind != TokenKind.Operator || Peek.Text != op) return false;
        _pos++;
        return true;
    }

    private bool AcceptName(string name)
    {
        if (Peek.Kind != TokenKind.Name || Peek.Text != name) return false;
        _pos++;
        return true;
    }

    private void Expect(string op)
    {
        if (!Accept(op)) throw Error($"expected '{op}' but found '{Peek.Text}'");
    }

    private void ExpectEnd()
    {
        if (Peek.Kind != TokenKind.End) throw Error($"unexpected '{Peek.Text}'");
    }

    private string NameToken()
    {
        if (Peek.Kind != TokenKind.Name) throw Error($"expected a name but found '{Peek.Text}'");
        return _tokens[_pos++].Text;
    }

    // ---- expressions --------------------------------------------------------------------------------------

    private Expr Expression()
    {
        var value = Or();
        if (!AcceptName("if")) return value;
        var condition = Or();
        var otherwise = AcceptName("else") ? Expression() : null;
        return new Conditional(condition, value, otherwise);
    }

    private Expr Or()
    {
        var left = And();
        while (AcceptName("or")) left = new Binary("or", left, And());
        return left;
    }

    private Expr And()
    {
        var left = Not();
        while (AcceptName("and")) left = new Binary("and", left, Not());
        return left;
    }

    private Expr Not() => AcceptName("not") ? new Unary("not", Not()) : Compare();

    private static readonly string[] Comparisons = ["==", "!=", "<", ">", "<=", ">="];

    private Expr Compare()
    {
        var left = Sum();
        while (true)
        {
            if (Peek.Kind == TokenKind.Operator && Comparisons.Contains(Peek.Text))
            {
                var op = _tokens[_pos++].Text;
                left = new Binary(op, left, Sum());
            }
            else if (AcceptName("in")) left = new Binary("in", left, Sum());
            else if (Peek.Kind == TokenKind.Name && Peek.Text == "not" && _tokens[_pos + 1] is { Kind: TokenKind.Name, Text: "in" })
            {
                _pos += 2;
                left = new Binary("not in", left, Sum());
            }
            else return left;
        }
    }

    private Expr Sum()
    {
        var left = Concat();
        while (Peek.Kind == TokenKind.Operator && Peek.Text is "+" or "-")
        {
            var op = _tokens[_pos++].Text;
            left = new Binary(op, left, Concat());
        }
        return left;
    }

    private Expr Concat()
    {
        var left = Product();
        while (Accept("~")) left = new Binary("~", left, Product());
        return left;
    }

    private Expr Product()
    {
        var left = Power();
        while (Peek.Kind == TokenKind.Operator && Peek.Text is "*" or "/" or "//" or "%")
        {
            var op = _tokens[_pos++].Text;
            left = new Binary(op, left, Power());
        }
        return left;
    }

    private Expr Power()
    {
        var left = UnaryExpr();
        while (Accept("**")) left = new Binary("**", left, UnaryExpr());
        return left;
    }

    private Expr UnaryExpr()
    {
        if (Accept("-")) return new Unary("-", UnaryExpr());
        if (Accept("+")) return UnaryExpr();
        return FiltersAndTests(Postfix(Primary()));
    }

    private Expr Primary()
    {
        var token = _tokens[_pos++];
        switch (token.Kind)
        {
            case TokenKind.String:
            {
                // Adjacent string literals join, as in Python.
                var text = (string)token.Value!;
                while (Peek.Kind == TokenKind.String) text += (string)_tokens[_pos++].Value!;
                return new Literal(text);
            }
            case TokenKind.Integer:
            case TokenKind.Float:
                return new Literal(token.Value);
            case TokenKind.Name:
                return token.Text switch
                {
                    "true" or "True" => new Literal(true),
                    "false" or "False" => new Literal(false),
                    "none" or "None" => new Literal(null),
                    _ => new Name(token.Text),
                };
            case TokenKind.Operator when token.Text == "(":
            {
                if (Accept(")")) return new ListExpr([]);
                var first = Expression();
                if (Accept(")")) return first;
                var items = new List<Expr> { first };
                while (Accept(",") && !(Peek.Kind == TokenKind.Operator && Peek.Text == ")")) items.Add(Expression());
                Expect(")");
                return new ListExpr(items); // A tuple behaves as a list here.
            }
            case TokenKind.Operator when token.Text == "[":
            {
                var items = new List<Expr>();
                while (!Accept("]"))
                {
                    items.Add(Expression());
                    if (!Accept(",")) { Expect("]"); break; }
                }
                return new ListExpr(items);
            }
            case TokenKind.Operator when token.Text == "{":
            {
                var items = new List<(Expr, Expr)>();
                while (!Accept("}"))
                {
                    var key = Expression();
                    Expect(":");
                    items.Add((key, Expression()));
                    if (!Accept(",")) { Expect("}"); break; }
                }
                return new DictExpr(items);
            }
            default:
                throw Error(token.Kind == TokenKind.End ? "expression ends too early" : $"unexpected '{token.Text}'");
        }
    }

    private Expr Postfix(Expr target)
    {
        while (true)
        {
            if (Accept("."))
            {
                var name = Peek.Kind == TokenKind.Integer ? _tokens[_pos++].Text : NameToken();
                target = new Attribute(target, name);
            }
            else if (Accept("["))
            {
                Expr? start = null, stop = null, step = null;
                var isSlice = false;
                if (!(Peek.Kind == TokenKind.Operator && Peek.Text == ":")) start = Expression();
                if (Accept(":"))
                {
                    isSlice = true;
                    if (!(Peek.Kind == TokenKind.Operator && Peek.Text is ":" or "]")) stop = Expression();
                    if (Accept(":") && !(Peek.Kind == TokenKind.Operator && Peek.Text == "]")) step = Expression();
                }
                Expect("]");
                target = isSlice ? new Slice(target, start, stop, step) : new Index(target, start!);
            }
            else if (Accept("("))
            {
                var (args, kwargs) = Arguments();
                target = new Call(target, args, kwargs);
            }
            else return target;
        }
    }

    private (List<Expr>, List<(string, Expr)>) Arguments()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Accept(")"))
        {
            if (Peek.Kind == TokenKind.Name && _tokens[_pos + 1] is { Kind: TokenKind.Operator, Text: "=" })
            {
                var name = NameToken();
                _pos++;
                kwargs.Add((name, Expression()));
            }
            else args.Add(Expression());
            if (!Accept(",")) { Expect(")"); break; }
        }
        return (args, kwargs);
    }

    private Expr FiltersAndTests(Expr target)
    {
        while (true)
        {
            if (Accept("|"))
            {
                var name = NameToken();
                var (args, kwargs) = Accept("(") ? Arguments() : ([], []);
                target = Postfix(new Filter(target, name, args, kwargs));
            }
            else if (AcceptName("is"))
            {
                var negated = AcceptName("not");
                var name = NameToken();
                var args = new List<Expr>();
                if (Accept("(")) args = Arguments().Item1;
                else if (Peek.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float) args.Add(Primary());
                target = new Test(target, name, args, negated);
            }
            else return target;
        }
    }
}
