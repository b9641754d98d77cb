using SaeWorkbench.Research.Crowd;

namespace SaeWorkbench.Research.Explanations;

/// <summary>
/// Parameters of the "explain" and "score" jobs. The latents: the whole dictionary, a saved feature-list filter
/// (<see cref="Filter"/>, the list page's query string) or an index list (<see cref="Indices"/>, e.g. "3, 7, 10-12");
/// "score" may name interpretations instead (<see cref="InterpretationIds"/>).
/// </summary>
public sealed record ExplanationJobRequest
{
    public long DictionaryId { get; init; }
    public string? Filter { get; init; }
    public string? Indices { get; init; }
    public long[]? InterpretationIds { get; init; }

    /// <summary>Score job: "detection", "fuzzing" (default both).</summary>
    public string[]? Scorers { get; init; }

    /// <summary>Score job: only interpretations written by people, only by models, or all (default).</summary>
    public string? Authors { get; init; }

    /// <summary>At most this many latents (after the filter).</summary>
    public int? MaxLatents { get; init; }

    /// <summary>Prompt + completion tokens this job may spend; default the provider setting.</summary>
    public long? TokenBudget { get; init; }

    /// <summary>
    /// Score job: score again what this model already scored (same prompt, same version) on a new sample with a new
    /// seed; the older scores stay in the interpretation's score history and the new one becomes current. Only what
    /// this job itself scored is skipped when it resumes.
    /// </summary>
    public bool Rescore { get; init; }

    public IReadOnlyList<string> Validate(bool scoring)
    {
        var errors = new List<string>();
        if (DictionaryId <= 0) errors.Add("dictionaryId: required");
        if (Filter is not null && Indices is not null) errors.Add("filter: give a filter or indices, not both");
        if (Indices is not null && !ScopeDefinitions.ParseIndices(Indices).IsValid) errors.Add($"indices: {ScopeDefinitions.ParseIndices(Indices).Validation.Errors.Values.First()}");
        if (!scoring && InterpretationIds is not null) errors.Add("interpretationIds: only the score job takes interpretations");
        if (!scoring && Scorers is not null) errors.Add("scorers: only the score job takes scorers");
        if (scoring && Scorers is { } s && (s.Length == 0 || s.Any(x => !Explanations.Scorers.All.Contains(x))))
            errors.Add($"scorers: use {string.Join(" and/or ", Explanations.Scorers.All)}");
        if (Authors is not null && Authors is not ("all" or "people" or "models")) errors.Add("authors: all, people or models");
        if (!scoring && Authors is not null) errors.Add("authors: only the score job takes authors");
        if (!scoring && Rescore) errors.Add("rescore: only the score job scores again");
        if (MaxLatents is < 1 or > 10_000_000) errors.Add("maxLatents: 1 to 10,000,000");
        if (TokenBudget is < 1_000 or > 10_000_000_000) errors.Add("tokenBudget: 1,000 to 10,000,000,000");
        return errors;
    }
}
