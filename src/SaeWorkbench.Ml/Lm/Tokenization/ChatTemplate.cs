using SaeWorkbench.Ml.Lm.Tokenization.Jinja;

namespace SaeWorkbench.Ml.Lm.Tokenization;

/// <summary>One message of a conversation, as chat templates read it (<c>message['role']</c>, <c>message['content']</c>).</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// An instruct model's chat template (the Jinja text in tokenizer_config.json or chat_template.jinja), rendered the
/// way transformers' <c>apply_chat_template(…, tokenize=False)</c> renders it: with <c>messages</c>,
/// <c>add_generation_prompt</c>, <c>bos_token</c>, <c>eos_token</c> and <c>raise_exception</c>.
/// </summary>
public sealed class ChatTemplate
{
    private readonly JinjaTemplate _template;
    private readonly string? _bosToken;
    private readonly string? _eosToken;

    /// <exception cref="JinjaException">The template uses Jinja we do not implement, or is malformed.</exception>
    public ChatTemplate(string source, string? bosToken, string? eosToken)
    {
        Source = source;
        _template = new JinjaTemplate(source);
        _bosToken = bosToken;
        _eosToken = eosToken;
    }

    public string Source { get; }

    /// <summary>Renders a conversation; <paramref name="variables"/> adds template options such as <c>enable_thinking</c>.</summary>
    /// <exception cref="JinjaRaisedException">The template refused the conversation (e.g. roles that do not alternate).</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true,
        IReadOnlyDictionary<string, object?>? variables = null)
    {
        var list = messages.Select(m => (object?)new OrderedDictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList();
        var all = new Dictionary<string, object?>(variables ?? new Dictionary<string, object?>())
        {
            ["messages"] = list,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        return Render(all);
    }

    /// <summary>Renders with template values given directly (messages as lists and dicts, see <see cref="JinjaTemplate"/>).</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var all = new Dictionary<string, object?> { ["bos_token"] = _bosToken ?? "", ["eos_token"] = _eosToken ?? "" };
        foreach (var (k, v) in variables) all[k] = v;
        return _template.Render(all);
    }
}
