using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Ml.Tests.Corpora;

public sealed class TextCorpusTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "saewb-corpus-" + Guid.NewGuid().ToString("N"));

    public TextCorpusTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, true);

    private void Write(string name, string text) => File.WriteAllText(Path.Combine(_dir, name), text);

    [Fact]
    public void Non_UTF8_and_empty_files_are_skipped_and_reported()
    {
        Write("good.txt", "A good document.");
        File.WriteAllBytes(Path.Combine(_dir, "latin1.txt"), [0x63, 0x61, 0x66, 0xE9, 0x20, 0x21]);
        Write("empty.txt", "");
        Write("blank.jsonl", "");
        Write("lines.jsonl", "{\"text\": \"first\"}\n\n{\"other\": 1}\nnot json\n{\"text\": \"second\"}\n");
        var corpus = new TextCorpus(_dir, validationFraction: 0);
        var documents = corpus.Documents(CorpusSplit.All).ToList();
        Assert.Equal(["A good document.", "first", "second"], documents.Select(d => d.Text));
        var skipped = corpus.Skipped.ToDictionary(s => s.RelativePath, s => s.Reason);
        Assert.Contains("UTF-8", skipped["latin1.txt"]);
        Assert.Contains("empty", skipped["empty.txt"]);
        Assert.Contains("empty", skipped["blank.jsonl"]);
        Assert.Contains("text", skipped["lines.jsonl:3"]);
        Assert.Contains("JSON", skipped["lines.jsonl:4"]);
    }

    [Fact]
    public void The_split_is_by_file_deterministic_and_unaffected_by_other_files()
    {
        for (var i = 0; i < 200; i++) Write($"doc{i:D3}.txt", $"document {i}");
        var corpus = new TextCorpus(_dir, validationFraction: 0.25);
        var validation = corpus.Documents(CorpusSplit.Validation).Select(d => d.RelativePath).ToHashSet();
        var train = corpus.Documents(CorpusSplit.Train).Select(d => d.RelativePath).ToHashSet();
        Assert.Empty(validation.Intersect(train));
        Assert.Equal(200, validation.Count + train.Count);
        Assert.InRange(validation.Count, 25, 75);
        Write("zzz-new.txt", "a new document");
        var again = new TextCorpus(_dir, validationFraction: 0.25);
        Assert.True(validation.IsSubsetOf(again.Documents(CorpusSplit.Validation).Select(d => d.RelativePath)));
    }

    [Fact]
    public void Windows_have_the_requested_length_and_start_with_BOS()
    {
        var tokenizer = BpeTrainer.Train(["the state of the union is strong and growing"], 280);
        Write("a.txt", string.Join(" ", Enumerable.Repeat("the state of the union is strong", 20)));
        Write("0.jsonl", "{\"text\": \"the union is growing and the state is strong\"}\n");
        var corpus = new TextCorpus(_dir, validationFraction: 0);
        var windows = TokenWindows.Enumerate(corpus, tokenizer, CorpusSplit.All, 12).ToList();
        Assert.NotEmpty(windows);
        Assert.All(windows, w => Assert.Equal(12, w.Length));
        Assert.All(windows, w => Assert.Equal(tokenizer.EndOfTextId, w[0]));
        var stream = windows.SelectMany(w => w.Skip(1)).ToList();
        var expectedStart = tokenizer.Encode("the union is growing and the state is strong");
        Assert.Equal(expectedStart, stream.Take(expectedStart.Length));
        Assert.Equal(tokenizer.EndOfTextId, stream[expectedStart.Length]);
    }
}
