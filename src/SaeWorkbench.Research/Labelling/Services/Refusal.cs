using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Limits;

namespace SaeWorkbench.Research.Labelling.Services;

/// <summary>
/// The one rule that tells a refused request from a fault (docs/architecture.md §9), used by the pages, the REST
/// endpoints and the hub alike. A refusal changed nothing and is answered with the service's words: the permission table
/// or a rule said no, or an input (job, import, model folder, bundle) failed validation (<see cref="RefusedException"/>
/// and the types deriving from it); a per-user budget is spent (<see cref="RateLimitedException"/>); the model's queue
/// is full (<see cref="InferenceQueueFullException"/>); or the input itself is bad (a prompt, a path, a file, an id that
/// does not exist, a state that forbids the request such as a model still in use). Anything else is a fault for the
/// error boundary and the log.
/// </summary>
public static class Refusal
{
    /// <summary>Whether <paramref name="e"/> is a refusal rather than a fault.</summary>
    public static bool IsRefusal(Exception e) => e is RefusedException or RateLimitedException or InferenceQueueFullException
        or ArgumentException or InvalidDataException or KeyNotFoundException or IOException
        // A state that forbids the request; a disposed object is a fault, not a state.
        or InvalidOperationException and not ObjectDisposedException;
}
