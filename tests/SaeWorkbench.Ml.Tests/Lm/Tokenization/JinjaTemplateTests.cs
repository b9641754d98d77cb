using SaeWorkbench.Ml.Lm.Tokenization.Jinja;

namespace SaeWorkbench.Ml.Tests.Lm.Tokenization;

public class JinjaTemplateTests
{
    private static string Render(string template, params (string Key, object? Value)[] variables) =>
        new JinjaTemplate(template).Render(variables.ToDictionary(v => v.Key, v => v.Value));

    private static List<object?> List(params object?[] items) => [.. items];

    [Fact]
    public void Loop_variables_count_from_zero_and_one_and_mark_the_ends() =>
        Assert.Equal("0/1/F- 1/2/-L ", Render(
            "{% for x in xs %}{{ loop.index0 }}/{{ loop.index }}/{{ 'F' if loop.first else '' }}-{{ 'L' if loop.last }} {% endfor %}",
            ("xs", List("a", "b"))));

    [Fact]
    public void Namespace_keeps_state_across_iterations_while_plain_set_stays_inside_the_loop() =>
        Assert.Equal("3 outer", Render(
            "{% set ns = namespace(n=0) %}{% set v = 'outer' %}{% for x in xs %}{% set ns.n = ns.n + x %}{% set v = 'inner' %}{% endfor %}{{ ns.n }} {{ v }}",
            ("xs", List(1L, 2L))));

    [Fact]
    public void Whitespace_control_and_trim_blocks_remove_the_template_layout() =>
        Assert.Equal("a,b,", Render("{%- for x in xs %}\n    {{- x }},\n{%- endfor %}\n", ("xs", List("a", "b"))));

    [Fact]
    public void Slices_filters_and_string_methods_behave_as_in_python()
    {
        Assert.Equal("cba", Render("{{ s[::-1] }}", ("s", "abc")));
        Assert.Equal("['b', 'c']", Render("{{ xs[1:] }}", ("xs", List("a", "b", "c"))));
        Assert.Equal("x|3|ok", Render("{{ '  x  ' | trim }}|{{ xs | length }}|{{ 'ok\\n'.rstrip('\\n') }}", ("xs", List(1L, 2L, 3L))));
        Assert.Equal("True False", Render("{{ 'abc'.startswith('a') }} {{ 'abc'.endswith('a') }}"));
        Assert.Equal("after", Render("{{ s.split('</think>')[-1].lstrip('\\n') }}", ("s", "<think>x</think>\nafter")));
        Assert.Equal("{\"a\": [1, true, null], \"b\": \"é\"}", Render("{{ d | tojson }}",
            ("d", new OrderedDictionary<string, object?> { ["a"] = List(1L, true, null), ["b"] = "é" })));
    }

    [Fact]
    public void Llama_3_1_tool_constructs_render_reject_items_and_membership()
    {
        Assert.Equal("Tools: brave_search, wolfram_alpha", Render(
            "{{- 'Tools: ' + builtin_tools | reject('equalto', 'code_interpreter') | join(', ') }}",
            ("builtin_tools", List("code_interpreter", "brave_search", "wolfram_alpha"))));
        var message = new OrderedDictionary<string, object?> { ["role"] = "assistant", ["tool_calls"] = List() };
        Assert.Equal("calls q=\"x\", n=\"2\"", Render(
            "{% if 'tool_calls' in m %}calls {% endif %}{% for k, v in args | items %}{{ k + '=\"' + v + '\"' }}{% if not loop.last %}, {% endif %}{% endfor %}",
            ("m", message), ("args", new OrderedDictionary<string, object?> { ["q"] = "x", ["n"] = "2" })));
        Assert.Equal("03 Dec 2026", JinjaTemplate.Strftime(new DateTime(2026, 12, 3), "%d %b %Y"));
    }

    [Fact]
    public void Tests_tell_defined_none_and_string_values_apart() =>
        Assert.Equal("undefined none string", Render(
            "{{ 'defined' if x is defined else 'undefined' }} {{ 'none' if y is none }} {{ 'string' if z is string }}",
            ("y", null), ("z", "s")));

    [Fact]
    public void Macros_render_with_their_arguments_and_defaults() =>
        Assert.Equal("<a:1><b:2>", Render("{% macro tag(n, v=2) %}<{{ n }}:{{ v }}>{% endmacro %}{{ tag('a', 1) }}{{ tag('b') }}"));

    [Fact]
    public void Raise_exception_stops_rendering_with_the_templates_message()
    {
        var e = Assert.Throws<JinjaRaisedException>(() => Render("{{ raise_exception('roles must alternate') }}"));
        Assert.Equal("roles must alternate", e.Message);
    }

    [Fact]
    public void Unsupported_statements_filters_and_methods_are_refused_by_name()
    {
        Assert.Contains("'{% include %}' is not supported", Assert.Throws<JinjaException>(() => Render("{% include 'x' %}")).Message);
        Assert.Contains("the filter 'wordwrap' is not supported", Assert.Throws<JinjaException>(() => Render("{{ 'x' | wordwrap }}")).Message);
        Assert.Contains("the string method 'zfill' is not supported", Assert.Throws<JinjaException>(() => Render("{{ 'x'.zfill(3) }}")).Message);
        Assert.Contains("missing '{% endif %}'", Assert.Throws<JinjaException>(() => Render("{% if true %}x")).Message);
    }
}
