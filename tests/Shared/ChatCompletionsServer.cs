using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SaeWorkbench.Tests.Shared;

/// <summary>What the server answers to one request.</summary>
public sealed record ScriptedReply(int Status = 200, string? Text = null, string? RawBody = null, int? RetryAfterSeconds = null,
    TimeSpan? Delay = null, bool Stream = false, object? Usage = null, JsonArray? Logprobs = null);

/// <summary>One request as the server saw it.</summary>
public sealed record ReceivedRequest(string Path, string? Authorization, JsonNode Body);

/// <summary>
/// An in-process HTTP server on 127.0.0.1 (a free port) that speaks the OpenAI chat-completions wire format: a JSON
/// reply with <c>choices[0].message.content</c>, <c>finish_reason</c> and <c>usage</c>, or with <c>stream: true</c>
/// server-sent events (<c>data: {chunk}</c> with <c>choices[0].delta.content</c>, a usage chunk, <c>data: [DONE]</c>).
/// What it answers comes from a script: a queue of replies first, then the fallback function.
/// </summary>
public sealed class ChatCompletionsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ScriptedReply> _script = new();
    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();
    public Func<JsonNode, ScriptedReply> Fallback { get; set; } = _ => new ScriptedReply(Text: "[EXPLANATION]: nothing");
    public Uri BaseUrl { get; private set; } = null!;

    private ChatCompletionsServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", HandleAsync);
    }

    public static async Task<ChatCompletionsServer> StartAsync()
    {
        var server = new ChatCompletionsServer();
        await server._app.StartAsync();
        server.BaseUrl = new Uri(server._app.Urls.First() + "/v1");
        return server;
    }

    public void Enqueue(params ScriptedReply[] replies)
    {
        foreach (var r in replies) _script.Enqueue(r);
    }

    private async Task HandleAsync(HttpContext http)
    {
        var body = (await JsonNode.ParseAsync(http.Request.Body))!;
        Received.Enqueue(new ReceivedRequest(http.Request.Path, http.Request.Headers.Authorization.FirstOrDefault(), body));
        var reply = _script.TryDequeue(out var next) ? next : Fallback(body);
        if (reply.Delay is { } delay) await Task.Delay(delay, http.RequestAborted);
        http.Response.StatusCode = reply.Status;
        if (reply.RetryAfterSeconds is { } after) http.Response.Headers.RetryAfter = after.ToString();
        if (reply.RawBody is not null)
        {
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(reply.RawBody);
            return;
        }
        var model = body["model"]?.GetValue<string>() ?? "";
        var usage = reply.Usage ?? new { prompt_tokens = 100, completion_tokens = 10, total_tokens = 110 };
        if (reply.Stream || body["stream"]?.GetValue<bool>() == true)
        {
            http.Response.ContentType = "text/event-stream";
            var text = reply.Text ?? "";
            var pieces = Enumerable.Range(0, (text.Length + 3) / 4).Select(i => text.Substring(i * 4, Math.Min(4, text.Length - i * 4))).ToList();
            await Event(http, new { id = "c1", @object = "chat.completion.chunk", model, choices = new[] { new { index = 0, delta = (object)new { role = "assistant" }, finish_reason = (string?)null } } });
            foreach (var piece in pieces)
                await Event(http, new { id = "c1", @object = "chat.completion.chunk", model, choices = new[] { new { index = 0, delta = (object)new { content = piece }, finish_reason = (string?)null } } });
            await Event(http, new { id = "c1", @object = "chat.completion.chunk", model, choices = new[] { new { index = 0, delta = (object)new { }, finish_reason = (string?)"stop" } } });
            await Event(http, new { id = "c1", @object = "chat.completion.chunk", model, choices = Array.Empty<object>(), usage });
            await http.Response.WriteAsync("data: [DONE]\n\n");
            return;
        }
        var choice = new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = reply.Text },
            ["finish_reason"] = reply.Status == 200 ? "stop" : null,
        };
        if (reply.Logprobs is not null) choice["logprobs"] = new JsonObject { ["content"] = reply.Logprobs.DeepClone() };
        var response = new JsonObject
        {
            ["id"] = "c1", ["object"] = "chat.completion", ["model"] = model,
            ["choices"] = new JsonArray(choice),
            ["usage"] = JsonSerializer.SerializeToNode(usage),
        };
        if (reply.Status != 200) response = new JsonObject { ["error"] = new JsonObject { ["message"] = reply.Text ?? "error", ["type"] = "server_error" } };
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(response.ToJsonString());
    }

    private static async Task Event(HttpContext http, object chunk)
    {
        await http.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk) + "\n\n", Encoding.UTF8);
        await http.Response.Body.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
