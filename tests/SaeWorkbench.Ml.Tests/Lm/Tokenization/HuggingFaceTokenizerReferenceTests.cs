using System.Text;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Ml.Tests.Lm.Tokenization;

/// <summary>
/// Our tokenizers against Hugging Face's own JavaScript implementation (@huggingface/tokenizers) on the real
/// tokenizer.json files of Llama 3.1, Qwen 3 and Gemma 3, and on three layouts derived from their vocabularies by
/// scripts/tokenizer-references.mjs (Llama 2's Prepend + Strip, Mistral's Metaspace, GPT-2's ByteLevel regex):
/// identical ids, tokens and decodes on every text of the set.
/// </summary>
public class HuggingFaceTokenizerReferenceTests
{
    public static TheoryData<string> Names => new() { "llama3_1", "qwen3", "gemma3", "sentencepiece_prepend", "metaspace", "bytelevel_gpt2_regex" };

    private static void CompareAll(string name, Func<HuggingFaceTokenizer, string, string> actual, string field)
    {
        var tokenizer = TokenizerReferences.Tokenizer(name);
        var expected = TokenizerReferences.Expected(name).GetProperty("texts");
        var failures = new StringBuilder();
        foreach (var (textName, text) in TokenizerReferences.Texts())
        {
            var want = expected.GetProperty(textName).GetProperty(field);
            var wantText = want.ValueKind == System.Text.Json.JsonValueKind.Array
                ? string.Join(",", TokenizerReferences.Ids(want))
                : want.GetString()!;
            var got = actual(tokenizer, text);
            if (got != wantText) failures.AppendLine($"{textName}:\n  expected {Show(wantText)}\n  actual   {Show(got)}");
        }
        Assert.True(failures.Length == 0, $"{name} {field} differs from @huggingface/tokenizers:\n{failures}");
    }

    private static string Show(string s) => s.Length > 300 ? s[..300] + "…" : s;

    [Theory, MemberData(nameof(Names))]
    public void Ids_without_special_tokens_equal_the_reference(string name) =>
        CompareAll(name, (t, text) => string.Join(",", t.Encode(text)), "ids");

    [Theory, MemberData(nameof(Names))]
    public void Ids_with_special_tokens_equal_the_reference(string name) =>
        CompareAll(name, (t, text) => string.Join(",", t.EncodeWithSpecialTokens(text)), "ids_with_special_tokens");

    [Theory, MemberData(nameof(Names))]
    public void Token_strings_equal_the_reference(string name)
    {
        var tokenizer = TokenizerReferences.Tokenizer(name);
        var expected = TokenizerReferences.Expected(name).GetProperty("texts");
        foreach (var (textName, text) in TokenizerReferences.Texts())
        {
            var want = expected.GetProperty(textName).GetProperty("tokens").EnumerateArray().Select(e => e.GetString()).ToArray();
            Assert.True(want.SequenceEqual(tokenizer.Encode(text).Select(tokenizer.TokenString)), $"{name}/{textName}: token strings differ");
        }
    }

    [Theory, MemberData(nameof(Names))]
    public void Decodes_equal_the_reference(string name)
    {
        CompareAll(name, (t, text) => t.Decode(t.Encode(text)), "decode");
        CompareAll(name, (t, text) => t.Decode(t.EncodeWithSpecialTokens(text)), "decode_with_special_tokens");
        CompareAll(name, (t, text) => t.Decode(t.EncodeWithSpecialTokens(text), new DecodeOptions(SkipSpecialTokens: true)),
            "decode_skip_special_tokens");
        CompareAll(name, (t, text) => t.Decode(t.Encode(text), new DecodeOptions(CleanUpTokenizationSpaces: true)), "decode_clean_up");
    }

    [Fact]
    public void Llama3_starts_sequences_with_begin_of_text_and_Gemma_with_bos()
    {
        var llama = TokenizerReferences.Tokenizer("llama3_1");
        Assert.Equal(128000, llama.EndOfTextId);
        Assert.True(llama.AddsBos);
        Assert.Equal("<|eot_id|>", llama.TokenString(llama.EosTokenId!.Value));
        var gemma = TokenizerReferences.Tokenizer("gemma3");
        Assert.Equal(2, gemma.EndOfTextId);
        Assert.True(gemma.AddsBos);
        Assert.Equal(262145, gemma.VocabSize);
    }

    [Fact]
    public void Qwen_adds_no_bos_and_starts_sequences_with_its_end_of_text_token()
    {
        var qwen = TokenizerReferences.Tokenizer("qwen3");
        Assert.Null(qwen.BosTokenId);
        Assert.False(qwen.AddsBos);
        Assert.Equal("<|im_end|>", qwen.TokenString(qwen.EndOfTextId));
        Assert.Equal(qwen.Encode("Hello"), qwen.EncodeWithSpecialTokens("Hello"));
    }
}
