using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Export;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Limits;
using SaeWorkbench.Research.Models;

namespace SaeWorkbench.Web.Components.Shared;

/// <summary>
/// The one place where pages tell a refused request from a fault (docs/architecture.md §9). A refusal — the permission
/// table or a rule said no (<see cref="RefusedException"/>, the refusal of a service that returns something else than an
/// <see cref="Outcome{T}"/>), a job, import or model registration failed validation, a per-user budget is spent, the
/// model's queue is full, or the input itself is bad (a prompt, a path, a file, an id that does not exist, a state that
/// forbids the request such as a model still in use) — changed nothing and is shown as the service's words. Anything
/// else is a fault: it is not caught here and reaches the error boundary and the log.
/// Pages catch with <c>catch (Exception e) when (Refusals.Message(e) is { } message)</c>.
/// </summary>
public static class Refusals
{
    /// <summary>Whether <paramref name="e"/> is a refusal a page shows rather than a fault.</summary>
    public static bool IsRefusal(Exception e) => e is RefusedException or JobValidationException or ImportValidationException
        or ModelRegistrationException or RateLimitedException or InferenceQueueFullException or BundleException
        or ArgumentException or InvalidDataException or KeyNotFoundException or IOException
        // A state that forbids the request; a disposed object is a fault, not a state.
        or InvalidOperationException and not ObjectDisposedException;

    /// <summary>The refusal's messages, one per field or reason; null when <paramref name="e"/> is a fault.</summary>
    public static IReadOnlyList<string>? Of(Exception e) => !IsRefusal(e) ? null : e switch
    {
        JobValidationException j => j.Errors,
        ImportValidationException i => i.Errors,
        ModelRegistrationException m => m.Problems,
        _ => [e.Message],
    };

    /// <summary>The refusal in one line (its exception's message); null when <paramref name="e"/> is a fault.</summary>
    public static string? Message(Exception e) => IsRefusal(e) ? e.Message : null;
}
