using System.Text.Json;
using SaeWorkbench.Ml.Lm.Tokenization;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm.Generation;

/// <summary>How an instruct model answers one chat prompt.</summary>
public sealed record ChatGenerationOptions
{
    /// <summary>At most this many new tokens (fewer when the context fills up).</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>0 = greedy (the most likely token every step).</summary>
    public double Temperature { get; init; }

    /// <summary>Nucleus sampling mass; 1 disables. Only used when <see cref="Temperature"/> &gt; 0.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Seed of the sampling generator: the same seed, prompt and options give the same answer.</summary>
    public long Seed { get; init; }

    /// <summary>Keep each step's log-probability and this many most likely alternatives (0: none).</summary>
    public int TopAlternatives { get; init; }
}

/// <summary>One generated token with its log-probability and the most likely alternatives at that step (ids and log-probabilities).</summary>
public sealed record ChatTokenStep(int TokenId, double Logprob, IReadOnlyList<(int TokenId, double Logprob)> Top);

/// <summary>
/// The answer: text without the special tokens, why it ended ("stop": an end-of-turn token; "length": the token
/// limit or the context), and the token counts.
/// </summary>
public sealed record ChatCompletionResult(string Text, string FinishReason, int PromptTokens, IReadOnlyList<int> TokenIds, IReadOnlyList<ChatTokenStep>? Steps);

/// <summary>The prompt cannot be answered by this model folder (no chat template, too long for the context, …).</summary>
public sealed class ChatGenerationException(string message) : Exception(message);

/// <summary>
/// Answers chat prompts with a local instruct model the way transformers' <c>apply_chat_template</c> +
/// <c>generate</c> does: the conversation is rendered with the folder's chat template (generation prompt added),
/// tokenized without adding special tokens (the template writes its own), decoded step by step with the KV cache,
/// and stopped at any end-of-sequence id the folder names (tokenizer_config.json's <c>eos_token</c>, and
/// <c>eos_token_id</c> of config.json and generation_config.json, which lists the end-of-turn tokens of instruct
/// models) or at the token limit. Not thread-safe: one caller per model at a time (an <see cref="InferenceQueue"/>).
/// </summary>
public static class ChatGenerator
{
    public static ChatCompletionResult Complete(LoadedLanguageModel loaded, IReadOnlyList<ChatMessage> messages, ChatGenerationOptions options,
        CancellationToken cancellation = default)
    {
        if (options.MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxNewTokens must be at least 1");
        if (options.Temperature < 0) throw new ArgumentOutOfRangeException(nameof(options), "Temperature must be ≥ 0");
        if (options.TopP is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), "TopP must be in (0, 1]");
        var (model, tokenizer) = (loaded.Model, TokenizerOf(loaded));
        var prompt = Render(tokenizer, messages);
        var ids = tokenizer.Encode(prompt);
        if (ids.Length == 0) throw new ChatGenerationException("The rendered prompt is empty.");
        if (ids.Length >= model.ContextLength)
            throw new ChatGenerationException($"The prompt has {ids.Length:N0} tokens; the model's context holds {model.ContextLength:N0}.");
        var stops = StopTokenIds(loaded.Folder, tokenizer);
        var maxNew = Math.Min(options.MaxNewTokens, model.ContextLength - ids.Length);
        // Rows of the embedding past the tokenizer's vocabulary are padding: never generate them.
        var vocab = Math.Min(tokenizer.VocabSize, model.VocabSize);
        var sampling = new GenerationOptions { Temperature = options.Temperature, TopP = options.TopP };

        (model as TorchSharp.torch.nn.Module)?.eval();
        using var noGrad = no_grad();
        using var cache = model.CreateKvCache();
        using var generator = new Generator((ulong)options.Seed, CPU);
        var generated = new List<int>();
        var steps = options.TopAlternatives > 0 ? new List<ChatTokenStep>() : null;
        var finish = "length";
        using var outer = NewDisposeScope();
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]).to(model.Device); // [1, prompt]
        for (var step = 0; step < maxNew; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var logits = model.Forward(input, cache)[.., -1, ..].narrow(1, 0, vocab).to(ScalarType.Float32).cpu(); // [1, vocab]
            var id = (int)TextGenerator.Sample(logits, sampling, generator).item<long>();
            if (steps is not null)
            {
                var logp = logits[0].log_softmax(0);                                                  // [vocab]
                var (values, indices) = logp.topk(Math.Min(options.TopAlternatives, vocab));
                var top = indices.data<long>().ToArray().Zip(values.data<float>().ToArray(), (i, v) => ((int)i, (double)v)).ToList();
                steps.Add(new ChatTokenStep(id, logp[id].item<float>(), top));
            }
            if (stops.Contains(id)) { finish = "stop"; break; }
            generated.Add(id);
            input = tensor(new long[] { id }, [1, 1]).to(model.Device).MoveToOuterDisposeScope();  // [1, 1]
        }
        var text = tokenizer.Decode(generated, new DecodeOptions(SkipSpecialTokens: true));
        return new ChatCompletionResult(text, finish, ids.Length, generated, steps);
    }

    /// <summary>The conversation as the model's template writes it, ending with the assistant's turn opening.</summary>
    public static string Render(HuggingFaceTokenizer tokenizer, IReadOnlyList<ChatMessage> messages)
    {
        ChatTemplate? template;
        try { template = tokenizer.ChatTemplate; }
        catch (Tokenization.Jinja.JinjaException e) { throw new ChatGenerationException($"The chat template uses Jinja the workbench does not implement: {e.Message}"); }
        if (template is null)
            throw new ChatGenerationException("The model folder has no chat template (tokenizer_config.json chat_template or chat_template.jinja): it is not an instruct model.");
        try { return template.Render(messages, addGenerationPrompt: true); }
        catch (Exception e) when (e is Tokenization.Jinja.JinjaException or Tokenization.Jinja.JinjaRaisedException)
        {
            throw new ChatGenerationException($"The chat template refused the conversation: {e.Message}");
        }
    }

    /// <summary>The ids that end an answer (see the class summary); at least one, else the folder cannot chat.</summary>
    public static IReadOnlySet<int> StopTokenIds(string folder, HuggingFaceTokenizer tokenizer)
    {
        var ids = new HashSet<int>();
        if (tokenizer.EosTokenId is { } eos) ids.Add(eos);
        foreach (var file in new[] { "config.json", "generation_config.json" })
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path)) continue;
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("eos_token_id", out var e)) continue;
            if (e.ValueKind == JsonValueKind.Number) ids.Add(e.GetInt32());
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var x in e.EnumerateArray())
                    if (x.ValueKind == JsonValueKind.Number) ids.Add(x.GetInt32());
        }
        if (ids.Count == 0) throw new ChatGenerationException("The model folder names no end-of-sequence token (eos_token / eos_token_id), so an answer could not end.");
        return ids;
    }

    private static HuggingFaceTokenizer TokenizerOf(LoadedLanguageModel loaded) =>
        loaded.Tokenizer as HuggingFaceTokenizer
        ?? throw new ChatGenerationException("The model folder has no tokenizer.json with a chat template (vocab.json + merges.txt tokenizers have none).");
}
