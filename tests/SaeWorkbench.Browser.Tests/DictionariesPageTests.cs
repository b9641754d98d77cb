using System.Diagnostics;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Web.Tests;
using static TorchSharp.torch;

namespace SaeWorkbench.Browser.Tests;

/// <summary>
/// The Dictionaries page at 1280 px: the table fits its card, an analysed import shows the metrics its analysis
/// measured, an unanalysed one says what is missing, and the table and the summary count the same dead latents.
/// </summary>
public sealed class DictionariesPageTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    /// <summary>True when the page's heading starts at least 16 px right of the navigation drawer's edge.</summary>
    private const string GutterBesideDrawer = """
        () => {
            const nav = document.querySelector("nav[aria-label='Main navigation']");
            const drawer = nav && (nav.closest('aside') || nav);
            const heading = document.querySelector('#main-content h1');
            return !!drawer && !!heading && heading.getBoundingClientRect().left - drawer.getBoundingClientRect().right >= 16;
        }
        """;

    [Fact]
    public async Task At_1280_px_the_table_fits_its_card_and_table_and_summary_agree_on_dead_latents()
    {
        var root = Path.Combine(host.Services.GetRequiredService<WorkbenchPaths>().DataDirectory, "dictionaries-page");
        var (model, corpus) = TinyWorld.Create(root);
        var page = await host.NewPageAsync();
        await page.GotoAsync("account/register");
        await page.FillAsync("#username", "dora");
        await page.FillAsync("#password", "lovelace1815");
        await page.FillAsync("#confirm", "lovelace1815");
        await page.ClickAsync("[data-testid=register-submit]");
        await page.Locator("[data-testid=presence] [data-user='dora']").WaitForAsync();
        string userId;
        await using (var scope = host.Services.CreateAsyncScope())
            userId = (await scope.ServiceProvider.GetRequiredService<UserManager<WorkbenchUser>>().FindByNameAsync("dora"))!.Id;
        var importer = host.Services.GetRequiredService<DictionaryImporter>();
        var actor = new Actor(userId, "dora", Role.Labeler);
        long analysed = 0;
        foreach (var (name, seed) in new[] { ("tiny residual SAE with a long descriptive name, analysed", 3), ("tiny residual SAE, not analysed yet", 4) })
        {
            var folder = Path.Combine(root, $"sae-{seed}");
            using (NewDisposeScope())
            {
                using var gen = new Generator().manual_seed(seed);
                // Some latents with a very negative bias never fire: the dead count is not 0.
                using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 16, 24 }, generator: gen),
                    cat(new[] { randn(new long[] { 20 }, generator: gen) - 0.5, TorchScalars.Full(-1e3, new long[] { 4 }) }, 0), randn(new long[] { 24, 16 }, generator: gen), zeros(16));
                SaeLensFolder.Save(folder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = "blocks.1.hook_resid_post", ContextSize = 32 });
            }
            var dictionary = await importer.ImportSaeLensAsync(new(folder, model, name), actor);
            if (analysed == 0) analysed = dictionary.Id;
        }
        var jobs = host.Services.GetRequiredService<JobService>();
        var job = await jobs.EnqueueAsync(FeatureAnalysisJob.KindName,
            System.Text.Json.JsonSerializer.Serialize(new { dictionaryId = analysed, corpus, tokens = 3000 }), userId);
        var clock = Stopwatch.StartNew();
        while (!(await jobs.GetAsync(job.Id))!.IsFinished && clock.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(100);
        var done = (await jobs.GetAsync(job.Id))!;
        Assert.True(done.State == SaeWorkbench.Data.Jobs.JobState.Succeeded, done.Message);

        await page.GotoAsync("dictionaries");
        await page.Locator("[data-testid=analysis-summary]").WaitForAsync();
        await BrowserHost.WaitInteractiveAsync(page);

        // Nothing of the table is cut off or scrolled out of its card.
        var overflow = await page.EvaluateAsync<int[]>(
            "() => { const c = document.querySelector('[data-testid=dictionaries-table] .mud-table-container'); return [c.scrollWidth, c.clientWidth]; }");
        Assert.True(overflow[0] <= overflow[1], $"the table is {overflow[0]} px wide in a {overflow[1]} px card");
        foreach (var header in new[] { "Labels", "Training", "Dead" })
            Assert.True(await page.Locator("[data-testid=dictionaries-table] th", new() { HasText = header }).IsVisibleAsync(), header);

        var rows = page.Locator("[data-testid=dictionaries-table] tbody tr");
        var analysedRow = rows.Filter(new() { HasText = "analysed" }).Filter(new() { HasNotText = "not analysed" });
        // One definition of dead (density 0 over the analysed tokens) in the table and the summary; alive is the rest.
        var dead = int.Parse((await page.Locator("[data-testid=dead-count]").InnerTextAsync()).Trim());
        Assert.InRange(dead, 4, 24);
        Assert.StartsWith($"{dead} (", (await analysedRow.Locator("[data-testid=dictionary-dead]").InnerTextAsync()).Trim());
        Assert.Equal((24 - dead).ToString(), (await page.Locator("[data-testid=alive-count]").InnerTextAsync()).Trim());
        Assert.Matches(@"^\d+\.\d$", (await analysedRow.Locator("[data-testid=dictionary-l0]").InnerTextAsync()).Trim());
        var unanalysedRow = rows.Filter(new() { HasText = "not analysed yet" }).First;
        Assert.Contains("not measured yet", await unanalysedRow.Locator("[data-testid=dictionary-ce-recovered]").InnerTextAsync());

        // The heading keeps the container's gutter beside the open drawer: a layout that has not settled yet (the drawer's
        // responsive state comes over the circuit) is waited out; one that never gets the gutter fails here.
        await page.WaitForFunctionAsync(GutterBesideDrawer, null, new() { PollingInterval = 100 });
        await BrowserHost.ScreenshotAsync(page, "30-dictionaries-1280-light");
        await BrowserHost.ToggleThemeAsync(page);
        await page.WaitForFunctionAsync(GutterBesideDrawer, null, new() { PollingInterval = 100 });
        await BrowserHost.ScreenshotAsync(page, "30-dictionaries-1280-dark");
        await BrowserHost.ToggleThemeAsync(page);
    }
}
