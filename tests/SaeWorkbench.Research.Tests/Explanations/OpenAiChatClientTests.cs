using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Explanations.Providers;
using SaeWorkbench.Tests.Shared;

namespace SaeWorkbench.Research.Tests.Explanations;

public sealed class OpenAiChatClientTests
{
    private const string Key = "sk-test-0123456789-secret";
    private static readonly ChatRequest Request = new([ChatMessage.System("s"), ChatMessage.User("u")], 64);

    private static (OpenAiChatClient Client, RecordingClock Clock, CapturingLogger Log) Client(ChatCompletionsServer server, bool streaming = false,
        TimeSpan? timeout = null, int retries = 3)
    {
        var clock = new RecordingClock();
        var log = new CapturingLogger();
        var client = new OpenAiChatClient(new OpenAiChatOptions
        {
            BaseUrl = server.BaseUrl, Model = "tiny-instruct", ApiKey = Key, Streaming = streaming,
            Timeout = timeout ?? TimeSpan.FromSeconds(10), MaxRetries = retries,
        }, log, clock);
        return (client, clock, log);
    }

    [Fact]
    public async Task A_plain_reply_returns_the_text_the_finish_reason_and_the_servers_token_counts()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        server.Enqueue(new ScriptedReply(Text: "[EXPLANATION]: Days", Usage: new { prompt_tokens = 42, completion_tokens = 7 }));
        var (client, _, _) = Client(server);

        var reply = await client.CompleteAsync(Request);

