namespace SaeWorkbench.Research.Labelling.Services;

public enum LabellingOutcome
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

/// <summary>The answer of a labelling write or read. Refused writes changed nothing.</summary>
public sealed record LabellingResult<T>(LabellingOutcome Outcome, T? Value, ValidationResult Validation, EditConflict? Conflict = null)
{
    public bool Succeeded => Outcome == LabellingOutcome.Ok;

    public static LabellingResult<T> Ok(T value) => new(LabellingOutcome.Ok, value, ValidationResult.Valid);

    /// <summary>The same outcome with the value mapped (used to render views after the write's transaction, not inside it).</summary>
    public LabellingResult<TOut> Map<TOut>(Func<T, TOut> map) => new(Outcome, Succeeded ? map(Value!) : default, Validation, Conflict);

    public static LabellingResult<T> NotFound(string what) =>
        new(LabellingOutcome.NotFound, default, ValidationResult.Fail("id", $"{what} was not found."));

    /// <summary>A rule's refusal: Forbidden when the rule refused the role ("role" field), else Invalid.</summary>
    public static LabellingResult<T> Refused(ValidationResult validation) =>
        new(validation.Errors.ContainsKey("role") ? LabellingOutcome.Forbidden : LabellingOutcome.Invalid, default, validation);

    public static LabellingResult<T> Forbidden(Role role, LabellingAction action) =>
        new(LabellingOutcome.Forbidden, default, ValidationResult.Fail("role", Permissions.Refusal(role, action)));

    public static LabellingResult<T> Conflicted(EditConflict conflict) =>
        new(LabellingOutcome.Conflict, default, ValidationResult.Fail("baseVersion",
            $"Someone saved version {conflict.Current.Version} since you started from version {conflict.BaseVersion}; compare both and save again."), conflict);
}

/// <summary>The version now stored and what the editor tried to save; nothing was overwritten.</summary>
public sealed record EditConflict(int BaseVersion, VersionView Current, ProposedEdit Proposed);

public sealed record ProposedEdit(string Label, string Description, string DescriptionHtml, string? Tag, int Confidence);
