namespace SaeWorkbench.Research.Labelling;

/// <summary>One saved version of an interpretation (Every edit is a new version).</summary>
public sealed record InterpretationVersion(
    int Number,
    string Label,
    string Description,
    int Confidence,
    string? Tag,
    string EditedBy,
    DateTimeOffset EditedAt);

public enum EditOutcome
{
    /// <summary>Save <see cref="EditDecision.NewVersionNumber"/>.</summary>
    Applied,
    /// <summary>The proposal equals the current version: write nothing, audit nothing.</summary>
    Unchanged,
    /// <summary>Someone saved since the editor loaded the text: show both, overwrite nothing.</summary>
    Conflict,
}

/// <param name="Current">The version now stored (what the editor did not see, on a conflict).</param>
/// <param name="NewVersionNumber">Set when <see cref="Outcome"/> is Applied.</param>
public sealed record EditDecision(EditOutcome Outcome, InterpretationVersion Current, ValidInterpretation Proposed, int? NewVersionNumber);

/// <summary>
/// Optimistic concurrency: an edit names the version it was based on. If that is still
/// the current version the edit becomes the next version; if the text is identical to the current
/// one nothing is written (even from a stale base: nothing would be lost); otherwise it is a
/// conflict and the caller shows both versions. The database layer still guards the write with a
/// concurrency token, so two saves racing past this check cannot both be applied.
/// </summary>
public static class InterpretationEdits
{
    public static EditDecision Decide(InterpretationVersion current, int baseVersionNumber, ValidInterpretation proposed)
    {
        if (SameContent(current, proposed)) return new EditDecision(EditOutcome.Unchanged, current, proposed, null);
        return baseVersionNumber == current.Number
            ? new EditDecision(EditOutcome.Applied, current, proposed, current.Number + 1)
            : new EditDecision(EditOutcome.Conflict, current, proposed, null);
    }

    private static bool SameContent(InterpretationVersion current, ValidInterpretation proposed) =>
        current.Label == proposed.Label
        && current.Description == proposed.Description
        && current.Confidence == proposed.Confidence
        && current.Tag == proposed.Tag;
}
