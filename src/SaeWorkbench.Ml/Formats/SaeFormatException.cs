namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// A published dictionary that is refused: the message names the file and the field (or tensor) and says why, so a
/// person can fix the folder or convert it. An <see cref="IOException"/>, as other unreadable files are, so callers that already
/// report those keep working.
/// </summary>
public sealed class SaeFormatException(string file, string field, string problem)
    : IOException($"{file}: {field}: {problem}")
{
    public string FilePath { get; } = file;
    public string Field { get; } = field;
    public string Problem { get; } = problem;
}
