namespace SaeWorkbench.Research.Labelling;

/// <summary>
/// The outcome of a labelling rule: valid, or one clear message per offending field.
/// Field names are the camelCase names the API and the forms use ("label", "confidence", ...).
/// </summary>
public sealed class ValidationResult
{
    public static readonly ValidationResult Valid = new(new Dictionary<string, string>());

    private readonly Dictionary<string, string> _errors;

    private ValidationResult(Dictionary<string, string> errors) => _errors = errors;

    /// <summary>Field → message. Empty when valid.</summary>
    public IReadOnlyDictionary<string, string> Errors => _errors;

    public bool IsValid => _errors.Count == 0;

    public static ValidationResult Fail(string field, string message) =>
        new(new Dictionary<string, string>(StringComparer.Ordinal) { [field] = message });

    /// <summary>Both sets of errors; where both name a field, this result's message is kept.</summary>
    public ValidationResult And(ValidationResult other)
    {
        if (other.IsValid) return this;
        if (IsValid) return other;
        var merged = new Dictionary<string, string>(_errors, StringComparer.Ordinal);
        foreach (var (field, message) in other._errors) merged.TryAdd(field, message);
        return new ValidationResult(merged);
    }

    /// <summary>The shape <c>Results.ValidationProblem</c> and <c>ModelStateDictionary</c> take.</summary>
    public Dictionary<string, string[]> ToProblemErrors() =>
        _errors.ToDictionary(e => e.Key, e => new[] { e.Value }, StringComparer.Ordinal);

    public override string ToString() =>
        IsValid ? "valid" : string.Join("; ", _errors.Select(e => $"{e.Key}: {e.Value}"));
}

/// <summary>A value that passed its rule, or the reasons it did not.</summary>
public sealed record Validated<T>(T? Value, ValidationResult Validation) where T : class
{
    public bool IsValid => Validation.IsValid;

    public static Validated<T> Ok(T value) => new(value, ValidationResult.Valid);

    public static Validated<T> Fail(string field, string message) => new(null, ValidationResult.Fail(field, message));
}
