using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Browser.Tests;

public sealed class QueueTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static readonly string[] Texts =
    [
        "The president spoke to the congress about the state of the union.",
        "We must defend the nation and keep the peace for our people.",
        "Taxes and trade and the budget of the government grew this year.",
        "The army and the navy serve the country with honor and courage.",
    ];

    /// <summary>An admin, a Labeler "dave", a dictionary of four analysed latents (contexts from the demo model's tokenizer) and a scope over it.</summary>
    private async Task<long> ArrangeAsync()
    {
        await using var scope = host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var (admin, _) = await accounts.RegisterAsync("carol", "carolpass1");
        var (dave, _) = await accounts.RegisterAsync("dave", "davepass12");
        Assert.Empty(await accounts.SetRoleAsync(dave!.Id, WorkbenchRoles.Labeler));
        var modelFolder = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(BrowserHost.ScreenshotDirectory))!, "models", "demo-gpt2");
        var tokenizer = Gpt2Tokenizer.Load(modelFolder);
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var d = new SaeDictionary { Name = "queue", ModelName = "demo-gpt2", ModelPath = modelFolder, HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 4, SaePath = "/none" };
        db.Dictionaries.Add(d);
        await db.SaveChangesAsync();
        var latents = Enumerable.Range(0, 4).Select(i => new Latent { DictionaryId = d.Id, Index = i, Density = 0.01 * (i + 1), MaxActivation = 2 + i }).ToList();
        db.Latents.AddRange(latents);
        var analysis = new LatentAnalysis { DictionaryId = d.Id, TokensAnalysed = 10_000, IsCurrent = true, CompletedAt = DateTimeOffset.UtcNow };
        db.LatentAnalyses.Add(analysis);
        await db.SaveChangesAsync();
        foreach (var l in latents)
        {
            var ids = tokenizer.Encode(Texts[l.Index]);
            var acts = ids.Select((_, p) => p == l.Index + 2 ? (float)l.MaxActivation! : p == l.Index + 3 ? 0.5f : 0f).ToArray();
            db.FeatureDashboards.Add(new FeatureDashboard
            {
                AnalysisId = analysis.Id, LatentId = l.Id, LatentIndex = l.Index, ActiveCount = 100, Density = l.Density!.Value,
                MaxActivation = l.MaxActivation!.Value, MeanActivation = 1, IntervalCounts = PackedArrays.FromInt64([60, 40]),
                LogitPositiveTokens = PackedArrays.FromInt32(ids[..3]), LogitPositiveValues = PackedArrays.FromFloat32([0.9f, 0.5f, 0.2f]),
            });
            db.Set<FeatureExample>().Add(new FeatureExample
            {
                AnalysisId = analysis.Id, LatentId = l.Id, Kind = FeatureExampleKind.Top, TokenIds = PackedArrays.FromInt32(ids),
                Activations = PackedArrays.FromFloat16(acts), PeakOffset = l.Index + 2, PeakActivation = l.MaxActivation!.Value,
            });
            db.Set<FeatureExample>().Add(new FeatureExample
            {
                AnalysisId = analysis.Id, LatentId = l.Id, Kind = FeatureExampleKind.Interval, Bin = 0, TokenIds = PackedArrays.FromInt32(ids),
                Activations = PackedArrays.FromFloat16(acts.Select(a => a / 2).ToArray()), PeakOffset = l.Index + 2, PeakActivation = l.MaxActivation!.Value / 2,
            });
        }
        await db.SaveChangesAsync();
        var queue = scope.ServiceProvider.GetRequiredService<LabellingQueueService>();
        var made = await queue.CreateScopeAsync(new Actor(admin!.Id, "carol", Role.Admin), new ScopeRequest(d.Id, "State of the union", "Dictionary", null, IsBlind: true));
        Assert.True(made.Succeeded, made.Validation.ToString());
        return made.Value!.Id;
    }

    [Fact]
    public async Task A_labeller_labels_three_latents_in_a_row_and_skips_one_with_the_keyboard_alone()
    {
        var scopeId = await ArrangeAsync();
        var page = await host.NewPageAsync();
        await page.GotoAsync("account/login");
        await page.FillAsync("#username", "dave");
        await page.FillAsync("#password", "davepass12");
        await page.ClickAsync("[data-testid=login-submit]");
        await page.Locator("[data-testid=presence] [data-user='dave']").WaitForAsync();
        await page.GotoAsync($"labelling/scopes/{scopeId}/queue");
        await BrowserHost.WaitInteractiveAsync(page);
        var latent = page.Locator("[data-testid=queue-latent]");
        await latent.WaitForAsync();

        var labelled = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var index = int.Parse((await latent.GetAttributeAsync("data-index"))!);
            labelled.Add(index);
            await page.Locator("[data-testid=queue-top-examples] [data-testid=heatmap]").First.WaitForAsync();
            await page.Keyboard.PressAsync("4");   // the fourth tag: entity
            await page.Locator("[data-testid=tag-entity][aria-pressed=true]").WaitForAsync();
            await page.Keyboard.TypeAsync($"speech topic {i}");
            if (i == 1) await BrowserHost.ScreenshotAsync(page, "20-labelling-queue");
            await page.Keyboard.PressAsync("Control+Enter");
            await page.Locator($"[data-testid=queue-latent]:not([data-index='{index}']), [data-testid=queue-done]").First.WaitForAsync();
        }
        var last = int.Parse((await latent.GetAttributeAsync("data-index"))!);
        await page.Keyboard.PressAsync("s");
        await page.Locator("[data-testid=skip-reason]").WaitForAsync();
        // The field takes the focus after it renders: type only once it has it (the first key was lost under load).
        await page.WaitForFunctionAsync("() => document.activeElement?.closest('[data-testid=skip-reason]') !== null || document.activeElement?.dataset?.testid === 'skip-reason'");
        await page.Keyboard.TypeAsync("Too few examples to judge");
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("[data-testid=queue-done]").WaitForAsync();

        // Most active first: 3, 2, 1, then 0 (skipped); progress is live on the page.
        Assert.Equal([3, 2, 1], labelled);
        Assert.Equal(0, last);
        await page.Locator("[data-testid=my-progress]", new() { HasText = "3 labelled · 1 skipped · 0 remaining" }).WaitForAsync();
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync();
        var written = await db.Interpretations.AsNoTracking().OrderBy(i => i.Id).Select(i => new { i.Label, i.Tag }).ToListAsync();
        Assert.Equal(["speech topic 0", "speech topic 1", "speech topic 2"], written.Select(w => w.Label));
        Assert.All(written, w => Assert.Equal("entity", w.Tag));
        Assert.Equal("Too few examples to judge", (await db.QueueSkips.SingleAsync()).Reason);
    }
}
