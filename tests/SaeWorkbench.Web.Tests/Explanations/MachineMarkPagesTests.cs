using System.Net;
using System.Net.Http.Json;
using AngleSharp.Dom;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Explanations;

/// <summary>
/// The machine-made mark wherever an interpretation's author is shown, on the pages as the server renders them: the
/// reviewer queue, the latent page's interpretations and its consensus label; never on a person's work, and hidden
/// with everything else in a blind scope.
/// </summary>
public sealed class MachineMarkPagesTests
{
    private const string Model = "judge-7b";

    private static IDocument Parse(string html) => new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);

    [Fact]
    public async Task Each_place_that_shows_an_author_marks_the_models_interpretation_and_not_the_persons()
    {
        await using var harness = new LabellingHarness();
        await harness.UserAsync("admin", SaeWorkbench.Data.Accounts.WorkbenchRoles.Admin); // the first account is the Admin
        var rita = await harness.UserAsync("rita", SaeWorkbench.Data.Accounts.WorkbenchRoles.Reviewer);
        var ann = await harness.UserAsync("ann", SaeWorkbench.Data.Accounts.WorkbenchRoles.Labeler);
        var ben = await harness.UserAsync("ben", SaeWorkbench.Data.Accounts.WorkbenchRoles.Labeler);
        var (dictionaryId, latents) = await harness.SeedLatentsAsync(2);
        var (byModel, byPerson) = (latents[0], latents[1]);
        int[] indices;
        await using (var db = harness.Db())
            indices = await db.Latents.Where(l => latents.Contains(l.Id)).OrderBy(l => l.Id).Select(l => l.Index).ToArrayAsync();

        var services = harness.Host.Services;
        var labelling = services.GetRequiredService<LabellingService>();
        var account = await services.GetRequiredService<ModelAccounts>().EnsureAsync(Model);
        var machine = await labelling.CreateInterpretationAsync(account, byModel, new InterpretationDraft("Names of months.", "", 3, null), Model, CancellationToken.None);
        Assert.True(machine.Succeeded, machine.Validation.ToString());
        var human = await LabellingHarness.CreateAsync(ann, byPerson, "Years in dates");
        var scope = await rita.Client.PostAsJsonAsync("/api/scopes",
            new { dictionaryId, name = "marks", kind = "List", definition = string.Join(",", indices), isBlind = true, labelsPerLatent = 1, claimMinutes = 15 });
        Assert.Equal(HttpStatusCode.Created, scope.StatusCode);
        var scopeId = (await scope.Content.ReadFromJsonAsync<ScopeView>())!.Id;

        // The reviewer queue: the model's interpretation carries the mark with the model's name, the person's does not.
        var queue = Parse(await rita.Client.GetStringAsync($"/labelling/scopes/{scopeId}/reviews"));
        var items = queue.QuerySelectorAll("[data-testid=review-item]").ToDictionary(e => long.Parse(e.GetAttribute("data-interpretation")!));
        Assert.Equal(2, items.Count);
        var mark = Assert.Single(items[machine.Value!.Id].QuerySelectorAll("[data-testid=machine-made]"));
        Assert.Equal((Model, $"Machine-made, written by the language model {Model}"), (mark.GetAttribute("data-model"), mark.GetAttribute("aria-label")));
        Assert.Empty(items[human.Id].QuerySelectorAll("[data-testid=machine-made]"));

        // Accepted, each becomes its latent's consensus: the latent page marks the model's in its panel and its header.
        var reviewer = new Actor(rita.Id, rita.Name, Role.Reviewer);
        Assert.True((await labelling.ReviewAsync(reviewer, machine.Value.Id, ReviewStatus.Accepted, null)).Succeeded);
        Assert.True((await labelling.ReviewAsync(reviewer, human.Id, ReviewStatus.Accepted, null)).Succeeded);
        var modelPage = Parse(await rita.Client.GetStringAsync($"/dictionaries/{dictionaryId}/features/{indices[0]}"));
        var personPage = Parse(await rita.Client.GetStringAsync($"/dictionaries/{dictionaryId}/features/{indices[1]}"));

        Assert.Contains("Names of months.", modelPage.QuerySelector("[data-testid=feature-title]")!.TextContent);
        var panelMarks = modelPage.QuerySelectorAll("[data-testid=labelling-panel] [data-testid=machine-made]");
        var headerMarks = modelPage.QuerySelectorAll("[data-testid=machine-made]").Except(panelMarks).ToList();
        Assert.Equal(Model, Assert.Single(panelMarks).GetAttribute("data-model"));
        Assert.Equal(Model, Assert.Single(headerMarks).GetAttribute("data-model"));
        Assert.Contains("Years in dates", personPage.QuerySelector("[data-testid=feature-title]")!.TextContent);
        Assert.Empty(personPage.QuerySelectorAll("[data-testid=machine-made]"));

        // The scope is blind: a labeller who has not written there sees neither the model's work nor its mark.
        var benPage = await ben.Client.GetStringAsync($"/dictionaries/{dictionaryId}/features/{indices[0]}");
        Assert.DoesNotContain("Names of months.", benPage);
        Assert.Empty(Parse(benPage).QuerySelectorAll("[data-testid=machine-made]"));
    }
}
