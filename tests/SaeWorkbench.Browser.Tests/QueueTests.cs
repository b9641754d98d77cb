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

    /// <summary>
    /// An admin, a Labeler and a Reviewer (names end in <paramref name="suffix"/>, so that each test of the class has its own),
    /// a dictionary of four analysed latents (contexts from the demo model's tokenizer; latent 3 is dense and its context is
    /// long enough to overflow a card that does not wrap) and a blind scope over it.
    /// </summary>
    private async Task<(long ScopeId, long DictionaryId, Dictionary<int, long> Latents)> ArrangeAsync(string suffix)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var (admin, _) = await accounts.RegisterAsync("carol" + suffix, "carolpass1");
        var (dave, _) = await accounts.RegisterAsync("dave" + suffix, "davepass12");
        var (rita, _) = await accounts.RegisterAsync("rita" + suffix, "ritapass12");
        Assert.Empty(await accounts.SetRoleAsync(dave!.Id, WorkbenchRoles.Labeler));
        Assert.Empty(await accounts.SetRoleAsync(rita!.Id, WorkbenchRoles.Reviewer));
        Assert.Empty(await accounts.SetRoleAsync(admin!.Id, WorkbenchRoles.Admin));
        var modelFolder = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(BrowserHost.ScreenshotDirectory))!, "models", "demo-gpt2");
        var tokenizer = Gpt2Tokenizer.Load(modelFolder);
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var d = new SaeDictionary { Name = "queue" + suffix, ModelName = "demo-gpt2", ModelPath = modelFolder, HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 4, SaePath = "/none" };
        db.Dictionaries.Add(d);
        await db.SaveChangesAsync();
        double[] densities = [0.01, 0.02, 0.03, 0.41];
        var latents = Enumerable.Range(0, 4).Select(i => new Latent { DictionaryId = d.Id, Index = i, Density = densities[i], MaxActivation = 2 + i }).ToList();
        db.Latents.AddRange(latents);
        var analysis = new LatentAnalysis { DictionaryId = d.Id, TokensAnalysed = 10_000, IsCurrent = true, CompletedAt = DateTimeOffset.UtcNow };
        db.LatentAnalyses.Add(analysis);
        await db.SaveChangesAsync();
        foreach (var l in latents)
        {
            var text = l.Index == 2 ? string.Concat(Enumerable.Repeat(Texts[2] + " ", 8)) + new string('x', 300) : Texts[l.Index];
            var ids = tokenizer.Encode(text);
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
        var made = await queue.CreateScopeAsync(new Actor(admin.Id, "carol" + suffix, Role.Admin), new ScopeRequest(d.Id, "State of the union", "Dictionary", null, IsBlind: true,
            Guidelines: "Name the topic of the speech (budget, war, union), not single words."));
        Assert.True(made.Succeeded, made.Validation.ToString());
        return (made.Value!.Id, d.Id, latents.ToDictionary(l => l.Index, l => l.Id));
    }

    private async Task<IPage> LoginAsync(string user, string password)
    {
        var page = await host.NewPageAsync();
        await page.GotoAsync("account/login");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("[data-testid=login-submit]");
        await page.Locator($"[data-testid=presence] [data-user='{user}']").WaitForAsync();
        return page;
    }

    private async Task<int> ClaimsAsync()
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync();
        return await db.QueueClaims.CountAsync();
    }

    [Fact]
    public async Task A_labeller_starts_labels_and_skips_with_the_keyboard_alone_and_dense_latents_wait_until_included()
    {
        var (scopeId, _, latents) = await ArrangeAsync("");
        var page = await LoginAsync("dave", "davepass12");
        await page.GotoAsync($"labelling/scopes/{scopeId}/queue");
        await BrowserHost.WaitInteractiveAsync(page);
        var latent = page.Locator("[data-testid=queue-latent]");
        await latent.WaitForAsync();

        // Opening the page shows the next latent without holding it; the dense one (41 %) is left out and the page says so.
        await page.Locator("[data-testid=queue-latent][data-claimed=false]").WaitForAsync();
        await page.Locator("[data-testid=dense-text]", new() { HasText = "are left out (1 in this scope)" }).WaitForAsync();
        Assert.Matches(@"^Dense latents \(> 10\s?% of tokens\)", await page.Locator("[data-testid=dense-text]").InnerTextAsync());
        Assert.Equal(0, await ClaimsAsync());
        await page.Keyboard.PressAsync("Enter");   // Start
        await page.Locator("[data-testid=queue-latent][data-claimed=true]").WaitForAsync();
        Assert.Equal(1, await ClaimsAsync());

        var labelled = new List<int>();
        for (var i = 0; i < 2; i++)
        {
            var index = int.Parse((await latent.GetAttributeAsync("data-index"))!);
            labelled.Add(index);
            await page.Locator("[data-testid=queue-top-examples] [data-testid=heatmap]").First.WaitForAsync();
            await page.Keyboard.PressAsync("4");   // the fourth tag: entity
            await page.Locator("[data-testid=tag-entity][aria-pressed=true]").WaitForAsync();
            await page.Locator("[data-testid=tag-descriptions] .tag-description.selected[data-tag=entity]").WaitForAsync();
            await page.Keyboard.TypeAsync($"speech topic {i}");
            if (i == 0)
            {
                // Long contexts wrap inside their card at 1280 px: no context is wider than the card that holds it.
                var overflow = await page.EvaluateAsync<int>(@"() => {
                    const card = document.querySelector('.queue-evidence');
                    return [...card.querySelectorAll('.example')].filter(e => e.scrollWidth > card.clientWidth).length + (card.scrollWidth > card.clientWidth ? 1 : 0);
                }");
                Assert.True(await page.Locator(".queue-evidence .example").CountAsync() > 0);
                Assert.Equal(0, overflow);
                await page.Locator("[data-testid=queue-guidelines] [data-testid=blind-rule]").WaitForAsync();
                await page.Locator("[data-testid=scope-guidelines]", new() { HasText = "Name the topic of the speech" }).WaitForAsync();
                await BrowserHost.ScreenshotAsync(page, "20-labelling-queue");
                await BrowserHost.ToggleThemeAsync(page);
                await BrowserHost.ScreenshotAsync(page, "20-labelling-queue-dark");
                await BrowserHost.ToggleThemeAsync(page);
                await page.Locator("[data-testid=queue-label]").FocusAsync();
            }
            await page.Keyboard.PressAsync("Control+Enter");
            await page.Locator($"[data-testid=queue-latent]:not([data-index='{index}']), [data-testid=queue-done]").First.WaitForAsync();
        }
        var last = int.Parse((await latent.GetAttributeAsync("data-index"))!);
        await page.Keyboard.PressAsync("s");
        await page.Locator("[data-testid=skip-reason]").WaitForAsync();
        // The field takes the focus after it renders: type only once it has it (the first key was lost under load).
        await page.WaitForFunctionAsync("() => document.activeElement?.dataset?.testid === 'skip-reason'");
        await page.Keyboard.TypeAsync("Too few examples to judge");
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("[data-testid=queue-done]", new() { HasText = "apart from 1 dense latents" }).WaitForAsync();

        // Highest max activation first among the non-dense: 2 (whose long context wraps), 1, then 0 (skipped).
        Assert.Equal([2, 1], labelled);
        Assert.Equal(0, last);
        await page.Locator("[data-testid=my-progress]", new() { HasText = "2 labelled · 1 skipped · 0 remaining" }).WaitForAsync();

        // Including dense latents shows latent 3, still unclaimed until Start.
        await page.GetByLabel("include them").CheckAsync(new() { Force = true });
        await page.Locator("[data-testid=queue-latent][data-index='3'][data-claimed=false]").WaitForAsync();
        await BrowserHost.WaitForAddressAsync(page, new System.Text.RegularExpressions.Regex("dense=include"));

        await using var db = await host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync();
        var ours = latents.Values.ToList();
        var written = await db.Interpretations.AsNoTracking().Where(i => ours.Contains(i.LatentId)).OrderBy(i => i.Id).Select(i => new { i.Label, i.Tag }).ToListAsync();
        Assert.Equal(["speech topic 0", "speech topic 1"], written.Select(w => w.Label));
        Assert.All(written, w => Assert.Equal("entity", w.Tag));
        Assert.Equal("Too few examples to judge", (await db.QueueSkips.SingleAsync(k => k.ScopeId == scopeId)).Reason);
    }

    [Fact]
    public async Task Back_edits_the_last_submission_and_my_submissions_list_it_with_a_link_and_the_guidelines_fit_a_narrow_screen()
    {
        var (scopeId, dictionaryId, latents) = await ArrangeAsync("2");
        var page = await LoginAsync("dave2", "davepass12");
        await page.GotoAsync($"labelling/scopes/{scopeId}/queue");
        await BrowserHost.WaitInteractiveAsync(page);
        await page.Locator("[data-testid=queue-start]").ClickAsync();
        await page.Locator("[data-testid=queue-latent][data-claimed=true][data-index='2']").WaitForAsync();
        await page.Locator("[data-testid=queue-label]").FillAsync("budget talk");
        await page.Locator("[data-testid=queue-submit]").ClickAsync();
        await page.Locator("[data-testid=queue-latent][data-claimed=true][data-index='1']").WaitForAsync();

        await page.Locator("[data-testid=last-submission]", new() { HasText = "Submitted “budget talk” for latent #2." }).WaitForAsync();
        await page.Locator("[data-testid=queue-back]").ClickAsync();
        await page.Locator("[data-testid=queue-latent][data-editing=true][data-index='2']").WaitForAsync();
        Assert.Equal("budget talk", await page.Locator("[data-testid=queue-label]").InputValueAsync());
        await page.Locator("[data-testid=queue-label]").FillAsync("taxes and the budget");
        await page.Keyboard.PressAsync("Control+Enter");
        // Back in the queue on the latent still held, and the list shows the edit.
        await page.Locator("[data-testid=queue-latent][data-claimed=true][data-index='1']").WaitForAsync();
        var row = page.Locator("[data-testid=submission][data-index='2']");
        await row.Locator(".submission-label", new() { HasText = "taxes and the budget" }).WaitForAsync();
        Assert.Equal($"dictionaries/{dictionaryId}/features/2", await row.Locator("a").GetAttributeAsync("href"));

        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync())
        {
            var mine = await db.Interpretations.AsNoTracking().SingleAsync(i => i.LatentId == latents[2]);
            Assert.Equal(("taxes and the budget", 2), (mine.Label, mine.Version));
        }

        // Tag descriptions and the scope's guidelines stay readable on a phone-sized screen: beside the form, nothing cut off.
        await page.SetViewportSizeAsync(390, 844);
        await page.Locator("[data-testid=tag-descriptions]").ScrollIntoViewIfNeededAsync();
        var cut = await page.EvaluateAsync<int>(@"() => [...document.querySelectorAll('[data-testid=queue-guidelines] li, [data-testid=scope-guidelines], [data-testid=tag-descriptions] dd')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 || e.scrollWidth > e.clientWidth + 1).length");
        Assert.Equal(0, cut);
    }

    [Fact]
    public async Task A_reviewer_accepts_and_rejects_pending_interpretations_inline_in_the_reviewer_queue()
    {
        var (scopeId, _, latents) = await ArrangeAsync("3");
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var queue = scope.ServiceProvider.GetRequiredService<LabellingQueueService>();
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<WorkbenchUser>>();
            var dave = new Actor((await users.FindByNameAsync("dave3"))!.Id, "dave3", Role.Labeler);
            foreach (var label in new[] { "budget talk", "military service" })
            {
                var next = (await queue.NextAsync(dave, scopeId)).Value!.Assignment!;
                Assert.True((await queue.SubmitAsync(dave, scopeId, next.LatentId, new InterpretationDraft(label, "Fires on **" + label + "**.", 3, "entity"))).Succeeded);
            }
        }
        var page = await LoginAsync("rita3", "ritapass12");
        await page.GotoAsync($"labelling/scopes/{scopeId}/queue");
        await BrowserHost.WaitInteractiveAsync(page);
        await page.Locator("[data-testid=reviewer-queue-link]").ClickAsync();
        await BrowserHost.WaitForAddressAsync(page, new System.Text.RegularExpressions.Regex($"/labelling/scopes/{scopeId}/reviews$"));
        await BrowserHost.WaitInteractiveAsync(page);
        var items = page.Locator("[data-testid=review-item]");
        await Assertions.Expect(items).ToHaveCountAsync(2);
        await page.Locator("[data-testid=review-blind-note]").WaitForAsync();
        // The evidence the labeller saw, one click away, beside the decision.
        await items.Nth(0).Locator("[data-testid=review-evidence-toggle]").ClickAsync();
        await items.Nth(0).Locator("[data-testid=review-evidence] [data-testid=heatmap]").First.WaitForAsync();
        await BrowserHost.ScreenshotAsync(page, "21-reviewer-queue");
        await BrowserHost.ToggleThemeAsync(page);
        await BrowserHost.ScreenshotAsync(page, "21-reviewer-queue-dark");
        await BrowserHost.ToggleThemeAsync(page);

        var first = items.Nth(0);
        await first.Locator("[data-testid=review-reject]").ClickAsync();
        await first.Locator("[data-testid=review-item-error]", new() { HasText = "Say why the interpretation is rejected" }).WaitForAsync();
        await first.Locator("[data-testid=review-reason]").FillAsync("Too broad: it also fires on numbers.");
        await first.Locator("[data-testid=review-reject]").ClickAsync();
        await Assertions.Expect(items).ToHaveCountAsync(1);
        await items.Nth(0).Locator("[data-testid=review-accept]").ClickAsync();
        await page.Locator("[data-testid=review-empty]").WaitForAsync();

        await using var db = await host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync();
        var ours = latents.Values.ToList();
        var decided = await db.Interpretations.AsNoTracking().Where(i => ours.Contains(i.LatentId)).OrderBy(i => i.Id)
            .Select(i => new { i.Label, i.Review, i.ReviewReason }).ToListAsync();
        Assert.Equal([("budget talk", "Rejected", "Too broad: it also fires on numbers."), ("military service", "Accepted", (string?)null)],
            decided.Select(d => (d.Label, d.Review.ToString(), d.ReviewReason)).ToArray());
    }
}
