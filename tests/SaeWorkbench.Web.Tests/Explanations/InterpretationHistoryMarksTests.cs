using Bunit;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Components.Explanations;
using SaeWorkbench.Web.Components.Labelling;
using SaeWorkbench.Web.Tests.Components;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Explanations;

/// <summary>The interpretation history (bUnit, the real host's services): the machine-made mark on the model's versions,
/// and the score history with the newest score current and the one it replaced superseded.</summary>
public sealed class InterpretationHistoryMarksTests : MudComponentTest
{
    [Fact]
    public async Task The_history_marks_a_models_versions_and_lists_a_superseded_score_under_the_current_one()
    {
        await using var harness = new LabellingHarness();
        await harness.UserAsync("admin", SaeWorkbench.Data.Accounts.WorkbenchRoles.Admin); // the first account is the Admin
        var ann = await harness.UserAsync("ann", SaeWorkbench.Data.Accounts.WorkbenchRoles.Labeler);
        var latent = await harness.SeedLatentAsync();
        var services = harness.Host.Services;
        var labelling = services.GetRequiredService<LabellingService>();
        var account = await services.GetRequiredService<ModelAccounts>().EnsureAsync("judge-7b");
        var machine = (await labelling.CreateInterpretationAsync(account, latent, new InterpretationDraft("Names of months.", "", 3, null), "judge-7b", CancellationToken.None)).Value!;
        var human = await LabellingHarness.CreateAsync(ann, latent, "Years in dates");
        await using (var db = harness.Db())
        {
            foreach (var seed in new long[] { 11, 22 })
                db.ExplanationScores.Add(new ExplanationScore
                {
                    InterpretationId = machine.Id, InterpretationVersion = 1, Scorer = Scorers.Detection, ModelName = "judge-7b",
                    PromptVersion = ClassifierPrompt.DetectionVersion, Seed = seed, Contexts = 20, BalancedAccuracy = seed == 11 ? 0.6 : 0.75,
                });
            await db.SaveChangesAsync();
        }
        Context.Services.AddSingleton(labelling);
        Context.Services.AddSingleton(services.GetRequiredService<ExplanationScoreReader>());
        var views = (await labelling.GetLatentAsync(new Actor(ann.Id, ann.Name, Role.Labeler), latent)).Value!.Interpretations.ToDictionary(i => i.Id);

        var machineHistory = Context.Render<InterpretationHistory>(p => p.Add(h => h.Interpretation, views[machine.Id]).Add(h => h.Taxonomy, Taxonomy.Default));
        var humanHistory = Context.Render<InterpretationHistory>(p => p.Add(h => h.Interpretation, views[human.Id]).Add(h => h.Taxonomy, Taxonomy.Default));

        machineHistory.WaitForAssertion(() => Assert.Equal(2, machineHistory.FindAll("[data-testid=score-history-row]").Count));
        var mark = Assert.Single(machineHistory.FindAll("[data-testid=version] [data-testid=machine-made]"));
        Assert.Equal("judge-7b", mark.GetAttribute("data-model"));
        Assert.Equal([("22", "true"), ("11", "false")], machineHistory.FindAll("[data-testid=score-history-row]")
            .Select(r => (r.GetAttribute("data-seed")!, r.GetAttribute("data-current")!)));
        Assert.Contains("superseded", machineHistory.FindAll("[data-testid=score-history-row]")[1].TextContent);
        humanHistory.WaitForAssertion(() => Assert.Single(humanHistory.FindAll("[data-testid=version]")));
        Assert.Empty(humanHistory.FindAll("[data-testid=machine-made]"));
        Assert.Empty(humanHistory.FindAll("[data-testid=score-history]"));

        // The mark itself: a model account's name, or nothing for a person.
        var byModel = Context.Render<MachineMark>(p => p.Add(m => m.AuthorId, account.UserId).Add(m => m.AuthorName, "judge-7b"));
        var byPerson = Context.Render<MachineMark>(p => p.Add(m => m.AuthorId, ann.Id).Add(m => m.AuthorName, "ann"));
        Assert.Equal("machine · judge-7b", byModel.Find("[data-testid=machine-made]").TextContent.Trim());
        Assert.Empty(byPerson.Markup.Trim());
    }

    [Fact]
    public async Task The_history_names_each_versions_editor_by_user_name_never_by_account_id()
    {
        await using var harness = new LabellingHarness();
        var admin = await harness.UserAsync("admin", SaeWorkbench.Data.Accounts.WorkbenchRoles.Admin);
        var ann = await harness.UserAsync("ann", SaeWorkbench.Data.Accounts.WorkbenchRoles.Labeler);
        var latent = await harness.SeedLatentAsync();
        var interpretation = await LabellingHarness.CreateAsync(ann, latent, "Years in dates");
        // The schema lets another account than the author save a version (an imported history, an account merged
        // later); no write path of ours does it today, so the row is written here as such a history would be.
        await using (var db = harness.Db())
        {
            db.InterpretationVersions.Add(new SaeWorkbench.Data.Labelling.InterpretationVersion
            {
                InterpretationId = interpretation.Id, Version = 2, Label = "Years in dates and ages", EditedById = admin.Id, Confidence = 4,
            });
            var row = await db.Interpretations.FindAsync(interpretation.Id);
            row!.Version = 2;
            row.Label = "Years in dates and ages";
            await db.SaveChangesAsync();
        }
        var services = harness.Host.Services;
        var labelling = services.GetRequiredService<LabellingService>();
        Context.Services.AddSingleton(labelling);
        Context.Services.AddSingleton(services.GetRequiredService<ExplanationScoreReader>());
        var view = Assert.Single((await labelling.GetLatentAsync(new Actor(ann.Id, ann.Name, Role.Labeler), latent)).Value!.Interpretations);

        var history = Context.Render<InterpretationHistory>(p => p.Add(h => h.Interpretation, view).Add(h => h.Taxonomy, Taxonomy.Default));

        history.WaitForAssertion(() => Assert.Equal(2, history.FindAll("[data-testid=version]").Count));
        Assert.Equal(["admin", "ann"], history.FindAll("[data-testid=version-editor]").Select(e => e.TextContent));
        Assert.DoesNotContain(admin.Id, history.Markup);
        Assert.DoesNotContain(ann.Id, history.Markup);
    }
}
