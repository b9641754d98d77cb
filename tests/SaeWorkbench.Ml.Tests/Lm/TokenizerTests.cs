using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Ml.Tests.Lm;

public sealed class TokenizerTests : IDisposable
{
    private readonly string _dir = TinyModels.TempFolder();

    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly string[] Corpus =
    [
        "The Congress shall have power to lay and collect taxes, duties, imposts and excises.",
        "We the People of the United States, in order to form a more perfect Union, establish justice.",
        "Fellow-citizens: the state of the Union is strong. Les élèves étudient à l'école — naïve café.",
        "日本語のテキストも少し。 Emoji: 🎉🎉 👍🏽 and tabs\tand  double  spaces\r\n\r\nend.",
    ];

    [Theory]
    [InlineData("Hello, world!")]
    [InlineData("naïve café — Ünïcödé ß ﬁ")]
    [InlineData("日本語 中文 한국어 العربية")]
    [InlineData("emoji 🎉👍🏽👨‍👩‍👧 flags 🇺🇸")]
    [InlineData("  leading, trailing   \t\tand\r\nodd\u00a0whitespace\u2003 ")]
    [InlineData("words the tokenizer never saw: zyxwvut qqq")]
    public void Encoding_then_decoding_returns_the_text_exactly(string text)
    {
        var tokenizer = BpeTrainer.Train(Corpus, 400);
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void Training_twice_on_the_same_text_gives_identical_files()
    {
        BpeTrainer.Train(Corpus, 420).Save(Path.Combine(_dir, "a"));
        BpeTrainer.Train(Corpus, 420).Save(Path.Combine(_dir, "b"));
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "a", "vocab.json")), File.ReadAllText(Path.Combine(_dir, "b", "vocab.json")));
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "a", "merges.txt")), File.ReadAllText(Path.Combine(_dir, "b", "merges.txt")));
    }

    [Fact]
    public void Trained_vocabulary_has_the_requested_size_and_end_of_text_last()
    {
        var tokenizer = BpeTrainer.Train(Corpus, 280);
        Assert.Equal(280, tokenizer.VocabSize);
        Assert.Equal(279, tokenizer.EndOfTextId);
    }

    [Fact]
    public void Merges_shorten_frequent_words_to_one_token()
    {
        var tokenizer = BpeTrainer.Train(Corpus, 400);
        Assert.Single(tokenizer.Encode(" the"));
        Assert.True(tokenizer.Encode("the state of the Union").Length < "the state of the Union".Length / 2);
    }

    [Fact]
    public void Saved_files_load_back_to_the_same_tokenizer()
    {
        var trained = BpeTrainer.Train(Corpus, 400);
        trained.Save(_dir);
        var loaded = Gpt2Tokenizer.Load(_dir);
        foreach (var text in Corpus) Assert.Equal(trained.Encode(text), loaded.Encode(text));
        Assert.Equal(trained.EndOfTextId, loaded.EndOfTextId);
    }

    [Fact]
    public void A_tokenizer_json_with_the_same_vocabulary_encodes_the_same()
    {
        var trained = BpeTrainer.Train(Corpus, 400);
        trained.Save(_dir);
        var vocab = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "vocab.json")));
        var merges = File.ReadAllLines(Path.Combine(_dir, "merges.txt")).Skip(1)
            .Select(line => (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonArray(line.Split(' ')[0], line.Split(' ')[1]))
            .ToArray();
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["model"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new System.Text.Json.Nodes.JsonArray(merges) },
        };
        var other = Path.Combine(_dir, "hf");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "tokenizer.json"), json.ToJsonString());
        var loaded = Gpt2Tokenizer.Load(other);
        foreach (var text in Corpus) Assert.Equal(trained.Encode(text), loaded.Encode(text));
    }
}
