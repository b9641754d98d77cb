namespace SaeWorkbench.Research.Labelling;

/// <summary>The facts about an interpretation that decide whether it may be reviewed.</summary>
public sealed record ReviewTarget(string AuthorId, bool IsDeleted, ReviewStatus CurrentStatus);

/// <summary>
/// Reviewers accept or reject an interpretation with a reason. Decisions: a rejection
/// needs a reason (1–2,000 characters), an acceptance may have one; setting the status it already
/// has is refused (it would write a duplicate audit entry); a reviewer may send an interpretation
/// back to Pending; nobody reviews their own interpretation, Admins included (the same
/// conflict-of-interest rule as detection rating); deleted ones cannot be reviewed.
/// </summary>
public static class ReviewRules
{
    public const int MaxReasonLength = 2_000;

    public static ValidationResult CanReview(Role role, string reviewerId, ReviewTarget target, ReviewStatus decision, string? reason)
    {
        if (!Permissions.Can(role, WorkbenchAction.Review))
            return ValidationResult.Fail("role", Permissions.Refusal(role, WorkbenchAction.Review));
        if (target.IsDeleted)
            return ValidationResult.Fail("interpretation", "This interpretation was deleted; it can no longer be reviewed.");
        if (string.Equals(reviewerId, target.AuthorId, StringComparison.Ordinal))
            return ValidationResult.Fail("interpretation", "You cannot review your own interpretation; ask another reviewer.");
        if (decision == target.CurrentStatus)
            return ValidationResult.Fail("decision", $"This interpretation is already {decision.ToString().ToLowerInvariant()}.");

        var trimmed = reason?.Trim() ?? "";
        if (decision == ReviewStatus.Rejected && trimmed.Length == 0)
            return ValidationResult.Fail("reason", "Say why the interpretation is rejected, so its author can improve it.");
        if (trimmed.Length > MaxReasonLength)
            return ValidationResult.Fail("reason", $"The reason is {TextRules.Count(trimmed.Length)} characters; the limit is {TextRules.Count(MaxReasonLength)}.");
        return TextRules.FirstForbiddenInMultiline(trimmed) is { } bad
            ? ValidationResult.Fail("reason", $"The reason contains {bad}.")
            : ValidationResult.Valid;
    }
}
