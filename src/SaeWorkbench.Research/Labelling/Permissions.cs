namespace SaeWorkbench.Research.Labelling;

/// <summary>Workspace roles, least to most trusted (docs/architecture.md §9).</summary>
public enum Role
{
    Viewer = 0,
    Labeler = 1,
    Reviewer = 2,
    Admin = 3,
}

/// <summary>Everything a labelling endpoint, hub method or page may be asked to do.</summary>
public enum LabellingAction
{
    Read,
    WriteInterpretation,
    /// <summary>Edit an interpretation; also needs <see cref="Permissions.CanEditInterpretation"/>.</summary>
    EditOwnInterpretation,
    Comment,
    Vote,
    Review,
    /// <summary>Soft-delete an interpretation or comment.</summary>
    Delete,
    ManageUsers,
    ManageTaxonomy,
    ManageThresholds,
    LabelInQueue,
    RateDetection,
    /// <summary>See others' work on a latent in a blind scope before submitting one's own.</summary>
    SeeBlindedWork,
    BrowseAudit,
    /// <summary>Register and unregister model folders and choose their compute dtype.</summary>
    ManageModels,
}

/// <summary>
/// The one table of who may do what. Viewer reads; Labeler writes interpretations,
/// comments, votes, labels in the queue and rates detection; Reviewer also reviews and sees blinded
/// work; Admin also deletes and manages users, taxonomy and thresholds, and browses the
/// audit. Nobody edits someone else's interpretation, Admins included: an edit is attributed to its
/// author, so changing another's words would misattribute them (Admins may delete instead).
/// </summary>
public static class Permissions
{
    public static bool Can(Role role, LabellingAction action) => action switch
    {
        LabellingAction.Read => true,
        LabellingAction.WriteInterpretation or LabellingAction.EditOwnInterpretation or LabellingAction.Comment
            or LabellingAction.Vote or LabellingAction.LabelInQueue or LabellingAction.RateDetection
            => role >= Role.Labeler,
        LabellingAction.Review or LabellingAction.SeeBlindedWork => role >= Role.Reviewer,
        LabellingAction.Delete or LabellingAction.ManageUsers or LabellingAction.ManageTaxonomy
            or LabellingAction.ManageThresholds or LabellingAction.BrowseAudit or LabellingAction.ManageModels
            => role == Role.Admin,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown labelling action."),
    };

    /// <summary>"Authors edit their own": the role may edit and the user wrote it.</summary>
    public static bool CanEditInterpretation(Role role, string userId, string authorId) =>
        Can(role, LabellingAction.EditOwnInterpretation) && string.Equals(userId, authorId, StringComparison.Ordinal);

    /// <summary>
    /// Blind mode: in a blind scope a person sees others' interpretations, votes and
    /// consensus for a latent only after submitting their own; Reviewers and Admins always see them.
    /// </summary>
    public static bool CanSeeOthersWork(Role role, bool scopeIsBlind, bool hasSubmittedOwn) =>
        !scopeIsBlind || hasSubmittedOwn || Can(role, LabellingAction.SeeBlindedWork);

    /// <summary>The refusal message for an action the role lacks, for 403 bodies and toasts.</summary>
    public static string Refusal(Role role, LabellingAction action) =>
        $"A {role} cannot {Describe(action)}; ask an Admin for a role that can.";

    private static string Describe(LabellingAction action) => action switch
    {
        LabellingAction.Read => "read",
        LabellingAction.WriteInterpretation => "write interpretations",
        LabellingAction.EditOwnInterpretation => "edit interpretations",
        LabellingAction.Comment => "comment",
        LabellingAction.Vote => "vote",
        LabellingAction.Review => "review interpretations",
        LabellingAction.Delete => "delete",
        LabellingAction.ManageUsers => "manage users",
        LabellingAction.ManageTaxonomy => "edit the taxonomy",
        LabellingAction.ManageThresholds => "change thresholds",
        LabellingAction.LabelInQueue => "label from the queue",
        LabellingAction.RateDetection => "rate interpretations",
        LabellingAction.SeeBlindedWork => "see others' labels before submitting one",
        LabellingAction.BrowseAudit => "browse the audit log",
        LabellingAction.ManageModels => "register or unregister models",
        _ => action.ToString(),
    };
}
