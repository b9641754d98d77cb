using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Jobs;

/// <summary>A job request that was refused before anything was written; <see cref="Errors"/> name the fields (under "job").</summary>
public sealed class JobValidationException(IReadOnlyList<string> errors) : RefusedException("job", errors, "; ")
{
    public IReadOnlyList<string> Errors => Messages;
}
