using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace SaeWorkbench.Research.Explanations.Providers;

/// <summary>
/// A client for the OpenAI chat-completions wire format (POST {base}/chat/completions; a JSON reply, or with
/// <c>stream: true</c> server-sent events <c>data: {chunk}</c> ending with <c>data: [DONE]</c>). It retries 429s
/// after their Retry-After (seconds or an HTTP date) or an exponential backoff, and 5xx replies, timeouts and dropped
/// connections after the backoff; it keeps at most <see cref="OpenAiChatOptions.MaxConcurrency"/> requests in flight.
/// The API key goes only into the Authorization header: it is never logged and is scrubbed from any error text
/// the server sends back (some APIs echo the key they refused).
/// </summary>
public sealed class OpenAiChatClient : IChatModel, IDisposable
{
    private readonly OpenAiChatOptions _options;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _inFlight;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly Uri _endpoint;

    /// <param name="clock">The clock the waits between attempts run on (the host's <see cref="TimeProvider"/>).</param>
    public OpenAiChatClient(OpenAiChatOptions options, ILogger logger, TimeProvider clock)
    {
        if (options.BaseUrl.Scheme is not ("http" or "https")) throw new ArgumentException("baseUrl: must be an http or https address.");
        if (string.IsNullOrWhiteSpace(options.Model)) throw new ArgumentException("model: required.");
        _options = options;
        _logger = logger;
        _clock = clock;
        // A plain HttpClient, not IHttpClientFactory: the factory's logging handler writes request headers at Trace.
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        _inFlight = new SemaphoreSlim(Math.Max(1, options.MaxConcurrency));
        _endpoint = new Uri(options.BaseUrl.AbsoluteUri.TrimEnd('/') + "/chat/completions");
    }

    public string ModelName => _options.Model;

