namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// Answers a refusal thrown by any handler of an API route group with <see cref="OutcomeResults.Refused"/>, so no
/// endpoint keeps a catch list of its own (docs/architecture.md §9). A fault propagates to the log; so does a refusal
/// thrown after the response has started (a stream already sending), whose status can no longer change.
/// </summary>
public sealed class RefusalFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (!context.HttpContext.Response.HasStarted && OutcomeResults.Refused(e) is { } answer)
        {
            // The framework's own exception types (an argument, a state, a file) are refusals by the shared rule, but a bug
            // can throw them too: they stay in the log, at Warning, so a fault answered as a refusal is still found.
            if (e is not (SaeWorkbench.Research.Labelling.Services.RefusedException or SaeWorkbench.Research.Limits.RateLimitedException
                or SaeWorkbench.Ml.Lm.Generation.InferenceQueueFullException))
            {
                context.HttpContext.RequestServices.GetService<ILoggerFactory>()?.CreateLogger<RefusalFilter>()
                    .LogWarning(e, "{Method} {Path} refused: {Message}", context.HttpContext.Request.Method, context.HttpContext.Request.Path, e.Message);
            }
            return answer;
        }
    }
}

/// <summary>Marks an endpoint whose refusals <see cref="RefusalFilter"/> translates (checked by the tests).</summary>
public sealed class TranslatesRefusalsMetadata
{
    public static readonly TranslatesRefusalsMetadata Instance = new();
}

public static class RefusalFilterExtensions
{
    /// <summary>Every handler of <paramref name="group"/> answers refusals through the one translation.</summary>
    public static RouteGroupBuilder TranslatesRefusals(this RouteGroupBuilder group) =>
        group.AddEndpointFilter<RefusalFilter>().WithMetadata(TranslatesRefusalsMetadata.Instance);
}
