using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Ml.Tests.Lm.Tokenization;

public sealed class TokenizerFolderTests : IDisposable
{
    private readonly string _dir = TinyModels.TempFolder();

    public void Dispose() => Directory.Delete(_dir, true);

    private static string DemoFolder => Path.Combine(TokenizerReferences.RepoRoot(), "models", "demo-gpt2");

    private static readonly string[] Texts =
    [
        "Fellow-citizens of the Senate and of the House of Representatives: it's 1790.",
        "  leading, trailing   \t\tand\r\nodd\u00a0whitespace\u2003 ",
        "naïve café 日本語 🎉👍🏽 <|endoftext|> after the end",
        "",
    ];

    [Fact]
    public void Vocab_and_merges_load_as_the_GPT2_tokenizer()
    {
        var tokenizer = TokenizerFolder.Load(DemoFolder);
        Assert.IsType<Gpt2Tokenizer>(tokenizer);
        Assert.Equal(tokenizer.Encode("Hello world"), tokenizer.EncodeWithSpecialTokens("Hello world"));
    }

    /// <summary>The demo's vocabulary written as GPT-2's tokenizer.json: both readers must give the same ids.</summary>
    [Fact]
    public void A_GPT2_tokenizer_json_encodes_and_decodes_as_vocab_and_merges_do()
    {
        var gpt2 = Gpt2Tokenizer.Load(DemoFolder);
        var vocab = JsonNode.Parse(File.ReadAllText(Path.Combine(DemoFolder, "vocab.json")))!;
        var merges = new JsonArray(File.ReadAllLines(Path.Combine(DemoFolder, "merges.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).Select(l => (JsonNode)l).ToArray());
        var tokenizerJson = new JsonObject
        {
            ["added_tokens"] = new JsonArray(new JsonObject
            {
                ["id"] = gpt2.EndOfTextId, ["content"] = Gpt2Tokenizer.EndOfText, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = true, ["special"] = true,
            }),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = merges },
        };
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), tokenizerJson.ToJsonString());
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), """{"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}""");

        var fromJson = Assert.IsType<HuggingFaceTokenizer>(TokenizerFolder.Load(_dir));
        Assert.Equal(gpt2.EndOfTextId, fromJson.EndOfTextId);
        Assert.Equal(gpt2.VocabSize, fromJson.VocabSize);
        foreach (var text in Texts)
        {
            Assert.Equal(gpt2.Encode(text), fromJson.Encode(text));
            Assert.Equal(fromJson.Encode(text), fromJson.EncodeWithSpecialTokens(text)); // GPT-2 adds nothing.
            Assert.Equal(text, fromJson.Decode(fromJson.Encode(text)));
        }
    }

    private HuggingFaceTokenizer Tiny(string normalizer = """{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}""",
        string decoder = """{"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}]}""",
        string model = """{"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true, "vocab": {"<unk>": 0, "<0xC3>": 1, "<0xA9>": 2, "a": 3, "b": 4, "ab": 5, "▁": 6, "▁ab": 7, "<s>": 8}, "merges": [["a", "b"], ["▁", "ab"]]}""",
        string addedToken = """{"id": 8, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}""",
        string preTokenizer = "null")
    {
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), """
            {"added_tokens": [ADDED], "normalizer": NORMALIZER, "pre_tokenizer": PRETOKENIZER,
             "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "special_tokens": {"<s>": {"id": "<s>", "ids": [8], "tokens": ["<s>"]}}},
             "decoder": DECODER, "model": MODEL}
            """.Replace("ADDED", addedToken).Replace("NORMALIZER", normalizer).Replace("PRETOKENIZER", preTokenizer)
            .Replace("DECODER", decoder).Replace("MODEL", model));
        return HuggingFaceTokenizer.Load(_dir);
    }

    [Fact]
    public void SentencePiece_BPE_merges_lowest_rank_first_and_falls_back_to_bytes()
    {
        var tokenizer = Tiny();
        // "ab é" → "ab▁é": a+b merge (rank 0); "▁" and "ab" are not adjacent to merge; é has no entry → its UTF-8 bytes.
        Assert.Equal([5, 6, 1, 2], tokenizer.Encode("ab é"));
        Assert.Equal([8, 7, 7], tokenizer.EncodeWithSpecialTokens(" ab ab"));
        Assert.Equal("ab é", tokenizer.Decode(tokenizer.Encode("ab é")));
        Assert.Equal("<s> ab", tokenizer.Decode([8, 7]));
        Assert.Equal(" ab", tokenizer.Decode([8, 7], new DecodeOptions(SkipSpecialTokens: true)));
        // Characters with neither an entry nor byte tokens become one fused unknown token.
        Assert.Equal([3, 0], tokenizer.Encode("axyz"));
        Assert.Equal([8, 3], tokenizer.Encode("<s>a"));
    }

    [Fact]
    public void Unsupported_parts_of_tokenizer_json_are_refused_naming_the_key()
    {
        string Refusal(Action load) => Assert.Throws<LanguageModelFolderException>(load).Message;
        Assert.Contains("normalizer.type \"Precompiled\" is not supported", Refusal(() => Tiny(normalizer: """{"type": "Precompiled"}""")));
        Assert.Contains("decoder.decoders[0].type \"CTC\" is not supported",
            Refusal(() => Tiny(decoder: """{"type": "Sequence", "decoders": [{"type": "CTC"}]}""")));
        Assert.Contains("pre_tokenizer.type \"BertPreTokenizer\" is not supported", Refusal(() => Tiny(preTokenizer: """{"type": "BertPreTokenizer"}""")));
        Assert.Contains("model.type \"WordPiece\" is not supported", Refusal(() => Tiny(model: """{"type": "WordPiece", "vocab": {}}""")));
        Assert.Contains("single_word is not supported", Refusal(() => Tiny(addedToken:
            """{"id": 8, "content": "<s>", "single_word": true, "lstrip": false, "rstrip": false, "normalized": false, "special": true}""")));
        Assert.Contains("model.merges[0]", Refusal(() => Tiny(model: """{"type": "BPE", "vocab": {"a": 0, "<s>": 8}, "merges": [["a", "b"]]}""")));
    }

    [Fact]
    public void A_folder_without_tokenizer_files_is_refused()
    {
        var e = Assert.Throws<LanguageModelFolderException>(() => TokenizerFolder.Load(_dir));
        Assert.Contains("expected tokenizer.json, or vocab.json + merges.txt", e.Message);
        Assert.Contains("folder not found", Assert.Throws<LanguageModelFolderException>(() => TokenizerFolder.Load(Path.Combine(_dir, "nope"))).Message);
    }
}
