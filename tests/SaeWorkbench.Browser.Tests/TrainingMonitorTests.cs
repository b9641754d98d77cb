using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Web.Tests;

namespace SaeWorkbench.Browser.Tests;

public sealed class TrainingMonitorTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    /// <summary>
    /// How long a wait on the model's own work (training, analysis, test text) may take: generous, since on a loaded 2-core
    /// machine that work runs many times slower than alone. Each wait returns as soon as its event arrives, so this only
    /// bounds a failing run.
    /// </summary>
    private const float ModelWork = 600_000;

    /// <summary>How often a wait on a page's state looks again (not every animation frame: that is work on a loaded machine).</summary>
    private const int Poll = 250;

    [Fact]
    public async Task Training_a_dictionary_from_the_form_shows_live_charts_and_lists_the_result()
    {
        // A world under the host's data directory: the form reads only folders inside the import roots.
        var (model, corpus) = TinyWorld.Create(Path.Combine(host.Services.GetRequiredService<SaeWorkbench.Research.Settings.WorkbenchPaths>().DataDirectory, "tiny"));
        var page = await host.NewPageAsync();
        await page.GotoAsync("account/register");
        await page.FillAsync("#username", "marie");
        await page.FillAsync("#password", "curie1867");
        await page.FillAsync("#confirm", "curie1867");
        await page.ClickAsync("[data-testid=register-submit]");
        await page.Locator("[data-testid=presence] [data-user='marie']").WaitForAsync();

        await BrowserHost.NavigateAsync(page, "dictionaries");
        await page.GetByLabel("Model folder (Hugging Face layout)").FillAsync(model);
        await page.GetByLabel("Corpus folder (.txt / .jsonl)").FillAsync(corpus);
        await page.GetByLabel("Corpus folder (.txt / .jsonl)").PressAsync("Tab");
        await page.GetByText("d_model 16").WaitForAsync();
        await page.GetByLabel("Latents").FillAsync("64");
        await page.GetByLabel("k", new() { Exact = true }).FillAsync("4");
        await page.GetByLabel("Training tokens").FillAsync("20480");
        await page.GetByLabel("Batch size (tokens)").FillAsync("128");
        await page.GetByLabel("Learning rate").FillAsync("0.003");
        await page.GetByLabel("Shuffle buffer (tokens)").FillAsync("2048");
        await page.GetByLabel("Shuffle buffer (tokens)").PressAsync("Tab");
        await page.ClickAsync("[data-testid=start-training]");
        await BrowserHost.WaitForAddressAsync(page, new Regex("/jobs/\\d+$"));

        // The L0 chart gains points while the job runs (pushed through the event bus, no reload).
        var chart = page.Locator("[data-testid=chart-l0]");
        await chart.WaitForAsync(new() { Timeout = ModelWork });
        await page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=chart-l0]')?.dataset.points) >= 3", null,
            new() { Timeout = ModelWork, PollingInterval = Poll });
        await BrowserHost.ScreenshotAsync(page, "06-training-monitor");
        await page.Locator("[data-testid=job-state]", new() { HasText = "Succeeded" }).WaitForAsync(new() { Timeout = ModelWork });

        await BrowserHost.NavigateAsync(page, "dictionaries");
        var table = page.Locator("[data-testid=dictionaries-table]");
        await table.GetByText("blocks.1.hook_resid_post", new() { Exact = true }).WaitForAsync();
        // Its training curves open in the table, drawn from the job's logged metrics.
        await BrowserHost.WaitInteractiveAsync(page);
        await table.Locator("[data-testid=toggle-curves]").First.ClickAsync();
        var l0Curve = page.Locator("[data-testid=dictionary-curves] [data-testid=training-curves] svg[data-testid^=chart-l0]");
        await l0Curve.WaitForAsync();
        Assert.True(int.Parse(await l0Curve.GetAttributeAsync("data-points") ?? "0") >= 3);
        Assert.Equal("true", await table.Locator("[data-testid=toggle-curves]").First.GetAttributeAsync("aria-expanded"));
        await BrowserHost.ScreenshotAsync(page, "07-dictionaries");

        // Browse its latents: alive ones, densest first; the URL holds the view.
        await BrowserHost.NavigateAsync(page, "features");
        await page.Locator("[data-testid=dictionary-index] a[href$='/features']").First.ClickAsync();
        await page.Locator("[data-testid=feature-table]").WaitForAsync();
        var id = Regex.Match(page.Url, "dictionaries/(\\d+)/features").Groups[1].Value;
        await page.GotoAsync($"dictionaries/{id}/features?sort=density&desc=true&dead=false");
        var firstRow = page.Locator("[data-testid=feature-table] tbody tr").First;
        var first = int.Parse(await firstRow.GetAttributeAsync("data-index") ?? "-1");
        var second = int.Parse(await page.Locator("[data-testid=feature-table] tbody tr").Nth(1).GetAttributeAsync("data-index") ?? "-1");
        await BrowserHost.ScreenshotAsync(page, "08-feature-list");
        await firstRow.Locator("a").ClickAsync();
        await page.Locator("[data-testid=feature-title]", new() { HasText = $"#{first}" }).WaitForAsync();
        Assert.Contains("sort=density", page.Url);
        await page.Keyboard.PressAsync("j");
        await BrowserHost.WaitForAddressAsync(page, new Regex($"/features/{second}\\?"));
        await page.Locator("[data-testid=feature-title]", new() { HasText = $"#{second}" }).WaitForAsync();
        await page.Keyboard.PressAsync("k");
        await BrowserHost.WaitForAddressAsync(page, new Regex($"/features/{first}\\?"));
        await page.Keyboard.PressAsync("?");
        await page.Locator("[data-testid=keyboard-help]").WaitForAsync();
        await BrowserHost.ScreenshotAsync(page, "09-feature-page-help");

        // Analyse the dictionary; the latent page then shows heatmaps of its top contexts, and corpus markup stays text.
        var dialogs = new List<string>();
        page.Dialog += (_, d) => { dialogs.Add(d.Message); _ = d.DismissAsync(); };
        var jobs = host.Services.GetRequiredService<SaeWorkbench.Research.Jobs.JobService>();
        var analysis = await jobs.EnqueueAsync(SaeWorkbench.Research.Analysis.FeatureAnalysisJob.KindName,
            System.Text.Json.JsonSerializer.Serialize(new { dictionaryId = long.Parse(id), corpus, tokens = 4000 }), null);
        await page.GotoAsync($"jobs/{analysis.Id}");
        await page.Locator("[data-testid=job-state]", new() { HasText = "Succeeded" }).WaitForAsync(new() { Timeout = ModelWork });
        await page.GotoAsync($"dictionaries/{id}/features/{first}");
        await page.Locator("[data-testid=top-examples] [data-testid=heatmap]").First.WaitForAsync();
        Assert.True(await page.Locator("[data-testid=top-examples] .tok.peak").CountAsync() >= 1);
        await page.Locator("[data-testid=activation-histogram]").WaitForAsync();
        await BrowserHost.WaitInteractiveAsync(page);
        await page.Locator("textarea[data-testid=test-text-input], [data-testid=test-text-input] textarea").First.FillAsync("we must defend the nation");
        await page.Locator("[data-testid=test-text-heatmap] .tok").First.WaitForAsync(new() { Timeout = ModelWork });
        Assert.True(await page.Locator("[data-testid=test-text-heatmap] .tok").CountAsync() >= 4);
        await BrowserHost.ScreenshotAsync(page, "11-feature-page-dashboard");
        await BrowserHost.ToggleThemeAsync(page);
        await BrowserHost.ScreenshotAsync(page, "12-feature-page-dark");
        await BrowserHost.NavigateAsync(page, "dictionaries");
        await page.Locator("[data-testid=analysis-summary] [data-testid=density-histogram]").WaitForAsync();
        await BrowserHost.ScreenshotAsync(page, "13-dictionary-summary");
        Assert.Empty(dialogs);
        Assert.Equal(0, await page.Locator("main script, .heatmap script").CountAsync());
    }
}