        Assert.Equal(("[EXPLANATION]: Days", "stop", 42, 7), (reply.Text, reply.FinishReason, reply.PromptTokens, reply.CompletionTokens));
        var sent = Assert.Single(server.Received);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal($"Bearer {Key}", sent.Authorization);
        Assert.Equal("tiny-instruct", sent.Body["model"]!.GetValue<string>());
        Assert.Equal(["system", "user"], sent.Body["messages"]!.AsArray().Select(m => m!["role"]!.GetValue<string>()));
        Assert.False(sent.Body["stream"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_streamed_reply_is_assembled_from_its_events_with_the_usage_chunk()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        server.Enqueue(new ScriptedReply(Text: "[EXPLANATION]: Names of rivers.", Usage: new { prompt_tokens = 5, completion_tokens = 9 }));
        var (client, _, _) = Client(server, streaming: true);

        var reply = await client.CompleteAsync(Request);

        Assert.Equal(("[EXPLANATION]: Names of rivers.", "stop", 5, 9), (reply.Text, reply.FinishReason, reply.PromptTokens, reply.CompletionTokens));
        Assert.True(Assert.Single(server.Received).Body["stream"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_429_is_retried_after_its_Retry_After_and_a_500_after_the_backoff()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        server.Enqueue(new ScriptedReply(429, "slow down", RetryAfterSeconds: 7), new ScriptedReply(500, "boom"), new ScriptedReply(Text: "[1,0]"));
        var (client, clock, _) = Client(server);

        var reply = await client.CompleteAsync(Request);

        Assert.Equal("[1,0]", reply.Text);
        Assert.Equal(3, server.Received.Count);
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(2)], clock.Waits); // second attempt's backoff: 1 s × 2¹
    }

    [Fact]
    public async Task Repeated_server_errors_fail_with_a_clear_message_after_the_last_retry()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        server.Fallback = _ => new ScriptedReply(503, "overloaded");
        var (client, clock, _) = Client(server, retries: 2);

        var e = await Assert.ThrowsAsync<ChatProviderException>(() => client.CompleteAsync(Request));

        Assert.Contains("after 3 attempt(s)", e.Message);
        Assert.Contains("503", e.Message);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], clock.Waits);
    }

    [Fact]
    public async Task A_reply_slower_than_the_timeout_is_abandoned_and_retried()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        server.Enqueue(new ScriptedReply(Text: "late", Delay: TimeSpan.FromSeconds(30)), new ScriptedReply(Text: "on time"));
        // Long enough that the prompt reply never misses it on a machine busy with other test projects.
        var (client, clock, _) = Client(server, timeout: TimeSpan.FromSeconds(2));

        var reply = await client.CompleteAsync(Request);

        Assert.Equal("on time", reply.Text);
        Assert.Single(clock.Waits);
    }

    [Fact]
    public async Task A_timeout_on_every_attempt_says_how_long_it_waited()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        server.Fallback = _ => new ScriptedReply(Text: "late", Delay: TimeSpan.FromSeconds(30));
        var (client, _, _) = Client(server, timeout: TimeSpan.FromMilliseconds(200), retries: 0);

        var e = await Assert.ThrowsAsync<ChatProviderException>(() => client.CompleteAsync(Request));

        Assert.Contains("did not answer within 0.2 s", e.Message);
    }

    [Fact]
    public async Task Invalid_JSON_is_a_clear_error_not_a_crash()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        server.Enqueue(new ScriptedReply(RawBody: "{\"choices\": [ {\"message\": "));
        var (client, _, _) = Client(server);

        var e = await Assert.ThrowsAsync<ChatProviderException>(() => client.CompleteAsync(Request));

        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public async Task A_refusal_is_not_retried_and_the_key_the_server_echoes_is_scrubbed()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        server.Enqueue(new ScriptedReply(401, $"Incorrect API key provided: {Key}"));
        var (client, clock, log) = Client(server);

        var e = await Assert.ThrowsAsync<ChatProviderException>(() => client.CompleteAsync(Request));

        Assert.Contains("refused the request (401)", e.Message);
        Assert.DoesNotContain(Key, e.Message);
        Assert.Empty(clock.Waits);
        Assert.Single(server.Received);
        Assert.DoesNotContain(log.Lines, l => l.Contains(Key));
    }

    [Fact]
    public async Task The_key_never_appears_in_any_log_line()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        server.Enqueue(new ScriptedReply(429, "wait", RetryAfterSeconds: 1), new ScriptedReply(500, "x"), new ScriptedReply(Text: "ok"));
        var (client, _, log) = Client(server, streaming: true);

        await client.CompleteAsync(Request);

        Assert.NotEmpty(log.Lines);
        Assert.DoesNotContain(log.Lines, l => l.Contains(Key) || l.Contains("secret"));
    }

    [Fact]
    public async Task Logprobs_are_asked_for_and_read_back()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        var logprobs = JsonNode.Parse("""[{"token":"[","logprob":0,"top_logprobs":[]},{"token":"1","logprob":-0.1,"top_logprobs":[{"token":"1","logprob":-0.1},{"token":"0","logprob":-2.3}]},{"token":"]","logprob":0,"top_logprobs":[]}]""")!.AsArray();
        server.Enqueue(new ScriptedReply(Text: "[1]", Logprobs: logprobs));
        var (client, _, _) = Client(server);

        var reply = await client.CompleteAsync(Request with { Logprobs = true });
        var parsed = ClassifierPrompt.Parse(reply.Text, 1, reply.Logprobs);

        Assert.True(Assert.Single(server.Received).Body["logprobs"]!.GetValue<bool>());
        Assert.Equal(Math.Exp(-0.1) / (Math.Exp(-0.1) + Math.Exp(-2.3)), parsed.Probabilities[0]!.Value, 9);
    }

    [Fact]
    public async Task No_more_requests_than_the_concurrency_limit_are_in_flight()
    {
        await using var server = await ChatCompletionsServer.StartAsync();
        const int requests = 8;
        var inFlight = 0;
        var done = 0;
        var most = 0;
        server.Fallback = _ =>
        {
            var now = Interlocked.Increment(ref inFlight);
            lock (server) most = Math.Max(most, now);
            // Hold each request until the limit is full (or no other request is left to come), so a client that
            // ignored the limit would be seen with a third request in flight.
            SpinWait.SpinUntil(() => Volatile.Read(ref inFlight) >= 2 || Volatile.Read(ref done) + Volatile.Read(ref inFlight) == requests,
                TimeSpan.FromSeconds(10));
            Interlocked.Decrement(ref inFlight);
            Interlocked.Increment(ref done);
            return new ScriptedReply(Text: "ok");
        };
        using var client = new OpenAiChatClient(new OpenAiChatOptions { BaseUrl = server.BaseUrl, Model = "m", MaxConcurrency = 2 }, new CapturingLogger(),
            TimeProvider.System);

        await Task.WhenAll(Enumerable.Range(0, requests).Select(_ => client.CompleteAsync(Request)));

        Assert.Equal(requests, server.Received.Count);
        Assert.Equal(2, most);
    }
}
