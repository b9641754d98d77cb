using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Models;

namespace SaeWorkbench.Web.Components.Shared;

/// <summary>
/// The one place where pages turn a refusal into words; which exceptions are refusals is <see cref="Refusal.IsRefusal"/>,
/// the rule the endpoints and the hub share (docs/architecture.md §9). A fault is not caught here and reaches the error
/// boundary and the log. Pages catch with <c>catch (Exception e) when (Refusals.Message(e) is { } message)</c>.
/// </summary>
public static class Refusals
{
    /// <summary>Whether <paramref name="e"/> is a refusal a page shows rather than a fault.</summary>
    public static bool IsRefusal(Exception e) => Refusal.IsRefusal(e);

    /// <summary>The refusal's messages, one per field or reason; null when <paramref name="e"/> is a fault.</summary>
    public static IReadOnlyList<string>? Of(Exception e) => !IsRefusal(e) ? null : e switch
    {
        // Input refusals keep one message per reason; a plain refusal (and everything else) is its one message.
        JobValidationException or ImportValidationException or ModelRegistrationException => ((RefusedException)e).Messages,
        _ => [e.Message],
    };

    /// <summary>The refusal in one line (its exception's message); null when <paramref name="e"/> is a fault.</summary>
    public static string? Message(Exception e) => IsRefusal(e) ? e.Message : null;
}
