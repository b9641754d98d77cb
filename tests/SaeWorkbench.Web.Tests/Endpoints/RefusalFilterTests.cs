using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Export;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Limits;
using SaeWorkbench.Research.Models;
using SaeWorkbench.Web.Endpoints;

namespace SaeWorkbench.Web.Tests.Endpoints;

/// <summary>Endpoints answer every refusal through one filter (<see cref="RefusalFilter"/>), so no endpoint keeps a catch list.</summary>
public sealed partial class RefusalFilterTests
{
    private static readonly IServiceProvider Services = new ServiceCollection().AddLogging().BuildServiceProvider();

    /// <summary>Runs a handler that throws <paramref name="thrown"/> through the filter and executes the answer.</summary>
    private static async Task<(int Status, JsonElement Body, HttpContext Http)> AnswerAsync(Exception thrown)
    {
        var http = new DefaultHttpContext { RequestServices = Services };
        http.Response.Body = new MemoryStream();
        var answer = await new RefusalFilter().InvokeAsync(new DefaultEndpointFilterInvocationContext(http), _ => throw thrown);
        await Assert.IsAssignableFrom<IResult>(answer).ExecuteAsync(http);
        http.Response.Body.Position = 0;
        return (http.Response.StatusCode, JsonDocument.Parse(http.Response.Body).RootElement.Clone(), http);
    }

