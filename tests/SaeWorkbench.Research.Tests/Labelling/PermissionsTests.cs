using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Tests.Labelling;

public class PermissionsTests
{
    // The whole table, written out so that any change to a role's rights fails a test.
    // Columns: Viewer, Labeler, Reviewer, Admin.
    public static TheoryData<WorkbenchAction, bool, bool, bool, bool> Table => new()
    {
        { WorkbenchAction.Read, true, true, true, true },
        { WorkbenchAction.WriteInterpretation, false, true, true, true },
        { WorkbenchAction.EditOwnInterpretation, false, true, true, true },
        { WorkbenchAction.Comment, false, true, true, true },
        { WorkbenchAction.Vote, false, true, true, true },
        { WorkbenchAction.LabelInQueue, false, true, true, true },
        { WorkbenchAction.RateDetection, false, true, true, true },
        { WorkbenchAction.Review, false, false, true, true },
        { WorkbenchAction.SeeBlindedWork, false, false, true, true },
        { WorkbenchAction.Delete, false, false, false, true },
        { WorkbenchAction.ManageUsers, false, false, false, true },
        { WorkbenchAction.ManageTaxonomy, false, false, false, true },
        { WorkbenchAction.ManageThresholds, false, false, false, true },
        { WorkbenchAction.BrowseAudit, false, false, false, true },
        { WorkbenchAction.ManageScopes, false, false, true, true },
        { WorkbenchAction.SuggestCarryOver, false, false, true, true },
        { WorkbenchAction.CarryOverAll, false, false, false, true },
        { WorkbenchAction.RunSteering, false, true, true, true },
        { WorkbenchAction.SaveComparison, false, true, true, true },
        { WorkbenchAction.ReviewComparison, false, true, true, true },
        { WorkbenchAction.Export, false, false, true, true },
        { WorkbenchAction.ImportBundle, false, false, false, true },
        { WorkbenchAction.ImportDictionary, false, true, true, true },
        { WorkbenchAction.QueueJob, false, true, true, true },
        { WorkbenchAction.CancelAnyJob, false, false, false, true },
        { WorkbenchAction.ManageExplanationProvider, false, false, false, true },
        { WorkbenchAction.ManageOthersTokens, false, false, false, true },
        { WorkbenchAction.ManageModels, false, false, false, true },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_role_can_do_exactly_what_the_table_says(WorkbenchAction action, bool viewer, bool labeler, bool reviewer, bool admin)
    {
        Assert.Equal(
            [viewer, labeler, reviewer, admin],
            new[] { Role.Viewer, Role.Labeler, Role.Reviewer, Role.Admin }.Select(r => Permissions.Can(r, action)).ToArray());
    }

    [Fact]
    public void The_table_covers_every_action() =>
        Assert.Equal(Enum.GetValues<WorkbenchAction>().Length, Table.Count);

    [Fact]
    public void Authors_edit_their_own_interpretation()
    {
        Assert.True(Permissions.CanEditInterpretation(Role.Labeler, "ann", "ann"));
    }

    [Fact]
    public void Nobody_edits_someone_elses_interpretation_not_even_an_admin()
    {
        Assert.False(Permissions.CanEditInterpretation(Role.Labeler, "bob", "ann"));
        Assert.False(Permissions.CanEditInterpretation(Role.Admin, "root", "ann"));
    }

    [Fact]
    public void A_viewer_cannot_edit_even_what_they_once_wrote()
    {
        // A Labeler demoted to Viewer keeps authorship but loses the right to write.
        Assert.False(Permissions.CanEditInterpretation(Role.Viewer, "ann", "ann"));
    }

    [Fact]
    public void Blind_scopes_hide_others_work_from_labelers_until_they_submit()
    {
        Assert.False(Permissions.CanSeeOthersWork(Role.Labeler, scopeIsBlind: true, hasSubmittedOwn: false));
        Assert.True(Permissions.CanSeeOthersWork(Role.Labeler, scopeIsBlind: true, hasSubmittedOwn: true));
        Assert.True(Permissions.CanSeeOthersWork(Role.Labeler, scopeIsBlind: false, hasSubmittedOwn: false));
        Assert.True(Permissions.CanSeeOthersWork(Role.Reviewer, scopeIsBlind: true, hasSubmittedOwn: false));
        Assert.False(Permissions.CanSeeOthersWork(Role.Viewer, scopeIsBlind: true, hasSubmittedOwn: false));
    }

    [Fact]
    public void Refusals_name_the_role_and_the_action() =>
        Assert.Equal("A Labeler cannot review interpretations; ask an Admin for a role that can.", Permissions.Refusal(Role.Labeler, WorkbenchAction.Review));

    [Fact]
    public void An_unknown_action_is_an_error_not_a_silent_yes() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Permissions.Can(Role.Admin, (WorkbenchAction)999));

    [Fact]
    public void Owners_cancel_their_own_jobs_and_only_admins_cancel_anyones()
    {
        Assert.True(Permissions.CanCancelJob(Role.Labeler, "ann", ownerId: "ann"));
        Assert.False(Permissions.CanCancelJob(Role.Reviewer, "bob", ownerId: "ann"));
        Assert.False(Permissions.CanCancelJob(Role.Reviewer, "bob", ownerId: null));
        Assert.True(Permissions.CanCancelJob(Role.Admin, "root", ownerId: null));
        Assert.False(Permissions.CanCancelJob(Role.Viewer, null, ownerId: null));
    }

    [Fact]
    public void Require_throws_the_tables_refusal_as_a_forbidden_outcome()
    {
        Permissions.Require(Role.Reviewer, WorkbenchAction.Export);
        var refused = Assert.Throws<RefusedException>(() => Permissions.Require(Role.Labeler, WorkbenchAction.Export));
        Assert.Equal(OutcomeKind.Forbidden, refused.Kind);
        Assert.Equal("A Labeler cannot export or download bundles; ask an Admin for a role that can.", refused.Message);
        Assert.Equal(OutcomeKind.Forbidden, Outcome<int>.From(refused).Kind);
    }

    [Fact]
    public void Identity_role_names_are_the_role_members_names()
    {
        Assert.Equal(["Admin", "Reviewer", "Labeler", "Viewer"], WorkbenchRoles.All);
        Assert.Equal(Role.Reviewer, WorkbenchRoles.Highest([WorkbenchRoles.Labeler, WorkbenchRoles.Reviewer]));
        Assert.Equal(Role.Viewer, WorkbenchRoles.Highest(["Unknown", "admin", "3"]));
        Assert.Equal(["Reviewer", "Admin"], WorkbenchRoles.AtLeast(Role.Reviewer));
    }
}
