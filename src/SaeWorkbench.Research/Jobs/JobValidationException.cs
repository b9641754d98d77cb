namespace SaeWorkbench.Research.Jobs;

/// <summary>A job request that was refused before anything was written; <see cref="Errors"/> name the fields.</summary>
public sealed class JobValidationException(IReadOnlyList<string> errors)
    : Exception(string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
