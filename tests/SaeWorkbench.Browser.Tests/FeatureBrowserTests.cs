using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Web.Tests;
using static TorchSharp.torch;

namespace SaeWorkbench.Browser.Tests;

/// <summary>
/// Import an SAELens folder from the server's disk and analyse it from the Dictionaries page, filter
/// the list with its controls, open a feature, move with j/k (focus lands on the heading), run test text, open a page
/// whose example holds <c>&lt;script&gt;alert(1)&lt;/script&gt;</c> (nothing runs), and screenshot the pages in both themes.
/// </summary>
public sealed class FeatureBrowserTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    [Fact]
    public async Task Import_analyse_filter_navigate_and_nothing_from_the_corpus_runs()
    {
        // A world under the host's data directory (an allowed import root).
        var root = Path.Combine(host.Services.GetRequiredService<WorkbenchPaths>().DataDirectory, "disk");
        var (model, corpus) = TinyWorld.Create(root);
        var saeFolder = Path.Combine(root, "sae");
        using (NewDisposeScope())
        {
            using var gen = new Generator().manual_seed(9);
            using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 16, 24 }, generator: gen),
                randn(new long[] { 24 }, generator: gen) - 0.5, randn(new long[] { 24, 16 }, generator: gen), zeros(16));
            SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = "blocks.1.hook_resid_post", ContextSize = 32 });
        }

        var page = await host.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += (_, d) => { dialogs.Add(d.Message); _ = d.DismissAsync(); };
        await page.GotoAsync("account/register");
        await page.FillAsync("#username", "ada");
        await page.FillAsync("#password", "lovelace1815");
        await page.FillAsync("#confirm", "lovelace1815");
        await page.ClickAsync("[data-testid=register-submit]");
        await page.Locator("[data-testid=presence] [data-user='ada']").WaitForAsync();

        // The skip link is the first thing the keyboard reaches, and it shows when focused.
        Assert.Equal("skip-link", await page.EvaluateAsync<string>(
            "() => document.querySelector('a[href], button, input, textarea, select, [tabindex]:not([tabindex=\"-1\"])')?.className"));
        await page.FocusAsync(".skip-link");
        Assert.True(await page.Locator(".skip-link").IsVisibleAsync());

        await BrowserHost.NavigateAsync(page, "dictionaries");
        await BrowserHost.WaitInteractiveAsync(page);
        // A wrong model folder is refused with the reason.
        await page.Locator("[data-testid=import-sae-folder]").FillAsync(saeFolder);
        await page.Locator("[data-testid=import-model-folder]").FillAsync(Path.Combine(root, "corpus"));
        await page.ClickAsync("[data-testid=import-sae]");
        await page.Locator("[data-testid=import-errors]", new() { HasText = "config.json is missing" }).WaitForAsync();
        await BrowserHost.ScreenshotAsync(page, "20-import-error");
        await page.Locator("[data-testid=import-model-folder]").FillAsync(model);
        await page.Locator("[data-testid=import-name]").FillAsync("tiny import");
        await page.ClickAsync("[data-testid=import-sae]");
        await page.Locator("[data-testid=import-result]", new() { HasText = "24 latents" }).WaitForAsync();
        await page.Locator("[data-testid=dictionaries-table]").GetByText("tiny import").WaitForAsync();

        // Analyse it from the form (the imported dictionary is preselected).
        await page.GetByLabel("Corpus to analyse (folder of .txt / .jsonl)").FillAsync(corpus);
        await page.GetByLabel("Tokens to analyse").FillAsync("4000");
        await page.GetByLabel("Tokens to analyse").PressAsync("Tab");
        await page.ClickAsync("[data-testid=start-analysis]");
        await BrowserHost.WaitForAddressAsync(page, new Regex("/jobs/\\d+$"));
        await page.Locator("[data-testid=job-state]", new() { HasText = "Succeeded" }).WaitForAsync(new() { Timeout = 120_000 });

        await BrowserHost.NavigateAsync(page, "dictionaries");
        await page.Locator("[data-testid=analysis-summary]").WaitForAsync();
        await BrowserHost.ScreenshotAsync(page, "21-dictionaries-light");
        await BrowserHost.ToggleThemeAsync(page);
        await BrowserHost.ScreenshotAsync(page, "21-dictionaries-dark");
        await BrowserHost.ToggleThemeAsync(page);

        // Filter the list with its controls: alive only, then densest first. The URL follows.
        await page.Locator("a", new() { HasText = "Browse its features" }).First.ClickAsync();
        await page.Locator("[data-testid=feature-table]").WaitForAsync();
        await BrowserHost.WaitInteractiveAsync(page);
        await page.Locator("[data-testid=filter-dead]").SelectOptionAsync(new SelectOptionValue { Label = "alive only" });
        await BrowserHost.WaitForAddressAsync(page, new Regex("dead=false"));
        var rows = page.Locator("[data-testid=feature-table] tbody tr");
        // The URL changes at once; the rows follow when the filtered page arrives (their links carry the filter).
        await page.Locator("[data-testid=feature-table] tbody tr a[href*='dead=false']").First.WaitForAsync();
        Assert.Equal(0, await page.Locator("[data-testid=feature-table] td", new() { HasText = "never fired" }).CountAsync());
        // Before any label, each row shows what its latent fires on: the peak tokens with counts and the strongest
        // context with its peak marked, written by the analysis that just ran.
        Assert.True(await page.Locator("[data-testid=feature-table] tbody tr .token-chip").CountAsync() >= await rows.CountAsync());
        Assert.True(await page.Locator("[data-testid=feature-table] tbody tr .context-snippet mark").CountAsync() >= 1);
        await BrowserHost.ScreenshotAsync(page, "22-feature-list-light");
        await BrowserHost.ToggleThemeAsync(page);
        await BrowserHost.ScreenshotAsync(page, "22-feature-list-dark");
        await BrowserHost.ToggleThemeAsync(page);
        var first = int.Parse(await rows.First.GetAttributeAsync("data-index") ?? "-1");
        var second = int.Parse(await rows.Nth(1).GetAttributeAsync("data-index") ?? "-1");

        // Open a feature and move with j/k; focus goes to the new latent's heading.
        await rows.First.Locator("a").ClickAsync();
        await page.Locator("[data-testid=feature-title]", new() { HasText = $"#{first}" }).WaitForAsync();
        await BrowserHost.WaitInteractiveAsync(page);
        // Where it stands in the list it was opened from.
        var alive = await page.Locator("[data-testid=list-position]").InnerTextAsync();
        Assert.Matches(new Regex("^1 of \\d+ in the list$"), alive);
        await page.Keyboard.PressAsync("j");
        try { await BrowserHost.WaitForAddressAsync(page, new Regex($"/features/{second}\\?.*dead=false")); }
        catch (PlaywrightException)
        {
            await BrowserHost.ScreenshotAsync(page, "debug-j");
            throw new TimeoutException($"j from #{first} (next #{second}) left the page at {page.Url}; focus on {await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML?.slice(0, 200)")}; nav {await page.EvaluateAsync<string>("() => document.querySelector('[data-nav-next]')?.outerHTML?.slice(0, 400)")}");
        }
        await page.Locator("[data-testid=feature-title]", new() { HasText = $"#{second}" }).WaitForAsync();
        await page.Locator("[data-testid=list-position]", new() { HasText = "2 of " }).WaitForAsync();
        await page.WaitForFunctionAsync("() => document.activeElement?.tagName === 'H1'");
        // Focus is there for screen readers; a heading is no control, so no ring stays on it after the key press.
        Assert.Equal("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));
        await page.Keyboard.PressAsync("k");
        await page.Locator("[data-testid=feature-title]", new() { HasText = $"#{first}" }).WaitForAsync();

        // Test text gives a live per-token heatmap.
        await page.Locator("textarea[data-testid=test-text-input], [data-testid=test-text-input] textarea").First.FillAsync("the president spoke to the congress");
        await page.Locator("[data-testid=test-text-heatmap] .tok").First.WaitForAsync(new() { Timeout = 30_000 });
        Assert.True(await page.Locator("[data-testid=test-text-heatmap] .tok").CountAsync() >= 4);
        await page.Locator("[data-testid=top-examples] [data-testid=heatmap]").First.WaitForAsync();
        // A context shows the window around its peak; its button shows the rest and hides it again.
        var example = page.Locator("[data-testid=top-examples] .example:has(.ctx-toggle)").First;
        var toggle = example.Locator(".ctx-toggle");
        var shown = await example.Locator(".tok:visible").CountAsync();
        Assert.True(shown < await example.Locator(".tok").CountAsync(), "the tokens outside the window start hidden");
        await toggle.ClickAsync();
        Assert.Equal("true", await toggle.GetAttributeAsync("aria-expanded"));
        Assert.Equal(await example.Locator(".tok").CountAsync(), await example.Locator(".tok:visible").CountAsync());
        await toggle.ClickAsync();
        Assert.Equal(shown, await example.Locator(".tok:visible").CountAsync());
        await BrowserHost.ScreenshotAsync(page, "23-feature-page-light");
        await BrowserHost.ToggleThemeAsync(page);
        await BrowserHost.ScreenshotAsync(page, "23-feature-page-dark");
        await BrowserHost.ToggleThemeAsync(page);

        // A latent whose stored example holds the corpus's <script> sentence: shown as text, nothing runs.
        var (dictionaryId, index) = await LatentWithScriptExampleAsync(model);
        await page.GotoAsync($"dictionaries/{dictionaryId}/features/{index}");
        await BrowserHost.WaitInteractiveAsync(page);
        // Shown as the literal text (some windows start mid-sentence; this one holds the whole tag).
        var scripted = page.Locator(".example", new() { HasText = "<script>alert(1)</script>" }).First;
        await scripted.WaitForAsync(new() { State = WaitForSelectorState.Attached });
        if (await scripted.Locator(".ctx-toggle").CountAsync() > 0) await scripted.Locator(".ctx-toggle").ClickAsync(); // the whole context
        Assert.Contains("<script>alert(1)</script>", await scripted.Locator(".heatmap").InnerTextAsync());
        Assert.Equal(0, await page.Locator("main script, .heatmap script").CountAsync());
        Assert.Empty(dialogs);
    }

    /// <summary>Some latent of the current analysis with an example (top or interval) that decodes to the script sentence.</summary>
    private async Task<(long DictionaryId, int Index)> LatentWithScriptExampleAsync(string modelFolder)
    {
        var tokenizer = Gpt2Tokenizer.Load(modelFolder);
        var dbFactory = host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        var examples = await db.Set<FeatureExample>().AsNoTracking()
            .Join(db.Latents, e => e.LatentId, l => l.Id, (e, l) => new { e.TokenIds, l.DictionaryId, l.Index })
            .ToListAsync();
        var hit = examples.First(e => tokenizer.Decode(PackedArrays.ToInt32(e.TokenIds)).Contains("<script>alert(1)</script>", StringComparison.Ordinal));
        return (hit.DictionaryId, hit.Index);
    }
}
