using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Generation;

namespace SaeWorkbench.Ml.Tests.Lm;

public sealed class DemoModelTests
{
    private static string DemoFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "demo-gpt2");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("models/demo-gpt2 not found above the test binaries");
    }

    [Fact]
    public void The_shipped_demo_model_loads_with_its_tokenizer_and_its_card_reports_the_bar_met()
    {
        var folder = DemoFolder();
        using var loaded = HuggingFaceGpt2.Load(folder);
        Assert.Equal(loaded.Tokenizer.VocabSize, loaded.Model.VocabSize);
        Assert.Equal(loaded.Tokenizer.EndOfTextId, loaded.Model.BosTokenId);
        Assert.True(new FileInfo(Path.Combine(folder, "model.safetensors")).Length <= 25L * 1024 * 1024);
        var card = File.ReadAllText(Path.Combine(folder, "MODEL_CARD.md"));
        Assert.Contains("| met |", card);
    }

    [Fact]
    public void The_demo_model_continues_a_prompt_with_English_words_the_same_way_for_the_same_seed()
    {
        using var loaded = HuggingFaceGpt2.Load(DemoFolder());
        var generator = new TextGenerator(loaded.Model, loaded.Tokenizer);
        var options = new GenerationOptions { Temperature = 0.8, TopK = 40, Seed = 11, MaxNewTokens = 30, StopAtEndOfText = false };
        var first = generator.Generate(["The Congress of the United States"], options)[0].Text;
        var second = generator.Generate(["The Congress of the United States"], options)[0].Text;
        Assert.Equal(first, second);
        var common = new[] { " the ", " of ", " and ", " to " };
        Assert.Contains(common, w => first.Contains(w, StringComparison.Ordinal));
    }
}
