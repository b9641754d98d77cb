namespace SaeWorkbench.Research.Explanations.Providers;

/// <summary>One chat completion to ask for. Temperature 0 by default: explanations and scores should be repeatable.</summary>
public sealed record ChatRequest(IReadOnlyList<ChatMessage> Messages, int MaxTokens, double Temperature = 0, bool Logprobs = false);

/// <summary>The model's reply and what it cost. Token counts are the server's when it reports them, else estimated.</summary>
public sealed record ChatReply(string Text, string? FinishReason, int PromptTokens, int CompletionTokens, IReadOnlyList<TokenLogprob>? Logprobs)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>A language model that answers chat prompts: the explainer and the scorers talk only to this.</summary>
public interface IChatModel
{
    /// <summary>The model's name as recorded with explanations and scores (and the model account's name).</summary>
    string ModelName { get; }

    Task<ChatReply> CompleteAsync(ChatRequest request, CancellationToken ct = default);
}

/// <summary>A provider failure with a message fit for a job's status line: it never contains the API key.</summary>
public sealed class ChatProviderException(string message) : Exception(message);
