namespace SaeWorkbench.Research.Labelling.Services;

/// <summary>How a request ended: done, or why it was refused. Refused requests changed nothing.</summary>
public enum OutcomeKind
{
    Ok,
    NotFound,
    /// <summary>The caller's role may not do this (403).</summary>
    Forbidden,
    /// <summary>A rule refused the request (400, one message per field).</summary>
    Invalid,
    /// <summary>An edit based on a version that is no longer current (409, both versions).</summary>
    Conflict,
}

/// <summary>
/// The one answer of a service call that can be refused (docs/architecture.md §9): the value, or the refusal's kind and one
/// message per field. Pages, endpoints and hub methods each translate it in one place; code that cannot return it
/// (a job, a generation stream) throws the same refusal as <see cref="RefusedException"/>.
/// </summary>
public sealed record Outcome<T>(OutcomeKind Kind, T? Value, ValidationResult Validation, EditConflict? Conflict = null)
{
    public bool Succeeded => Kind == OutcomeKind.Ok;

    /// <summary>The refusal's messages in one line, for a page or a log.</summary>
    public string Message => string.Join(" ", Validation.Errors.Values);

    public static Outcome<T> Ok(T value) => new(OutcomeKind.Ok, value, ValidationResult.Valid);

    /// <summary>The same outcome with the value mapped (used to render views after the write's transaction, not inside it).</summary>
    public Outcome<TOut> Map<TOut>(Func<T, TOut> map) => new(Kind, Succeeded ? map(Value!) : default, Validation, Conflict);

    public static Outcome<T> NotFound(string what) =>
        new(OutcomeKind.NotFound, default, ValidationResult.Fail("id", $"{what} was not found."));

    /// <summary>A rule's refusal: Forbidden when the rule refused the role ("role" field), else Invalid.</summary>
    public static Outcome<T> Refused(ValidationResult validation) =>
        new(validation.Errors.ContainsKey("role") ? OutcomeKind.Forbidden : OutcomeKind.Invalid, default, validation);

    public static Outcome<T> Forbidden(Role role, WorkbenchAction action) =>
        new(OutcomeKind.Forbidden, default, ValidationResult.Fail("role", Permissions.Refusal(role, action)));

    public static Outcome<T> Conflicted(EditConflict conflict) =>
        new(OutcomeKind.Conflict, default, ValidationResult.Fail("baseVersion",
            $"Someone saved version {conflict.Current.Version} since you started from version {conflict.BaseVersion}; compare both and save again."), conflict);

    /// <summary>A thrown refusal as an answer.</summary>
    public static Outcome<T> From(RefusedException refused) => new(refused.Kind, default, refused.Validation);
}

/// <summary>
/// A refusal (<see cref="Outcome{T}"/>'s kinds and messages) thrown by code that returns something else: jobs, streams of
/// generated tokens, commands. Its message is the refusal's messages. The input refusals of jobs, imports, model folders
/// and bundles derive from it (<see cref="RefusedException(string, IReadOnlyList{string}, string, Exception?)"/>), so a
/// page, an endpoint or a hub method translates every refusal the same way (docs/architecture.md §9).
/// </summary>
public class RefusedException : Exception
{
    private readonly string? _field;

    public RefusedException(OutcomeKind kind, ValidationResult validation) : base(string.Join(" ", validation.Errors.Values))
    {
        Kind = kind;
        Validation = validation;
        Messages = [.. validation.Errors.Values];
    }

    /// <summary>An invalid input with several messages under one field; <paramref name="separator"/> joins them into the message.</summary>
    protected RefusedException(string field, IReadOnlyList<string> messages, string separator, Exception? inner = null)
        : base(string.Join(separator, messages), inner)
    {
        _field = field;
        Kind = OutcomeKind.Invalid;
        Messages = messages;
        Validation = ValidationResult.Fail(field, string.Join(separator, messages));
    }

    public OutcomeKind Kind { get; }

    public ValidationResult Validation { get; }

    /// <summary>Every message, one per reason.</summary>
    public IReadOnlyList<string> Messages { get; }

    /// <summary>The messages by field for a validation problem (several under one field where the refusal has them).</summary>
    public Dictionary<string, string[]> ProblemErrors() =>
        _field is null ? Validation.ToProblemErrors() : new Dictionary<string, string[]> { [_field] = [.. Messages] };

    public static RefusedException Forbidden(Role role, WorkbenchAction action) =>
        new(OutcomeKind.Forbidden, ValidationResult.Fail("role", Permissions.Refusal(role, action)));
}

/// <summary>The version now stored and what the editor tried to save; nothing was overwritten.</summary>
public sealed record EditConflict(int BaseVersion, VersionView Current, ProposedEdit Proposed);

public sealed record ProposedEdit(string Label, string Description, string DescriptionHtml, string? Tag, int Confidence);
