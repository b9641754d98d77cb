namespace SaeWorkbench.Research.Labelling;

/// <summary>
/// Everything a page, endpoint, hub method, job or command may be asked to do that not everyone may do. Each member has
/// one row in <see cref="Permissions"/>; the hosts register one authorization policy per member, named after it.
/// </summary>
public enum WorkbenchAction
{
    Read,
    // Labelling
    WriteInterpretation,
    /// <summary>Edit an interpretation; also needs <see cref="Permissions.CanEditInterpretation"/>.</summary>
    EditOwnInterpretation,
    Comment,
    Vote,
    Review,
    /// <summary>Soft-delete an interpretation or comment.</summary>
    Delete,
    LabelInQueue,
    RateDetection,
    /// <summary>See others' work on a latent in a blind scope before submitting one's own.</summary>
    SeeBlindedWork,
    ManageScopes,
    SuggestCarryOver,
    CarryOverAll,
    // Steering
    RunSteering,
    SaveComparison,
    ReviewComparison,
    // Export and import
    Export,
    ImportBundle,
    ImportDictionary,
    // Jobs
    QueueJob,
    /// <summary>Cancel a job someone else queued (owners always cancel their own, <see cref="Permissions.CanCancelJob"/>).</summary>
    CancelAnyJob,
    // Administration
    ManageUsers,
    ManageTaxonomy,
    ManageThresholds,
    BrowseAudit,
    /// <summary>Register and unregister model folders and choose their compute dtype.</summary>
    ManageModels,
    ManageExplanationProvider,
    /// <summary>Revoke another user's API token.</summary>
    ManageOthersTokens,
}

/// <summary>
/// The one table of who may do what (docs/architecture.md §9): each action's least role, and the words a refusal
/// uses. Viewer reads; Labeler writes interpretations, comments, votes, labels in the queue, rates detection, runs,
/// saves and reviews steering comparisons, imports dictionaries and queues jobs; Reviewer also reviews interpretations,
/// sees blinded work, manages scopes, suggests carry-overs and exports; Admin also deletes, imports bundles, carries
/// every label over, cancels anyone's job, and manages users, settings, the audit and the explanation provider.
/// Nobody edits someone else's interpretation, Admins included: an edit is attributed to its author, so changing
/// another's words would misattribute them (Admins may delete instead).
/// To add an action: a member in <see cref="WorkbenchAction"/> and a row here; then
/// <c>.RequirePermission(WorkbenchAction.X)</c> on its endpoint and <see cref="Require"/> (or <see cref="Can"/>) in its
/// service.
/// </summary>
public static class Permissions
{
    private sealed record Row(Role Least, string Doing);

    private static readonly IReadOnlyDictionary<WorkbenchAction, Row> Table = new Dictionary<WorkbenchAction, Row>
    {
        [WorkbenchAction.Read] = new(Role.Viewer, "read"),
        [WorkbenchAction.WriteInterpretation] = new(Role.Labeler, "write interpretations"),
        [WorkbenchAction.EditOwnInterpretation] = new(Role.Labeler, "edit interpretations"),
        [WorkbenchAction.Comment] = new(Role.Labeler, "comment"),
        [WorkbenchAction.Vote] = new(Role.Labeler, "vote"),
        [WorkbenchAction.Review] = new(Role.Reviewer, "review interpretations"),
        [WorkbenchAction.Delete] = new(Role.Admin, "delete"),
        [WorkbenchAction.LabelInQueue] = new(Role.Labeler, "label from the queue"),
        [WorkbenchAction.RateDetection] = new(Role.Labeler, "rate interpretations"),
        [WorkbenchAction.SeeBlindedWork] = new(Role.Reviewer, "see others' labels before submitting one"),
        [WorkbenchAction.ManageScopes] = new(Role.Reviewer, "create labelling scopes"),
        [WorkbenchAction.SuggestCarryOver] = new(Role.Reviewer, "suggest labels from another dictionary"),
        [WorkbenchAction.CarryOverAll] = new(Role.Admin, "carry every label over at once"),
        [WorkbenchAction.RunSteering] = new(Role.Labeler, "run steering comparisons"),
        [WorkbenchAction.SaveComparison] = new(Role.Labeler, "save steering comparisons"),
        [WorkbenchAction.ReviewComparison] = new(Role.Labeler, "review steering comparisons"),
        [WorkbenchAction.Export] = new(Role.Reviewer, "export or download bundles"),
        [WorkbenchAction.ImportBundle] = new(Role.Admin, "import bundles"),
        [WorkbenchAction.ImportDictionary] = new(Role.Labeler, "import dictionaries"),
        [WorkbenchAction.QueueJob] = new(Role.Labeler, "start jobs"),
        [WorkbenchAction.CancelAnyJob] = new(Role.Admin, "cancel someone else's job"),
        [WorkbenchAction.ManageUsers] = new(Role.Admin, "manage users"),
        [WorkbenchAction.ManageTaxonomy] = new(Role.Admin, "edit the taxonomy"),
        [WorkbenchAction.ManageThresholds] = new(Role.Admin, "change thresholds"),
        [WorkbenchAction.BrowseAudit] = new(Role.Admin, "browse the audit log"),
        [WorkbenchAction.ManageExplanationProvider] = new(Role.Admin, "change the explanation provider"),
        [WorkbenchAction.ManageOthersTokens] = new(Role.Admin, "manage other users' API tokens"),
        [WorkbenchAction.ManageModels] = new(Role.Admin, "register or unregister models"),
    };

    private static Row RowOf(WorkbenchAction action) =>
        Table.TryGetValue(action, out var row) ? row
            : throw new ArgumentOutOfRangeException(nameof(action), action, "This action has no row in the permission table; add one.");

    /// <summary>The least role that may do <paramref name="action"/>; every role above it may too.</summary>
    public static Role LeastRole(WorkbenchAction action) => RowOf(action).Least;

    public static bool Can(Role role, WorkbenchAction action) => role >= RowOf(action).Least;

    /// <summary>Throws the refusal (<see cref="Services.RefusedException"/>, Forbidden) when the role may not do the action.</summary>
    public static void Require(Role role, WorkbenchAction action)
    {
        if (!Can(role, action)) throw Services.RefusedException.Forbidden(role, action);
    }

    /// <summary>"Authors edit their own": the role may edit and the user wrote it.</summary>
    public static bool CanEditInterpretation(Role role, string userId, string authorId) =>
        Can(role, WorkbenchAction.EditOwnInterpretation) && string.Equals(userId, authorId, StringComparison.Ordinal);

    /// <summary>Owners cancel their own jobs; cancelling anyone's (system jobs included) is <see cref="WorkbenchAction.CancelAnyJob"/>.</summary>
    public static bool CanCancelJob(Role role, string? userId, string? ownerId) =>
        Can(role, WorkbenchAction.CancelAnyJob) || (userId is not null && string.Equals(userId, ownerId, StringComparison.Ordinal));

    /// <summary>
    /// Blind mode: in a blind scope a person sees others' interpretations, votes and
    /// consensus for a latent only after submitting their own; Reviewers and Admins always see them.
    /// </summary>
    public static bool CanSeeOthersWork(Role role, bool scopeIsBlind, bool hasSubmittedOwn) =>
        !scopeIsBlind || hasSubmittedOwn || Can(role, WorkbenchAction.SeeBlindedWork);

    /// <summary>The refusal message for an action the role lacks, for 403 bodies, hub answers and page messages.</summary>
    public static string Refusal(Role role, WorkbenchAction action) =>
        $"A {role} cannot {RowOf(action).Doing}; ask an Admin for a role that can.";
}
