using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Inference;
using LmChatMessage = SaeWorkbench.Ml.Lm.Tokenization.ChatMessage;

namespace SaeWorkbench.Research.Explanations.Providers;

/// <summary>A local instruct model (its folder and registered name) and its generation limits, as an Admin configures them.</summary>
public sealed record LocalChatOptions
{
    /// <summary>The model folder (absolute, already checked against the import roots).</summary>
    public required string ModelFolder { get; init; }

    /// <summary>Cap on new tokens per reply; a request asking for more gets this many.</summary>
    public int MaxNewTokens { get; init; } = ProviderDefaults.MaxNewTokens;

    /// <summary>0 = greedy. A request's own temperature, when above 0, wins.</summary>
    public double Temperature { get; init; }

    public double TopP { get; init; } = ProviderDefaults.TopP;

    public long Seed { get; init; }

    /// <summary>How long a request keeps trying while the model's queue is full of other users' work.</summary>
    public TimeSpan QueueWait { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The registered model's name, when it is one.</summary>
    public string? Name { get; init; }

    /// <summary>The model's name for explanations, scores and its account: its registered name, else the folder's name.</summary>
    public string ModelName => Name ?? NameOf(ModelFolder);

    public static string NameOf(string folder) => Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
}

/// <summary>
/// An instruct model in a Hugging Face folder as a chat model for the explainer and scorers (docs/science.md §13.5).
/// Every request runs on the model's queue in the <see cref="ModelHost"/> — the one queue test text and steering use,
/// so the model is loaded once and shared — rendered with the folder's chat template and generated with the KV cache
/// (<see cref="ChatGenerator"/>). Log-probabilities come straight from the next-token distribution: each step's own
/// and its <see cref="TopAlternatives"/> most likely alternatives, the shape an OpenAI-compatible server returns.
/// </summary>
public sealed class LocalChatModel(ModelHost host, LocalChatOptions options) : IChatModel
{
    /// <summary>Alternatives kept per step when log-probabilities are asked for (OpenAI's largest <c>top_logprobs</c>).</summary>
    public const int TopAlternatives = 20;

    public string ModelName => options.ModelName;

    public LocalChatOptions Options => options;

    public async Task<ChatReply> CompleteAsync(ChatRequest request, CancellationToken ct = default)
    {
        var generation = new ChatGenerationOptions
        {
            MaxNewTokens = Math.Max(1, Math.Min(request.MaxTokens, options.MaxNewTokens)),
            Temperature = request.Temperature > 0 ? request.Temperature : options.Temperature,
            TopP = options.TopP, Seed = options.Seed, TopAlternatives = request.Logprobs ? TopAlternatives : 0,
        };
        var messages = request.Messages.Select(m => new LmChatMessage(m.Role, m.Content)).ToList();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await host.RunAsync(options.ModelFolder, (hosted, token) => Reply(hosted.Model, messages, generation, token), cancellation: ct);
            }
            catch (InferenceQueueFullException) when (waited.Elapsed < options.QueueWait)
            {
                // A batch job waits its turn behind interactive users instead of failing.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 100 << Math.Min(attempt, 6))), ct);
            }
            catch (InferenceQueueFullException e) { throw new ChatProviderException($"{ModelName}: {e.Message}"); }
            catch (ChatGenerationException e) { throw new ChatProviderException($"{ModelName}: {e.Message}"); }
            catch (LanguageModelFolderException e) { throw new ChatProviderException($"{ModelName} cannot be loaded: {e.Message}"); }
        }
    }

    private static ChatReply Reply(LoadedLanguageModel model, IReadOnlyList<LmChatMessage> messages, ChatGenerationOptions generation, CancellationToken ct)
    {
        var result = ChatGenerator.Complete(model, messages, generation, ct);
        var tokenizer = model.Tokenizer;
        var logprobs = result.Steps?.Select(s => new TokenLogprob(tokenizer.Decode([s.TokenId]), s.Logprob,
            s.Top.Select(t => (tokenizer.Decode([t.TokenId]), t.Logprob)).ToList())).ToList();
        // The end-of-turn token was generated too, so it counts, as servers count it.
        var completion = result.TokenIds.Count + (result.FinishReason == "stop" ? 1 : 0);
        return new ChatReply(result.Text, result.FinishReason, result.PromptTokens, completion, logprobs);
    }
}