    public async Task<ChatReply> CompleteAsync(ChatRequest request, CancellationToken ct = default)
    {
        var body = Body(request);
        for (var attempt = 0; ; attempt++)
        {
            TimeSpan? retryAfter;
            string failure;
            await _inFlight.WaitAsync(ct);
            var clock = Stopwatch.StartNew();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.Timeout);
                try
                {
                    using var message = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                    if (!string.IsNullOrEmpty(_options.ApiKey)) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
                    if (_options.Streaming) message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                    using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                    var status = (int)response.StatusCode;
                    if (response.IsSuccessStatusCode)
                    {
                        var reply = _options.Streaming && IsEventStream(response)
                            ? await ReadStreamAsync(response, request, timeout.Token)
                            : ReadJson(await response.Content.ReadAsStringAsync(timeout.Token), request);
                        _logger.LogInformation("Chat completion from {Host} ({Model}): {Status} in {Milliseconds} ms, {Tokens} tokens",
                            _endpoint.Authority, _options.Model, status, clock.ElapsedMilliseconds, reply.TotalTokens);
                        return reply;
                    }
                    var text = Scrub(await SafeReadAsync(response, timeout.Token));
                    _logger.LogWarning("Chat completion from {Host} ({Model}) answered {Status} (attempt {Attempt})", _endpoint.Authority, _options.Model, status, attempt + 1);
                    if (response.StatusCode == HttpStatusCode.TooManyRequests) { retryAfter = RetryAfter(response); failure = $"the endpoint is rate-limiting requests (429){Detail(text)}"; }
                    else if (status >= 500) { retryAfter = null; failure = $"the endpoint failed ({status}){Detail(text)}"; }
                    else throw new ChatProviderException($"The endpoint refused the request ({status}){Detail(text)}");
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    _logger.LogWarning("Chat completion from {Host} ({Model}) timed out after {Seconds} s (attempt {Attempt})", _endpoint.Authority, _options.Model, _options.Timeout.TotalSeconds, attempt + 1);
                    retryAfter = null;
                    failure = $"the endpoint did not answer within {_options.Timeout.TotalSeconds:0.###} s";
                }
                catch (HttpRequestException e)
                {
                    _logger.LogWarning("Chat completion from {Host} ({Model}) could not connect: {Error} (attempt {Attempt})", _endpoint.Authority, _options.Model, e.HttpRequestError, attempt + 1);
                    retryAfter = null;
                    failure = $"could not reach {_endpoint.Authority} ({Scrub(e.Message)})";
                }
            }
            finally
            {
                _inFlight.Release();
            }
            if (attempt >= _options.MaxRetries)
                throw new ChatProviderException($"Chat completion failed after {attempt + 1} attempt(s): {failure}.");
            await Task.Delay(retryAfter ?? Backoff(attempt), _clock, ct);
        }
    }

    private string Body(ChatRequest request)
    {
        var body = new JsonObject
        {
            ["model"] = _options.Model,
            ["messages"] = new JsonArray(request.Messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray()),
            ["max_tokens"] = request.MaxTokens,
            ["temperature"] = request.Temperature,
            ["stream"] = _options.Streaming,
        };
        if (_options.Streaming) body["stream_options"] = new JsonObject { ["include_usage"] = true };
        if (request.Logprobs) { body["logprobs"] = true; body["top_logprobs"] = 5; }
        return body.ToJsonString();
    }

    private static bool IsEventStream(HttpResponseMessage response) =>
        string.Equals(response.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

    private ChatReply ReadJson(string json, ChatRequest request)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException) { throw new ChatProviderException($"The endpoint's reply is not valid JSON{Detail(Scrub(json))}"); }
        var choice = FirstChoice(root);
        if (choice is null) throw new ChatProviderException($"The endpoint's reply has no choices{Detail(Scrub(json))}");
        var text = String(P(P(choice, "message"), "content")) ?? "";
        var logprobs = Logprobs(P(P(choice, "logprobs"), "content"));
        return WithUsage(text, String(P(choice, "finish_reason")), P(root, "usage"), logprobs, request);
    }

    private async Task<ChatReply> ReadStreamAsync(HttpResponseMessage response, ChatRequest request, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = new StringBuilder();
        string? finish = null;
        JsonNode? usage = null;
        List<TokenLogprob>? logprobs = null;
        var done = false;
        while (!done && await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal)) continue; // comments, event names, blank separators
            var data = line[5..].Trim();
            if (data == "[DONE]") { done = true; break; }
            JsonNode? chunk;
            try { chunk = JsonNode.Parse(data); }
            catch (JsonException) { throw new ChatProviderException($"The endpoint streamed an event that is not valid JSON{Detail(Scrub(data))}"); }
            if (P(chunk, "error") is { } error) throw new ChatProviderException($"The endpoint reported an error mid-stream{Detail(Scrub(error.ToJsonString()))}");
            usage = P(chunk, "usage") is JsonObject u ? u : usage;
            var choice = FirstChoice(chunk);
            if (choice is null) continue;
            text.Append(String(P(P(choice, "delta"), "content")));
            finish = String(P(choice, "finish_reason")) ?? finish;
            if (Logprobs(P(P(choice, "logprobs"), "content")) is { } more) (logprobs ??= []).AddRange(more);
        }
        if (!done && finish is null) throw new ChatProviderException("The endpoint's stream ended before it finished the reply.");
        return WithUsage(text.ToString(), finish, usage, logprobs, request);
    }

    private static ChatReply WithUsage(string text, string? finish, JsonNode? usage, IReadOnlyList<TokenLogprob>? logprobs, ChatRequest request)
    {
        var prompt = Int(P(usage, "prompt_tokens")) ?? EstimateTokens(request.Messages.Sum(m => m.Content.Length));
        var completion = Int(P(usage, "completion_tokens")) ?? EstimateTokens(text.Length);
        return new ChatReply(text, finish, prompt, completion, logprobs);
    }

    /// <summary>About four characters per token for English text, the usual rule of thumb when a server reports no usage.</summary>
    public static int EstimateTokens(int characters) => (characters + 3) / 4;

    private static List<TokenLogprob>? Logprobs(JsonNode? content)
    {
        if (content is not JsonArray items) return null;
        var list = new List<TokenLogprob>();
        foreach (var item in items)
        {
            if (String(P(item, "token")) is not { } token || Double(P(item, "logprob")) is not { } lp) continue;
            var top = (P(item, "top_logprobs") as JsonArray ?? [])
                .Select(t => (Token: String(P(t, "token")), Logprob: Double(P(t, "logprob"))))
                .Where(t => t.Token is not null && t.Logprob is not null).Select(t => (t.Token!, t.Logprob!.Value)).ToList();
            list.Add(new TokenLogprob(token, lp, top));
        }
        return list;
    }

    // The final usage chunk of a stream has "choices": []; JsonArray's indexer throws on an empty array.
    private static JsonNode? FirstChoice(JsonNode? root) => P(root, "choices") is JsonArray { Count: > 0 } choices ? choices[0] : null;

    /// <summary>A property of an object; null for anything else (a reply of the wrong shape must not throw).</summary>
    private static JsonNode? P(JsonNode? node, string name) => node is JsonObject o && o.TryGetPropertyValue(name, out var v) ? v : null;

    private static string? String(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    private static int? Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
    private static double? Double(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    private TimeSpan Backoff(int attempt)
    {
        var seconds = _options.InitialBackoff.TotalSeconds * Math.Pow(2, attempt);
        return TimeSpan.FromSeconds(Math.Min(seconds, _options.MaxBackoff.TotalSeconds));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (wait is null) return null;
        if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
        return wait > _options.MaxBackoff ? _options.MaxBackoff : wait;
    }

    private static async Task<string> SafeReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try { return await response.Content.ReadAsStringAsync(ct); }
        catch (HttpRequestException) { return ""; }
    }

    private static string Detail(string text)
    {
        text = text.Trim();
        if (text.Length == 0) return "";
        return ": " + (text.Length > 200 ? text[..200] + "…" : text);
    }

    private string Scrub(string text) =>
        string.IsNullOrEmpty(_options.ApiKey) ? text : text.Replace(_options.ApiKey, "[key]", StringComparison.Ordinal);

    public void Dispose()
    {
        _http.Dispose();
        _inFlight.Dispose();
    }

    public override string ToString() => $"OpenAI-compatible {_endpoint.Authority} ({_options.Model})";
}
