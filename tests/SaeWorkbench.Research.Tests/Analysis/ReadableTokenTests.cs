using System.Text;
using System.Text.Json;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Analysis;

namespace SaeWorkbench.Research.Tests.Analysis;

public sealed class ReadableTokenTests
{
    // Byte-level BPE entries as GPT-2's vocab.json writes them: each byte as its printable stand-in (ByteLevel).
    private static string Entry(params byte[] bytes) => new(bytes.Select(b => ByteLevel.ByteToChar[b]).ToArray());

    /// <summary>A real GPT-2 tokenizer whose vocabulary holds whole words, a partial em dash (E2 80) and the whole one (E2 80 94).</summary>
    private static Gpt2Tokenizer Tokenizer()
    {
        var vocab = new Dictionary<string, int>
        {
            ["<|endoftext|>"] = 0,
            [Entry(Encoding.UTF8.GetBytes(" the"))] = 1,
            [Entry(0xE2, 0x80)] = 2,
            [Entry(0xE2, 0x80, 0x94)] = 3,
            [Entry(0x20, 0xE2)] = 4,
            [Entry(0x94)] = 5,
            [Entry(Encoding.UTF8.GetBytes("\n"))] = 6,
            [Entry(0x01)] = 7,
            [Entry(0x7F)] = 8,
        };
        return Gpt2Tokenizer.FromFiles(JsonSerializer.Serialize(vocab), "#version: 0.2\n");
    }

    [Fact]
    public void A_partial_utf8_token_shows_its_bytes_instead_of_a_replacement_character()
    {
        var tokenizer = Tokenizer();
        Assert.Contains('\uFFFD', tokenizer.Decode([2])); // what a chip showed before
        Assert.Equal("<0xE2><0x80>", ReadableToken.Of(tokenizer, 2));
        Assert.Equal("<0x94>", ReadableToken.Of(tokenizer, 5));
        Assert.Equal("·<0xE2>", ReadableToken.Of(tokenizer, 4)); // the leading space stays visible
    }

    [Fact]
    public void Whole_characters_read_as_text_with_spaces_and_newlines_made_visible()
    {
        var tokenizer = Tokenizer();
        Assert.Equal("—", ReadableToken.Of(tokenizer, 3));
        Assert.Equal("·the", ReadableToken.Of(tokenizer, 1));
        Assert.Equal("↵", ReadableToken.Of(tokenizer, 6));
        Assert.Equal("⟨bos⟩", ReadableToken.Of(tokenizer, 0));
        Assert.Equal("[7]", ReadableToken.Of(null, 7));
    }

    [Fact]
    public void A_control_character_token_shows_its_byte_instead_of_an_empty_box()
    {
        var tokenizer = Tokenizer();
        Assert.Equal("<0x01>", ReadableToken.Of(tokenizer, 7));
        Assert.Equal("<0x7F>", ReadableToken.Of(tokenizer, 8));
    }

    [Fact]
    public void Decoding_keeps_valid_characters_and_writes_only_the_broken_bytes_as_hex()
    {
        Assert.Equal("a<0xE2><0x80>b—", ReadableToken.Decode([(byte)'a', 0xE2, 0x80, (byte)'b', 0xE2, 0x80, 0x94]));
    }
}
