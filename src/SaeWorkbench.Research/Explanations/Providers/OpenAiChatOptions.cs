namespace SaeWorkbench.Research.Explanations.Providers;

/// <summary>How to reach an OpenAI-compatible chat-completions endpoint (vLLM, Ollama, llama.cpp's server, a hosted API).</summary>
public sealed record OpenAiChatOptions
{
    /// <summary>The API root, e.g. <c>http://127.0.0.1:8000/v1</c>; requests go to <c>{BaseUrl}/chat/completions</c>.</summary>
    public required Uri BaseUrl { get; init; }

    public required string Model { get; init; }

    /// <summary>Sent as a bearer token; null or empty sends no Authorization header. Held in memory only.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Longest wait for one attempt (whole reply, or the stream to finish).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Further attempts after a 429, a 5xx, a timeout or a dropped connection.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>Requests in flight at once through this client.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Ask for a server-sent-events stream instead of one JSON reply.</summary>
    public bool Streaming { get; init; }

    /// <summary>First backoff; doubled per attempt up to <see cref="MaxBackoff"/>. A 429's Retry-After wins when given.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);
}
