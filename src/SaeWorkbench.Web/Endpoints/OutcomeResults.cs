using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Limits;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// The one translation of a refusal into HTTP for the REST API (docs/architecture.md §9): a service's
/// <see cref="Outcome{T}"/>, or any exception <see cref="Refusal.IsRefusal"/> calls a refusal, which
/// <see cref="RefusalFilter"/> catches for every API route group. Invalid input → 400 with one message per field;
/// Forbidden → 403; NotFound → 404; Conflict or a state that forbids the request → 409; a spent budget → 429 with
/// Retry-After; a full model queue → 503; each with the service's message.
/// </summary>
public static class OutcomeResults
{
    /// <summary>The caller of an endpoint that requires a signed-in user.</summary>
    public static Actor ActorOf(ClaimsPrincipal user) =>
        Actor.From(user) ?? throw new InvalidOperationException("This endpoint requires a signed-in user with an id.");

    public static Results<Ok<T>, ValidationProblem, ProblemHttpResult> Answer<T>(Outcome<T> result) =>
        result.Succeeded ? TypedResults.Ok(result.Value!) : result.Kind == OutcomeKind.Invalid ? Invalid(result) : Problem(result);

    /// <summary>201 with the new resource's address, or the refusal.</summary>
    public static Results<Created<T>, ValidationProblem, ProblemHttpResult> Created<T>(Outcome<T> result, Func<T, string> location) =>
        result.Succeeded ? TypedResults.Created(location(result.Value!), result.Value) : result.Kind == OutcomeKind.Invalid ? Invalid(result) : Problem(result);

    /// <summary>A rule's refusal: 400 with one message per field.</summary>
    public static ValidationProblem Invalid<T>(Outcome<T> result) => TypedResults.ValidationProblem(result.Validation.ToProblemErrors());

    /// <summary>Any other refusal as a problem with its status and the service's message.</summary>
    public static ProblemHttpResult Problem<T>(Outcome<T> result) => Problem(result.Kind, result.Message);

    /// <summary>A refusal thrown by a service that returns something else (<see cref="RefusedException"/>), as a problem.</summary>
    public static ProblemHttpResult Problem(RefusedException refused) => Problem(refused.Kind, refused.Message);

    /// <summary>403 with the permission table's message, for a handler that checks a finer rule than its policy.</summary>
    public static ProblemHttpResult Forbidden(Role role, WorkbenchAction action) => Problem(OutcomeKind.Forbidden, Permissions.Refusal(role, action));

    /// <summary>The HTTP answer to a thrown refusal; null when <paramref name="e"/> is a fault (it propagates to the log).</summary>
    public static IResult? Refused(Exception e) => e switch
    {
        // The server's own answer to a body it would not read (too large, cut off): its status, not a refusal of ours.
        BadHttpRequestException bad => TypedResults.Problem(bad.Message, statusCode: bad.StatusCode),
        _ when !Refusal.IsRefusal(e) => null,
        RefusedException { Kind: OutcomeKind.Invalid } r => TypedResults.ValidationProblem(r.ProblemErrors()),
        RefusedException r => Problem(r),
        RateLimitedException limited => TooManyRequests(limited),
        InferenceQueueFullException => TypedResults.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The model is busy"),
        ArgumentException or InvalidDataException => TypedResults.ValidationProblem(new Dictionary<string, string[]> { [Field(e.Message)] = [e.Message] }),
        KeyNotFoundException => Problem(OutcomeKind.NotFound, e.Message),
        _ => TypedResults.Problem(e.Message, statusCode: StatusCodes.Status409Conflict, title: "Refused in this state"),
    };

    /// <summary>429 with Retry-After in whole seconds (at least 1): nothing was done; try again then.</summary>
    public static IResult TooManyRequests(RateLimitedException e) =>
        new RetryAfter(TypedResults.Problem(e.Message, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests"), e.RetryAfter);

    /// <summary>The field a message names in its prefix ("strengths: …", "perToken: …"), else the request as a whole.</summary>
    public static string Field(string message) =>
        message.IndexOf(':') is > 0 and var colon && message[..colon].All(c => char.IsLetter(c) || c == ' ') ? message[..colon] : "request";

    private sealed class RetryAfter(IResult inner, TimeSpan after) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.Headers.RetryAfter = LabellingApiServices.RetryAfterSeconds(after).ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(http);
        }
    }

    private static ProblemHttpResult Problem(OutcomeKind kind, string detail)
    {
        var (status, title) = kind switch
        {
            OutcomeKind.NotFound => (StatusCodes.Status404NotFound, "Not found"),
            OutcomeKind.Forbidden => (StatusCodes.Status403Forbidden, "Not allowed"),
            OutcomeKind.Conflict => (StatusCodes.Status409Conflict, "Edit conflict"),
            _ => (StatusCodes.Status400BadRequest, "Refused"),
        };
        return TypedResults.Problem(detail: detail, statusCode: status, title: title);
    }
}
