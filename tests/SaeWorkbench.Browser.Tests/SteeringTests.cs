using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Dictionaries;
using static TorchSharp.torch;

namespace SaeWorkbench.Browser.Tests;

/// <summary>A comparison on the shipped demo model streams, is saved, and a second user reviews it blind.</summary>
public sealed class SteeringTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SaeWorkbench.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root not found");
    }

    /// <summary>Two users (carol runs and saves, dave reviews) and a random SAE on the demo model's block-2 residual.</summary>
    private async Task<long> ArrangeAsync()
    {
        await using var scope = host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        await accounts.RegisterAsync("steer-admin", "administer1");   // the first account is the Admin
        var (carol, _) = await accounts.RegisterAsync("carol", "steering123");
        var (dave, _) = await accounts.RegisterAsync("dave", "reviewer123");
        Assert.Empty(await accounts.SetRoleAsync(carol!.Id, WorkbenchRoles.Labeler));
        Assert.Empty(await accounts.SetRoleAsync(dave!.Id, WorkbenchRoles.Labeler));
        var model = Path.Combine(RepoRoot(), "models", "demo-gpt2");
        var saeFolder = Directory.CreateTempSubdirectory("wb-steer-sae-").FullName;
        using (var s = NewDisposeScope())
        {
            using var g = new Generator().manual_seed(9);
            using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 128, 32 }, generator: g) * 0.1,
                zeros(32), randn(new long[] { 32, 128 }, generator: g), zeros(128));
            SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "demo-gpt2", HookName = "blocks.2.hook_resid_post", ContextSize = 128 });
        }
        var registry = new DictionaryRegistry(scope.ServiceProvider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>());
        return (await registry.RegisterAsync(saeFolder, "steer-demo", model, "{}", "{}", 0, null, null)).Id;
    }

    private static async Task LoginAsync(IPage page, string user, string password)
    {
        await page.GotoAsync("account/login");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("[data-testid=login-submit]");
        await page.Locator($"[data-testid=presence] [data-user='{user}']").WaitForAsync();
    }

    private static ILocator Field(IPage page, string testId) => page.Locator($"input[data-testid={testId}], textarea[data-testid={testId}], [data-testid={testId}] input, [data-testid={testId}] textarea").First;

    [Fact]
    public async Task A_comparison_streams_both_columns_is_saved_and_a_second_user_reviews_it_blind()
    {
        var dictionaryId = await ArrangeAsync();
        var a = await host.NewPageAsync();
        await LoginAsync(a, "carol", "steering123");
        await a.GotoAsync($"steering?dictionary={dictionaryId}&latent=3&strength=40");
        await BrowserHost.WaitInteractiveAsync(a);
        Assert.Equal("40", await Field(a, "intervention-value").InputValueAsync());
        await Field(a, "steering-max-tokens").FillAsync("40");
        await Field(a, "steering-max-tokens").PressAsync("Tab");
        await Field(a, "steering-prompt").FillAsync("The people of the union");
        await Field(a, "steering-prompt").PressAsync("Tab");
        // Record how many tokens each column holds at every change of the page, to see them arrive in steps.
        await a.EvaluateAsync(@"() => {
            window.__counts = [];
            new MutationObserver(() => window.__counts.push([
                document.querySelectorAll('[data-testid=baseline-column] .gen-tok').length,
                document.querySelectorAll('[data-testid=steered-column] .gen-tok').length]))
              .observe(document.body, { childList: true, subtree: true });
        }");
        await a.ClickAsync("[data-testid=steering-run]");
        await a.Locator("[data-testid=save-comparison], [data-testid=steering-error]").First.WaitForAsync(new() { Timeout = 90_000 });
        await BrowserHost.ScreenshotAsync(a, "30-steering-comparison");
        Assert.Equal(0, await a.Locator("[data-testid=steering-error]").CountAsync());
        var baseline = await a.Locator("[data-testid=baseline-column] .gen-tok").CountAsync();
        var steered = await a.Locator("[data-testid=steered-column] .gen-tok").CountAsync();
        Assert.InRange(baseline, 1, 40);
        Assert.InRange(steered, 1, 40);
        var counts = await a.EvaluateAsync<int[][]>("() => window.__counts");
        Assert.Contains(counts, c => c[0] > 0 && c[0] < baseline && c[1] > 0 && c[1] < steered);   // both columns were seen part-way
        Assert.Equal(Math.Max(baseline, steered), await a.Locator("[data-testid=kl-strip] .kl-cell").CountAsync());
        Assert.NotEqual(await a.Locator("[data-testid=baseline-column]").InnerTextAsync(), await a.Locator("[data-testid=steered-column]").InnerTextAsync());

        await Field(a, "comparison-title").FillAsync("latent 3 pushes the union");
        await Field(a, "comparison-tags").FillAsync("demo union");
        await Field(a, "comparison-tags").PressAsync("Tab");
        await a.ClickAsync("[data-testid=save-comparison-button]");
        await a.Locator("[data-testid=comparison-title]", new() { HasText = "latent 3 pushes the union" }).WaitForAsync();
        var permalink = new Uri(a.Url).AbsolutePath.TrimStart('/');
        Assert.Matches(@"^steering/\d+$", permalink);
        await BrowserHost.WaitInteractiveAsync(a);

        var b = await host.NewPageAsync();
        await LoginAsync(b, "dave", "reviewer123");
        await b.GotoAsync(permalink);
        await BrowserHost.WaitInteractiveAsync(b);
        Assert.Equal(0, await b.Locator("[data-testid=baseline-column]").CountAsync());     // labels hidden before a blind review
        await b.ClickAsync("[data-testid=start-blind-review]");
        await b.Locator("[data-testid=blind-a]").WaitForAsync();
        Assert.Equal(0, await b.Locator("[data-testid=baseline-column]").CountAsync());
        await b.ClickAsync("[data-testid=guess-a]");
        await b.ClickAsync("[data-testid=effect-yes]");
        await b.ClickAsync("[data-testid=coherence-4]");
        await Field(b, "review-comment").FillAsync("A drifts towards *union* talk");
        await Field(b, "review-comment").PressAsync("Tab");
        await BrowserHost.ScreenshotAsync(b, "31-steering-blind-review");
        await b.ClickAsync("[data-testid=submit-review]");
        await b.Locator("[data-testid=blind-reveal]").WaitForAsync();
        await b.Locator("[data-testid=baseline-column]").First.WaitForAsync();           // revealed after submitting
        await BrowserHost.ScreenshotAsync(b, "32-steering-blind-revealed");

        // The author's page shows the review live; the database holds the recorded order and the scored guess.
        await a.Locator("[data-testid=review]", new() { HasText = "dave" }).WaitForAsync(new() { Timeout = 5_000 });
        await using var scope = host.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync();
        var review = await db.SteeringReviews.SingleAsync();
        Assert.True(review.Blind);
        Assert.Equal(review.InterventionShownFirst, review.GuessCorrect);
        Assert.StartsWith(review.GuessCorrect == true ? "1/1" : "0/1", (await a.Locator("[data-testid=blind-share]").InnerTextAsync()).Trim());
    }

    [Fact]
    public async Task A_strength_sweep_found_by_label_shows_each_strength_beside_the_baseline_with_differences_marked()
    {
        long dictionaryId;
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            await accounts.RegisterAsync("sweep-owner", "administer1");   // whichever test runs first, sweeper is not the first (Admin) account
            var (sweeper, _) = await accounts.RegisterAsync("sweeper", "sweeping123");
            Assert.Empty(await accounts.SetRoleAsync(sweeper!.Id, WorkbenchRoles.Labeler));
            var saeFolder = Directory.CreateTempSubdirectory("wb-sweep-sae-").FullName;
            using (var s = NewDisposeScope())
            {
                using var g = new Generator().manual_seed(9);
                using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 128, 32 }, generator: g) * 0.1,
                    zeros(32), randn(new long[] { 32, 128 }, generator: g), zeros(128));
                SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "demo-gpt2", HookName = "blocks.2.hook_resid_post", ContextSize = 128 });
            }
            var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
            dictionaryId = (await new DictionaryRegistry(factory).RegisterAsync(saeFolder, "sweep-demo", Path.Combine(RepoRoot(), "models", "demo-gpt2"),
                "{}", "{}", 0, null, null)).Id;
            await using var db = await factory.CreateDbContextAsync();
            var latent = await db.Latents.SingleAsync(l => l.DictionaryId == dictionaryId && l.Index == 3);
            (latent.ConsensusLabel, latent.LabelStatus, latent.MaxActivation) = ("union and nation", SaeWorkbench.Data.Dictionaries.LabelStatus.Accepted, 4);
            await db.SaveChangesAsync();
        }
        var page = await host.NewPageAsync();
        await LoginAsync(page, "sweeper", "sweeping123");
        await page.GotoAsync($"steering?dictionary={dictionaryId}");
        await BrowserHost.WaitInteractiveAsync(page);

        // Choose the latent by its label: the strength and the sweep start from its default.
        await Field(page, "latent-search").FillAsync("union");
        await page.Locator("[data-testid=latent-option]", new() { HasText = "union and nation" }).ClickAsync();
        var alpha = SaeWorkbench.Research.Steering.SteeringDefaults.Strength(4);
        await Assertions.Expect(Field(page, "intervention-value")).ToHaveValueAsync(alpha.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(Field(page, "sweep-strengths")).ToHaveValueAsync(string.Join(", ",
            new[] { 0, alpha / 2, alpha, 2 * alpha }.Select(a => Math.Round(a, 3).ToString(System.Globalization.CultureInfo.InvariantCulture))));
        await Field(page, "steering-max-tokens").FillAsync("24");
        await Field(page, "steering-max-tokens").PressAsync("Tab");
        await page.ClickAsync("[data-testid=sweep-run]");
        await page.Locator("[data-testid=save-comparison], [data-testid=steering-error]").First.WaitForAsync(new() { Timeout = 90_000 });
        Assert.Equal(0, await page.Locator("[data-testid=steering-error]").CountAsync());

        var columns = page.Locator("[data-testid=sweep-output] [data-testid=variant-column]");
        Assert.Equal(4, await columns.CountAsync());
        Assert.Equal(1, await page.Locator("[data-testid=sweep-output] [data-testid=baseline-column]").CountAsync());
        // α = 0 is the baseline token for token; the strongest push differs somewhere, and those tokens are marked.
        Assert.Equal("0", await columns.Nth(0).GetAttributeAsync("data-changed-tokens"));
        Assert.True(int.Parse(await columns.Nth(3).GetAttributeAsync("data-changed-tokens") ?? "0") > 0);
        Assert.Equal(int.Parse(await columns.Nth(3).GetAttributeAsync("data-changed-tokens") ?? "0"),
            await columns.Nth(3).Locator(".gen-tok.changed").CountAsync());
        // One KL scale per sample, its maximum written out.
        Assert.Equal(4, await page.Locator("[data-testid=kl-scale]").CountAsync());
        Assert.EndsWith("nats", (await page.Locator("[data-testid=kl-scale-max]").First.InnerTextAsync()).Trim());
        // The form's own strength (the third column: 0, α/2, α, 2α) is offered for saving, not the α = 0 reference.
        Assert.Equal("2", await page.Locator("[data-testid=save-comparison]").GetAttributeAsync("data-column"));
        await BrowserHost.ScreenshotAsync(page, "33-steering-sweep-light");
        await BrowserHost.ToggleThemeAsync(page);
        await BrowserHost.ScreenshotAsync(page, "33-steering-sweep-dark");
        await BrowserHost.ToggleThemeAsync(page);
    }
}
