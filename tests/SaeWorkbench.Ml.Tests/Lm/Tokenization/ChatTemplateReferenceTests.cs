using System.Text.Json;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Lm.Tokenization.Jinja;

namespace SaeWorkbench.Ml.Tests.Lm.Tokenization;

/// <summary>
/// The real chat templates of Llama 3.1, Qwen 3 and Gemma 3 rendered by our Jinja interpreter against
/// @huggingface/jinja's renderings of the same conversations (written by scripts/tokenizer-references.mjs).
/// </summary>
public class ChatTemplateReferenceTests
{
    public static TheoryData<string> Names => new() { "llama3_1", "qwen3", "gemma3" };

    [Theory, MemberData(nameof(Names))]
    public void Rendered_conversations_equal_the_reference(string name)
    {
        var template = TokenizerReferences.Tokenizer(name).ChatTemplate;
        Assert.NotNull(template);
        var expected = TokenizerReferences.Expected(name).GetProperty("chats");
        var compared = 0;
        foreach (var chat in TokenizerReferences.Chats().EnumerateArray())
        {
            var chatName = chat.GetProperty("name").GetString()!;
            var variables = new Dictionary<string, object?>
            {
                ["messages"] = JinjaTemplate.FromJson(chat.GetProperty("messages")),
                ["add_generation_prompt"] = chat.GetProperty("add_generation_prompt").GetBoolean(),
            };
            if (chat.TryGetProperty("enable_thinking", out var thinking)) variables["enable_thinking"] = thinking.GetBoolean();
            var want = expected.GetProperty(chatName);
            if (want.TryGetProperty("error", out var error))
            {
                var e = Assert.Throws<JinjaRaisedException>(() => template.Render(variables));
                Assert.Equal(error.GetString(), e.Message);
            }
            else Assert.Equal(want.GetProperty("rendered").GetString(), template.Render(variables));
            compared++;
        }
        Assert.Equal(6, compared);
    }

    [Fact]
    public void Rendered_prompt_tokenizes_to_the_special_tokens_of_the_turns()
    {
        var llama = TokenizerReferences.Tokenizer("llama3_1");
        var prompt = llama.ChatTemplate!.Render([new ChatMessage("user", "Hi")]);
        var ids = llama.Encode(prompt);
        Assert.Equal(llama.BosTokenId, ids[0]);
        Assert.Equal("<|start_header_id|>", llama.TokenString(ids[1]));
        Assert.Equal("<|end_header_id|>", llama.TokenString(ids[^2]));
    }
}
