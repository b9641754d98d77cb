using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Ml.Lm.Tokenization;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Lm;

public sealed class TextGeneratorTests : IDisposable
{
    private static readonly Gpt2Tokenizer Tokenizer = BpeTrainer.Train(
        ["the state of the union is strong and the people are free", "the union of the states, the people of the union"], 300);

    private readonly Gpt2Model _model = TinyModels.Create(11, TinyModels.Config with { VocabSize = 300, BosTokenId = 299, ContextLength = 48 });

    public void Dispose() => _model.Dispose();

    private TextGenerator Generator => new(_model, Tokenizer);

    [Fact]
    public void Greedy_generation_with_the_kv_cache_matches_full_recomputation()
    {
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 20, StopAtEndOfText = false };
        var cached = Generator.Generate(["the state of"], options)[0];
        var full = Generator.Generate(["the state of"], options with { UseKvCache = false })[0];
        Assert.Equal(full.TokenIds, cached.TokenIds);
        Assert.Equal(20, cached.TokenIds.Length);
    }

    [Fact]
    public void Kv_cache_logits_at_every_generated_step_equal_a_full_forward_within_1e_4()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 15, StopAtEndOfText = false };
        var generated = Generator.Generate(["the people"], options)[0].TokenIds;
        long[] sequence = [Tokenizer.EndOfTextId, .. Tokenizer.Encode("the people").Select(t => (long)t), .. generated.Select(t => (long)t)];
        var tokens = tensor(sequence, [1, sequence.Length]);
        var full = _model.Forward(tokens);
        using var cache = new KvCache(_model.Config.NLayers);
        var prompt = sequence.Length - generated.Length;
        var steps = new List<Tensor> { _model.Forward(tokens[.., ..prompt], cache) };
        for (var t = prompt; t < sequence.Length; t++) steps.Add(_model.Forward(tokens[.., t..(t + 1)], cache));
        Assert.True((full - cat(steps, 1)).abs().max().item<float>() < 1e-4f);
    }

    [Fact]
    public void The_same_seed_gives_the_same_text_and_another_seed_usually_does_not()
    {
        var options = new GenerationOptions { Temperature = 1.0, MaxNewTokens = 25, Seed = 42, StopAtEndOfText = false };
        var first = Generator.Generate(["the union"], options)[0];
        var second = Generator.Generate(["the union"], options)[0];
        Assert.Equal(first.TokenIds, second.TokenIds);
        var others = Enumerable.Range(1, 5).Select(s => Generator.Generate(["the union"], options with { Seed = s })[0].TokenIds);
        Assert.Contains(others, o => !o.SequenceEqual(first.TokenIds));
    }

    [Fact]
    public void Top_k_of_one_is_greedy()
    {
        var greedy = Generator.Generate(["the state"], new GenerationOptions { Temperature = 0, MaxNewTokens = 12, StopAtEndOfText = false })[0];
        var topOne = Generator.Generate(["the state"], new GenerationOptions { Temperature = 1.5, TopK = 1, Seed = 3, MaxNewTokens = 12, StopAtEndOfText = false })[0];
        Assert.Equal(greedy.TokenIds, topOne.TokenIds);
    }

    [Fact]
    public void A_tiny_top_p_keeps_only_the_most_likely_token()
    {
        var greedy = Generator.Generate(["the state"], new GenerationOptions { Temperature = 0, MaxNewTokens = 12, StopAtEndOfText = false })[0];
        var nucleus = Generator.Generate(["the state"], new GenerationOptions { TopP = 1e-6, Seed = 9, MaxNewTokens = 12, StopAtEndOfText = false })[0];
        Assert.Equal(greedy.TokenIds, nucleus.TokenIds);
    }

    [Fact]
    public void Batched_prompts_give_what_each_prompt_gives_alone()
    {
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 10, StopAtEndOfText = false };
        string[] prompts = ["the state of the union", "the people", "the union of"];
        var batched = Generator.Generate(prompts, options);
        for (var i = 0; i < prompts.Length; i++)
            Assert.Equal(Generator.Generate([prompts[i]], options)[0].TokenIds, batched[i].TokenIds);
    }

    [Fact]
    public void Generation_ends_at_a_stop_sequence_without_returning_it()
    {
        var options = new GenerationOptions { Temperature = 1, Seed = 1, MaxNewTokens = 30, StopAtEndOfText = false };
        var free = Generator.Generate(["the"], options)[0].Text;
        Assert.True(free.Length >= 4, $"need some text to cut, got '{free}'");
        var stop = free.Substring(free.Length / 2, 2);
        var stopped = Generator.Generate(["the"], options with { StopSequences = [stop] })[0];
        Assert.Equal(FinishReason.StopSequence, stopped.Finish);
        Assert.Equal(free[..free.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
    }

    [Fact]
    public async Task Tokens_stream_as_an_async_sequence_that_adds_up_to_the_full_text()
    {
        var options = new GenerationOptions { Temperature = 0.8, Seed = 5, MaxNewTokens = 16, StopAtEndOfText = false };
        var streamed = new List<GeneratedToken>();
        await foreach (var token in Generator.GenerateAsync("the state", options)) streamed.Add(token);
        var whole = Generator.Generate(["the state"], options)[0];
        Assert.Equal(whole.Text, string.Concat(streamed.Select(t => t.Text)));
        Assert.Equal(16, streamed.Count);
        Assert.True(streamed[^1].IsLast);
        Assert.Equal(FinishReason.MaxTokens, streamed[^1].Finish);
    }

    [Fact]
    public void A_hook_stays_active_for_every_step_of_a_generation()
    {
        var calls = 0;
        using (_model.AddHook("blocks.0.hook_resid_post", a => { calls++; return a; }))
            Generator.Generate(["the"], new GenerationOptions { Temperature = 0, MaxNewTokens = 7, StopAtEndOfText = false });
        Assert.Equal(7, calls);
    }

    [Fact]
    public void A_prompt_longer_than_the_context_is_refused()
    {
        var longPrompt = string.Join(" ", Enumerable.Repeat("state union people", 40));
        var error = Assert.Throws<ArgumentException>(() => Generator.Generate([longPrompt], new GenerationOptions()));
        Assert.Contains("context is 48", error.Message);
    }

    [Fact]
    public void Generation_stops_when_the_context_is_full()
    {
        var result = Generator.Generate(["the"], new GenerationOptions { Temperature = 0, MaxNewTokens = 500, StopAtEndOfText = false })[0];
        Assert.Equal(FinishReason.ContextFull, result.Finish);
        Assert.Equal(48 - 2, result.TokenIds.Length);
    }
}
