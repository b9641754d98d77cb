using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Research.Analysis;

namespace SaeWorkbench.Browser.Tests;

/// <summary>
/// A feature page's example contexts look the same before and after the page goes live: the DOM that Chromium builds
/// from the prerendered HTML (JavaScript off) and the DOM after the interactive render hold the same context rows in the
/// same containers. The dashboard is a full one (20 top contexts, 5 intervals of 5) of 64-token contexts, so its markup
/// is several of the cache's pieces long.
/// </summary>
public sealed class FeaturePageRenderTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const int TopContexts = 20, Intervals = 5, PerInterval = 5;

    // Each container of example rows, with its rows' classes, children and text; and how many rows sit outside one.
    private const string DescribeExamples = """
        html => {
          const doc = html ? new DOMParser().parseFromString(html, 'text/html') : document;
          const containers = '[data-testid=top-examples], [data-testid=interval]';
          const rows = [...doc.querySelectorAll('#main-content .example')];
          const lines = ['rows ' + rows.length, 'outside ' + rows.filter(r => !r.parentElement.matches(containers)).length];
          for (const h of doc.querySelectorAll('#main-content h2')) lines.push('h2 ' + h.textContent.trim());
          for (const c of doc.querySelectorAll(containers)) {
            const own = [...c.querySelectorAll(':scope > .example')];
            lines.push(`${c.dataset.testid} .${c.className} "${c.querySelector(':scope > h3')?.textContent.trim() ?? ''}" rows=${own.length} all=${c.querySelectorAll('.example').length}`);
            for (const r of own)
              lines.push(`  .${r.className} ${[...r.children].map(x => x.tagName + '.' + x.className).join(' ')} | ${r.textContent.replace(/\s+/g, ' ').trim()}`);
          }
          return lines;
        }
        """;

    [Fact]
    public async Task The_prerendered_and_the_interactive_feature_page_hold_the_same_context_rows_in_the_same_containers()
    {
        var dictionaryId = await SeedFullDashboardAsync();
        var page = await host.NewPageAsync();
        await page.GotoAsync("account/register");
        await page.FillAsync("#username", "render");
        await page.FillAsync("#password", "samedom12345");
        await page.FillAsync("#confirm", "samedom12345");
        await page.ClickAsync("[data-testid=register-submit]");
        await page.Locator("[data-testid=presence] [data-user='render']").WaitForAsync();
        var path = $"dictionaries/{dictionaryId}/features/0";

        // JavaScript off: what the server prerendered, as Chromium parses it.
        var staticContext = await host.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = host.BaseAddress.ToString(), JavaScriptEnabled = false, StorageState = await page.Context.StorageStateAsync(),
            ViewportSize = new() { Width = 1280, Height = 800 },
        });
        var staticPage = await staticContext.NewPageAsync();
        await staticPage.GotoAsync(path);
        var prerendered = await staticPage.ContentAsync();
        await staticContext.CloseAsync();

        // JavaScript on: the same page once its circuit has rendered it interactively.
        await page.GotoAsync(path);
        await BrowserHost.WaitInteractiveAsync(page);
        await page.Locator("[data-testid=interval]").Nth(Intervals - 1).WaitForAsync();
        var before = await page.EvaluateAsync<string[]>(DescribeExamples, prerendered);
        var after = await page.EvaluateAsync<string[]>(DescribeExamples, "");

        Assert.Equal("rows " + (TopContexts + Intervals * PerInterval), before[0]);
        Assert.Equal("outside 0", before[1]);
        Assert.Contains(before, l => l.StartsWith("top-examples", StringComparison.Ordinal) && l.EndsWith($"rows={TopContexts} all={TopContexts}", StringComparison.Ordinal));
        Assert.Equal(Intervals, before.Count(l => l.StartsWith("interval", StringComparison.Ordinal) && l.EndsWith($"rows={PerInterval} all={PerInterval}", StringComparison.Ordinal)));
        Assert.Equal(string.Join('\n', before), string.Join('\n', after));
        // Every row is in the monospace font of an example row, live as well.
        var fonts = await page.EvaluateAsync<string[]>("() => [...new Set([...document.querySelectorAll('#main-content .example')].map(r => getComputedStyle(r).fontFamily))]");
        Assert.Equal(["monospace"], fonts);
    }

    /// <summary>A one-latent dictionary whose analysis is a full dashboard of 64-token contexts, saved by the real store.</summary>
    private async Task<long> SeedFullDashboardAsync()
    {
        var dbFactory = host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        var dictionary = new SaeDictionary
        {
            Name = "render", ModelName = "none", ModelPath = "no-such-model", HookName = "blocks.0.hook_resid_post", Architecture = "topk",
            DIn = 4, DSae = 1, K = 1, SaePath = "/none", MetricsJson = "{}", TrainingConfigJson = "{}",
        };
        db.Dictionaries.Add(dictionary);
        await db.SaveChangesAsync();
        db.Latents.Add(new Latent { DictionaryId = dictionary.Id, Index = 0, Density = 0.01, MaxActivation = 9 });
        await db.SaveChangesAsync();
        var rng = new Random(22);
        DashboardExample Example(float peak, int window) => new(
            Enumerable.Range(0, 64).Select(_ => rng.Next(50_000)).ToArray(),
            Enumerable.Range(0, 64).Select(t => t == 40 ? peak : (float)rng.NextDouble()).ToArray(), 40, window, 40);
        var top = Enumerable.Range(0, TopContexts).Select(r => Example(9f - r * 0.1f, r)).ToList();
        var intervals = Enumerable.Range(0, Intervals).Select(b => new IntervalSample(b, b * 1.8, (b + 1) * 1.8, 100, 0.2,
            Enumerable.Range(0, PerInterval).Select(r => Example((float)(b * 1.8 + 1), 100 + b * 10 + r)).ToList())).ToList();
        var histogram = Enumerable.Range(0, 50).Select(b => (long)(50 - b)).ToArray();
        await host.Services.GetRequiredService<FeatureAnalysisStore>().SaveAsync(new FeatureAnalysisHeader(dictionary.Id, null, "render", 10_000, "{}"), 1,
            _ => new LatentAnalysisResult(new LatentDashboard(new LatentStatistics(0, 100, 10_000, 9, 1), histogram, top, intervals), null, null));
        return dictionary.Id;
    }
}
