using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Tests.Crowd;

namespace SaeWorkbench.Research.Tests.Explanations;

public sealed class MachineInterpretationsTests
{
    private static async Task<InterpretationView> MachineAsync(CrowdDatabase s, int latent, string label)
    {
        var model = await s.Get<ModelAccounts>().EnsureAsync("judge-8b");
        var created = await s.Labelling.CreateInterpretationAsync(model, s.Latents[latent], new InterpretationDraft(label, "", 3, null), "judge-8b", CancellationToken.None);
        Assert.True(created.Succeeded, created.Validation.ToString());
        return created.Value!;
    }

    [Fact]
    public async Task A_model_account_is_named_after_the_model_is_made_once_and_cannot_sign_in()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var first = await s.Get<ModelAccounts>().EnsureAsync("judge-8b");
        var again = await s.Get<ModelAccounts>().EnsureAsync("judge-8b");

        Assert.Equal(first, again);
        Assert.Equal(("judge-8b", Role.Labeler), (first.UserName, first.Role));
        Assert.True(ModelAccounts.IsModelAccount(first.UserId));
        await using var db = s.Db();
        var user = await db.Users.SingleAsync(u => u.Id == first.UserId);
        Assert.Null(user.PasswordHash);
        Assert.Equal(DateTimeOffset.MaxValue, user.LockoutEnd);
    }

    [Fact]
    public async Task Reviewers_accept_machine_explanations_and_the_workspace_setting_decides_whether_they_count_for_consensus()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var machine = await MachineAsync(s, 3, "Names of months.");
        Assert.True((await s.Labelling.ReviewAsync(s.Reviewer, machine.Id, ReviewStatus.Accepted, null)).Succeeded);
        var setting = s.Get<MachineConsensusSetting>();

        var counted = (await s.Labelling.GetLatentAsync(s.Reviewer, s.Latents[3])).Value!.Consensus;
        var refusedForLabeller = await setting.SetAsync(s.Labellers[0], false);
        Assert.True((await setting.SetAsync(new Actor("admin", "admin", Role.Admin), false)).Succeeded);
        var ignored = (await s.Labelling.GetLatentAsync(s.Reviewer, s.Latents[3])).Value!.Consensus;
        await setting.SetAsync(new Actor("admin", "admin", Role.Admin), true);
        var countedAgain = (await s.Labelling.GetLatentAsync(s.Reviewer, s.Latents[3])).Value!.Consensus;

        Assert.Equal(("Accepted", "Names of months."), (counted.Status, counted.Label));
        Assert.Equal(OutcomeKind.Forbidden, refusedForLabeller.Kind);
        Assert.Equal(("Unlabelled", null), (ignored.Status, ignored.Label));
        Assert.Equal(("Accepted", "Names of months."), (countedAgain.Status, countedAgain.Label));
        await using var db = s.Db();
        Assert.Equal(2, await db.AuditLog.CountAsync(a => a.Action == "settings.machine-consensus"));
    }

    [Fact]
    public async Task A_blind_scope_hides_machine_explanations_from_labellers_like_anyone_elses()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await s.ScopeAsync(blind: true, kind: "List", definition: "2");
        await MachineAsync(s, 2, "Calendar years.");

        var labeller = (await s.Labelling.GetLatentAsync(s.Labellers[0], s.Latents[2])).Value!;
        var reviewer = (await s.Labelling.GetLatentAsync(s.Reviewer, s.Latents[2])).Value!;

        Assert.Empty(labeller.Interpretations);
        Assert.Equal(InterpretationVisibility.HiddenStatus, labeller.Consensus.Status);
        Assert.Equal(["Calendar years."], reviewer.Interpretations.Select(i => i.Label));
    }
}
