using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Ml.Tests.Lm;

public sealed class QueuedTextGeneratorTests
{
    [Fact]
    public async Task Concurrent_requests_through_the_queue_stream_the_same_text_as_direct_generation()
    {
        var tokenizer = BpeTrainer.Train(["the state of the union is strong", "the people of the union"], 300);
        using var model = TinyModels.Create(3, TinyModels.Config with { VocabSize = 300, BosTokenId = 299 });
        var options = new GenerationOptions { Temperature = 0.9, Seed = 4, MaxNewTokens = 10, StopAtEndOfText = false };
        var direct = new TextGenerator(model, tokenizer).Generate(["the union"], options)[0].Text;
        using var queued = new QueuedTextGenerator(model, tokenizer, capacity: 4);

        async Task<string> Collect()
        {
            var text = "";
            await foreach (var token in queued.GenerateAsync(["the union"], options)) text += token.Text;
            return text;
        }

        var texts = await Task.WhenAll(Collect(), Collect(), Collect());
        Assert.All(texts, t => Assert.Equal(direct, t));
    }

    [Fact]
    public async Task A_generation_error_reaches_the_caller()
    {
        var tokenizer = BpeTrainer.Train(["the state of the union is strong"], 300);
        using var model = TinyModels.Create(3, TinyModels.Config with { VocabSize = 300, BosTokenId = 299 });
        using var queued = new QueuedTextGenerator(model, tokenizer);
        var longPrompt = string.Join(" ", Enumerable.Repeat("state union", 40));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in queued.GenerateAsync([longPrompt], new GenerationOptions())) { }
        });
    }
}
