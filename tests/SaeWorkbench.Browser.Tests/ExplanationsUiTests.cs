using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Models;
using SaeWorkbench.Tests.Shared;

namespace SaeWorkbench.Browser.Tests;

/// <summary>
/// Machine explanations in the browser: the Admin picks the local explainer from the registered models (a model without
/// a chat template is listed, disabled, with the reason), and the machine-made mark shows in the latent's panel, its
/// history (with the score history) and the reviewer queue.
/// </summary>
public sealed class ExplanationsUiTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const string Model = "tiny-judge";

    private async Task<(long DictionaryId, long ScopeId)> ArrangeAsync()
    {
        await using var scope = host.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var accounts = services.GetRequiredService<AccountService>();
        var (ada, _) = await accounts.RegisterAsync("ada", "lovelace1815");       // the first account is the Admin
        var (rita, _) = await accounts.RegisterAsync("rita", "reviewer1815");
        Assert.Empty(await accounts.SetRoleAsync(rita!.Id, WorkbenchRoles.Reviewer));
        var (ann, _) = await accounts.RegisterAsync("ann", "labeller1815");
        var admin = new Actor(ada!.Id, "ada", Role.Admin);

        var data = services.GetRequiredService<SaeWorkbench.Research.Settings.WorkbenchPaths>().DataDirectory;
        var judge = TinyInstructModel.Create(Path.Combine(data, "models", Model), new TinyInstructShape(Context: 4096));
        var plain = Directory.CreateDirectory(Path.Combine(data, "models", "base-model")).FullName;
        foreach (var file in new[] { "config.json", "tokenizer.json", "model.safetensors" }) File.Copy(Path.Combine(judge, file), Path.Combine(plain, file));
        var registry = services.GetRequiredService<ModelRegistry>();
        await registry.RegisterAsync(new ModelRegistration(judge), admin);
        await registry.RegisterAsync(new ModelRegistration(plain), admin);

        var factory = services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        long dictionaryId, latent0, latent1;
        await using (var ctx = await factory.CreateDbContextAsync())
        {
            var d = new SaeDictionary { Name = "explained", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 2, SaePath = "/none" };
            ctx.Dictionaries.Add(d);
            await ctx.SaveChangesAsync();
            var latents = Enumerable.Range(0, 2).Select(i => new Latent { DictionaryId = d.Id, Index = i, Density = 0.01 * (i + 1) }).ToList();
            ctx.Latents.AddRange(latents);
            await ctx.SaveChangesAsync();
            (dictionaryId, latent0, latent1) = (d.Id, latents[0].Id, latents[1].Id);
        }
        var labelling = services.GetRequiredService<LabellingService>();
        var account = await services.GetRequiredService<ModelAccounts>().EnsureAsync(Model);
        var machine = await labelling.CreateInterpretationAsync(account, latent0,
            new InterpretationDraft("Names of months.", $"Machine explanation by `{Model}` (prompt {ExplainerPrompt.Version}).", 3, null));
        Assert.True(machine.Succeeded, machine.Validation.ToString());
        await using (var ctx = await factory.CreateDbContextAsync())
        {
            // What the explain job records with a machine explanation (its writer is internal to the Research assembly).
            await ctx.Interpretations.Where(i => i.Id == machine.Value!.Id).ExecuteUpdateAsync(u => u.SetProperty(i => i.ExplanationModelName, Model));
        }
        var human = await labelling.CreateInterpretationAsync(new Actor(ann!.Id, "ann", Role.Labeler), latent1, new InterpretationDraft("Years in dates.", "", 4, null));
        Assert.True(human.Succeeded, human.Validation.ToString());
        await using (var ctx = await factory.CreateDbContextAsync())
        {
            // A score and the one that replaced it ("score again anyway"): the history lists both.
            foreach (var (seed, accuracy) in new[] { (11L, 0.6), (22L, 0.75) })
                ctx.ExplanationScores.Add(new ExplanationScore
                {
                    InterpretationId = machine.Value!.Id, InterpretationVersion = 1, Scorer = Scorers.Detection, ModelName = Model,
                    PromptVersion = ClassifierPrompt.DetectionVersion, Seed = seed, Contexts = 20, BalancedAccuracy = accuracy,
                    CreatedAt = DateTimeOffset.UtcNow.AddMinutes(seed - 30),
                });
            await ctx.SaveChangesAsync();
        }
        var scopeView = await services.GetRequiredService<LabellingQueueService>().CreateScopeAsync(admin,
            new ScopeRequest(dictionaryId, "months and years", "List", "0,1", IsBlind: false));
        Assert.True(scopeView.Succeeded, scopeView.Validation.ToString());
        return (dictionaryId, scopeView.Value!.Id);
    }

    private static async Task LoginAsync(IPage page, string user, string password)
    {
        await page.GotoAsync("account/login");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("[data-testid=login-submit]");
        await page.Locator($"[data-testid=presence] [data-user='{user}']").WaitForAsync();
    }

    private static async Task BothThemesAsync(IPage page, string name)
    {
        await BrowserHost.ScreenshotAsync(page, name);
        await BrowserHost.ToggleThemeAsync(page);
        await BrowserHost.ScreenshotAsync(page, name + "-dark");
        await BrowserHost.ToggleThemeAsync(page);
    }

    [Fact]
    public async Task The_admin_picks_the_explainer_from_registered_models_and_machine_work_is_marked_in_the_panel_history_and_reviewer_queue()
    {
        var (dictionaryId, scopeId) = await ArrangeAsync();

        // The Admin's picker: the instruct model can be picked; the base model is listed, disabled, with the reason.
        var admin = await host.NewPageAsync();
        await LoginAsync(admin, "ada", "lovelace1815");
        await admin.GotoAsync("admin/explanations");
        await BrowserHost.WaitInteractiveAsync(admin);
        await admin.GetByText("Local model", new() { Exact = true }).ClickAsync();
        await admin.Locator("[data-testid=provider-model-picker]").ClickAsync();
        var judgeOption = admin.Locator("[data-testid=provider-model-option][data-model='tiny-judge']");
        var baseOption = admin.Locator("[data-testid=provider-model-option][data-model='base-model']");
        await judgeOption.WaitForAsync();
        await Assertions.Expect(baseOption).ToHaveAttributeAsync("data-disabled", "true");
        await Assertions.Expect(baseOption).ToContainTextAsync("no chat template");
        // The list fades in: shoot it once it is opaque.
        await admin.WaitForFunctionAsync("() => [...document.querySelectorAll('.mud-popover-open')].some(p => getComputedStyle(p).opacity === '1')");
        await BothThemesAsync(admin, "explanation-provider-picker");
        await judgeOption.ClickAsync();
        // The pick reaches the server and closes the list before the save is pressed.
        await Assertions.Expect(admin.Locator(".mud-popover-open")).ToHaveCountAsync(0);
        await admin.ClickAsync("[data-testid=provider-save]");
        var refused = admin.Locator("[data-testid=provider-error]");
        await admin.GetByText("Explanation model saved.").Or(refused).First.WaitForAsync();
        if (await refused.CountAsync() > 0) Assert.Fail("the save was refused: " + await refused.InnerTextAsync());
        var saved = await host.Services.GetRequiredService<SaeWorkbench.Research.Explanations.Providers.ProviderSettingsService>().GetAsync();
        Assert.Equal(("local", Model), (saved.Kind, saved.ModelName));

        // The dictionary's explanations page: the distribution counts the current (newer) score, and the score job's
        // estimate with "score again" counts everything as to do.
        await admin.GotoAsync($"dictionaries/{dictionaryId}/explanations");
        await BrowserHost.WaitInteractiveAsync(admin);
        await Assertions.Expect(admin.Locator("[data-testid=score-distribution][data-scorer=detection]")).ToContainTextAsync("models: 1 scored, mean 0.75");
        await admin.GetByText("score interpretations", new() { Exact = true }).ClickAsync();
        await admin.Locator("[data-testid=rescore]").ClickAsync();
        await admin.ClickAsync("[data-testid=estimate]");
        await Assertions.Expect(admin.Locator("[data-testid=estimate-result]")).ToContainTextAsync("4 items (0 already done)");
        await BothThemesAsync(admin, "explanations-page-rescore-estimate");
        // The list sorted by best score puts the scored latent first, with its current score.
        await admin.GotoAsync($"dictionaries/{dictionaryId}/features?sort=bestscore&desc=true");
        await BrowserHost.WaitInteractiveAsync(admin);
        await BrowserHost.ScreenshotAsync(admin, "feature-list-best-score");

        // The reviewer: the panel and its history mark the model's interpretation; the history keeps the superseded score.
        var rita = await host.NewPageAsync();
        await LoginAsync(rita, "rita", "reviewer1815");
        await rita.GotoAsync($"dictionaries/{dictionaryId}/features/0");
        await BrowserHost.WaitInteractiveAsync(rita);
        var interpretation = rita.Locator("[data-testid=interpretation]");
        await Assertions.Expect(interpretation.Locator("[data-testid=model-score][data-scorer=detection]")).ToHaveAttributeAsync("data-seed", "22");
        await Assertions.Expect(interpretation.Locator("[data-testid=machine-made]").First).ToHaveAttributeAsync("data-model", Model);
        await interpretation.Locator("[data-testid=show-history]").ClickAsync();
        var rows = rita.Locator("[data-testid=score-history-row]");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-current", "true");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("superseded");
        await Assertions.Expect(rita.Locator("[data-testid=interpretation-history] [data-testid=machine-made]")).ToHaveCountAsync(1);
        await Assertions.Expect(rita.Locator("[data-testid=rescore-with-model]")).ToBeVisibleAsync();
        await BothThemesAsync(rita, "interpretation-history-machine");

        // The reviewer queue: the model's item is marked, the person's is not.
        await rita.GotoAsync($"labelling/scopes/{scopeId}/reviews");
        await BrowserHost.WaitInteractiveAsync(rita);
        var items = rita.Locator("[data-testid=review-item]");
        await Assertions.Expect(items).ToHaveCountAsync(2);
        await Assertions.Expect(items.Filter(new() { HasText = "Names of months." }).Locator("[data-testid=machine-made]")).ToHaveCountAsync(1);
        await Assertions.Expect(items.Filter(new() { HasText = "Years in dates." }).Locator("[data-testid=machine-made]")).ToHaveCountAsync(0);
        await BothThemesAsync(rita, "review-queue-machine");
    }
}