    private static string[] Errors(JsonElement body, string field) =>
        [.. body.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public async Task A_framework_exception_answered_as_a_refusal_stays_in_the_log_and_the_services_own_refusals_do_not()
    {
        var logged = new List<(Microsoft.Extensions.Logging.LogLevel Level, Exception? Error)>();
        var services = new ServiceCollection().AddLogging(b => b.AddProvider(new CapturingLoggerProvider(logged))).BuildServiceProvider();
        async Task<int> Answer(Exception thrown)
        {
            var http = new DefaultHttpContext { RequestServices = services };
            var answer = await new RefusalFilter().InvokeAsync(new DefaultEndpointFilterInvocationContext(http), _ => throw thrown);
            Assert.IsAssignableFrom<IResult>(answer);
            return logged.Count;
        }

        var state = new InvalidOperationException("the model is still in use");
        Assert.Equal(1, await Answer(state));
        Assert.Equal((Microsoft.Extensions.Logging.LogLevel.Warning, (Exception?)state), logged[0]);
        Assert.Equal(1, await Answer(new JobValidationException(["latents: must be at least 1"])));
        Assert.Equal(1, await Answer(RefusedException.Forbidden(Role.Viewer, WorkbenchAction.RunSteering)));
    }

    private sealed class CapturingLoggerProvider(List<(Microsoft.Extensions.Logging.LogLevel, Exception?)> logged) : Microsoft.Extensions.Logging.ILoggerProvider
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(logged);

        public void Dispose() { }

        private sealed class Logger(List<(Microsoft.Extensions.Logging.LogLevel, Exception?)> logged) : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
                Func<TState, Exception?, string> formatter)
            {
                lock (logged) logged.Add((logLevel, exception));
            }
        }
    }

    [Fact]
    public async Task Input_refusals_answer_400_with_their_messages_under_their_field()
    {
        var job = await AnswerAsync(new JobValidationException(["latents: must be at least 1", "k: must be at most latents"]));
        Assert.Equal(400, job.Status);
        Assert.Equal(["latents: must be at least 1", "k: must be at most latents"], Errors(job.Body, "job"));

        var dtype = await AnswerAsync(new ModelRegistrationException(["computeDtype: 'int8' is not supported."], "computeDtype"));
        Assert.Equal(400, dtype.Status);
        Assert.Equal(["computeDtype: 'int8' is not supported."], Errors(dtype.Body, "computeDtype"));
        Assert.Equal(400, (await AnswerAsync(new ModelRegistrationException(["path: no such folder."]))).Status);
        var bundle = await AnswerAsync(new BundleException("'bomb.bin' is in the bundle but not in its manifest"));
        Assert.Equal(["'bomb.bin' is in the bundle but not in its manifest"], Errors(bundle.Body, "bundle"));
        var perToken = await AnswerAsync(new ArgumentException("perToken: ask for 1 to 20 latents per token, not 50"));
        Assert.Equal(400, perToken.Status);
        Assert.Single(Errors(perToken.Body, "perToken"));
        Assert.Single(Errors((await AnswerAsync(new InvalidDataException("the file is not a safetensors file"))).Body, "request"));
    }

    [Fact]
    public async Task Each_refusal_kind_answers_its_status_with_the_services_words()
    {
        var forbidden = await AnswerAsync(RefusedException.Forbidden(Role.Viewer, WorkbenchAction.RunSteering));
        Assert.Equal((403, Permissions.Refusal(Role.Viewer, WorkbenchAction.RunSteering)), (forbidden.Status, forbidden.Body.GetProperty("detail").GetString()));
        Assert.Equal(404, (await AnswerAsync(new RefusedException(OutcomeKind.NotFound, ValidationResult.Fail("id", "Latent 7 was not found.")))).Status);
        Assert.Equal(404, (await AnswerAsync(new KeyNotFoundException("There is no registered model #9."))).Status);
        Assert.Equal(409, (await AnswerAsync(new RefusedException(OutcomeKind.Conflict, ValidationResult.Fail("baseVersion", "Someone saved.")))).Status);
        var inUse = await AnswerAsync(new InvalidOperationException("the model is still in use by dictionary 3"));
        Assert.Equal((409, "the model is still in use by dictionary 3"), (inUse.Status, inUse.Body.GetProperty("detail").GetString()));

        var limited = await AnswerAsync(new RateLimitedException(WorkKind.ModelPass, TimeSpan.FromSeconds(2.2)));
        Assert.Equal((429, "3"), (limited.Status, limited.Http.Response.Headers.RetryAfter.ToString()));
        Assert.StartsWith("Too many", limited.Body.GetProperty("detail").GetString());
        var busy = await AnswerAsync(new InferenceQueueFullException(4));
        Assert.Equal((503, new InferenceQueueFullException(4).Message), (busy.Status, busy.Body.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task A_fault_and_a_refusal_after_the_response_started_propagate()
    {
        var http = new DefaultHttpContext { RequestServices = Services };
        await Assert.ThrowsAsync<NullReferenceException>(async () =>
            await new RefusalFilter().InvokeAsync(new DefaultEndpointFilterInvocationContext(http), _ => throw new NullReferenceException()));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
            await new RefusalFilter().InvokeAsync(new DefaultEndpointFilterInvocationContext(http), _ => throw new ObjectDisposedException("model")));

        // A stream already sending cannot change its status: the refusal goes to the log instead of a broken answer.
        http.Features.Set<IHttpResponseFeature>(new StartedResponse());
        await Assert.ThrowsAsync<RateLimitedException>(async () => await new RefusalFilter().InvokeAsync(
            new DefaultEndpointFilterInvocationContext(http), _ => throw new RateLimitedException(WorkKind.ModelPass, TimeSpan.FromSeconds(1))));
    }

    private sealed class StartedResponse : HttpResponseFeature
    {
        public override bool HasStarted => true;
    }

    [Fact]
    public void Every_api_endpoint_answers_refusals_through_the_filter()
    {
        using var factory = new WorkbenchFactory();
        var api = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true).ToList();
        Assert.True(api.Count > 40, $"only {api.Count} API endpoints found");
        var without = api.Where(e => e.Metadata.GetMetadata<TranslatesRefusalsMetadata>() is null).Select(e => e.RoutePattern.RawText).ToList();
        Assert.True(without.Count == 0, "API endpoints outside a group with TranslatesRefusals():\n" + string.Join("\n", without));
    }

    /// <summary>Catches in endpoint files that are not per-endpoint refusal translations, each with why.</summary>
    private static readonly Dictionary<string, string> OtherCatches = new(StringComparer.Ordinal)
    {
        ["HealthEndpoints.cs: catch (Exception e)"] = "the health probe reports a database fault as its state, not a refusal",
        ["RefusalFilter.cs: catch (Exception e) when (!context.HttpContext.Response.HasStarted && OutcomeResults.Refused(e) is { } answer)"] =
            "the one translation itself",
        ["LabellingApiServices.cs: catch (RateLimitedException e) when (!http.Response.HasStarted)"] =
            "the rate-limit middleware: a spent budget thrown by a request outside the API groups answers 429 the same way",
    };

    [Fact]
    public void No_endpoint_file_keeps_a_catch_list_of_its_own()
    {
        var endpoints = Path.Combine(RepositoryRoot.Path, "src", "SaeWorkbench.Web", "Endpoints");
        var catches = Directory.EnumerateFiles(endpoints, "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => Catch().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetFileName(f)}: {Regex.Replace(m.Value, @"\s+", " ").Trim()}"))
            .ToList();
        Assert.Contains(catches, OtherCatches.ContainsKey);
        var own = catches.Where(c => !OtherCatches.ContainsKey(c)).ToList();
        Assert.True(own.Count == 0, "let RefusalFilter answer refusals instead:\n" + string.Join("\n", own));
    }

    // A catch clause with its filter, up to the filter's closing parenthesis.
    [GeneratedRegex(@"catch \([^)]*\)(?:\s*when \((?:[^()]|\([^()]*\))*\))?")]
    private static partial Regex Catch();
}
