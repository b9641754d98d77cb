using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// The one translation of a service's <see cref="Outcome{T}"/> (or thrown <see cref="RefusedException"/>) into HTTP for the
/// REST API: Invalid → 400 with one message per field; NotFound → 404; Forbidden → 403; Conflict → 409; each with the
/// service's message.
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
