using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

public class PermissionsTests
{
    // The whole table, written out so that any change to a role's rights fails a test.
    // Columns: Viewer, Labeler, Reviewer, Admin.
    public static TheoryData<LabellingAction, bool, bool, bool, bool> Table => new()
    {
        { LabellingAction.Read, true, true, true, true },
        { LabellingAction.WriteInterpretation, false, true, true, true },
        { LabellingAction.EditOwnInterpretation, false, true, true, true },
        { LabellingAction.Comment, false, true, true, true },
        { LabellingAction.Vote, false, true, true, true },
        { LabellingAction.LabelInQueue, false, true, true, true },
        { LabellingAction.RateDetection, false, true, true, true },
        { LabellingAction.Review, false, false, true, true },
        { LabellingAction.SeeBlindedWork, false, false, true, true },
        { LabellingAction.Delete, false, false, false, true },
        { LabellingAction.ManageUsers, false, false, false, true },
        { LabellingAction.ManageTaxonomy, false, false, false, true },
        { LabellingAction.ManageThresholds, false, false, false, true },
        { LabellingAction.BrowseAudit, false, false, false, true },
        { LabellingAction.ManageModels, false, false, false, true },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_role_can_do_exactly_what_the_table_says(LabellingAction action, bool viewer, bool labeler, bool reviewer, bool admin)
    {
        Assert.Equal(
            [viewer, labeler, reviewer, admin],
            new[] { Role.Viewer, Role.Labeler, Role.Reviewer, Role.Admin }.Select(r => Permissions.Can(r, action)).ToArray());
    }

    [Fact]
    public void The_table_covers_every_action() =>
        Assert.Equal(Enum.GetValues<LabellingAction>().Length, Table.Count);

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
        Assert.Equal("A Labeler cannot review interpretations; ask an Admin for a role that can.", Permissions.Refusal(Role.Labeler, LabellingAction.Review));

    [Fact]
    public void An_unknown_action_is_an_error_not_a_silent_yes() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Permissions.Can(Role.Admin, (LabellingAction)999));
}
