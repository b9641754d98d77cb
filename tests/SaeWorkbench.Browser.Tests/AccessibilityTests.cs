using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Research.Analysis;

namespace SaeWorkbench.Browser.Tests;

/// <summary>
/// The feature list, the feature page, the dictionaries, jobs, steering, labelling and exports pages and home
/// pass axe-core's WCAG 2 A/AA rules (colour contrast, names, ARIA)
/// in the light and the dark theme. axe-core comes from its npm package (fetched once with <c>npm pack</c>, like the
/// demo corpus) and runs inside Chromium on the rendered page.
/// </summary>
public sealed class AccessibilityTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const string AxeVersion = "4.10.3";

    private static string AxeScript()
    {
        var dir = Path.Combine(Path.GetTempPath(), "saeworkbench-test-tools", $"axe-core-{AxeVersion}");
        var script = Path.Combine(dir, "axe.min.js");
        if (File.Exists(script)) return File.ReadAllText(script);
        Directory.CreateDirectory(dir);
        var npm = Process.Start(new ProcessStartInfo("npm", $"pack axe-core@{AxeVersion} --pack-destination \"{dir}\"")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir,
        }) ?? throw new InvalidOperationException("npm could not be started; it is needed to fetch axe-core for this test.");
        var stderr = npm.StandardError.ReadToEndAsync();
        npm.StandardOutput.ReadToEnd();
        npm.WaitForExit();
        if (npm.ExitCode != 0) throw new InvalidOperationException($"npm pack axe-core@{AxeVersion} failed: {stderr.Result}");
        var tgz = Directory.GetFiles(dir, "axe-core-*.tgz").Single();
        using (var gz = new GZipStream(File.OpenRead(tgz), CompressionMode.Decompress))
        using (var tar = new TarReader(gz))
            while (tar.GetNextEntry() is { } entry)
                if (entry.Name == "package/axe.min.js") { entry.ExtractToFile(script + ".tmp", overwrite: true); break; }
        File.Move(script + ".tmp", script, overwrite: true);
        return File.ReadAllText(script);
    }

    /// <summary>axe's violations of the WCAG 2 A and AA rules on the page as it is now, one line each.</summary>
    private static async Task<List<string>> ViolationsAsync(IPage page, string axe)
    {
        await page.AddScriptTagAsync(new() { Content = axe });
        var json = await page.EvaluateAsync<JsonElement>(
            "async () => (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })).violations" +
            ".map(v => ({ id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 220) + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 160)) }))");
        return json.EnumerateArray().Select(v => $"{v.GetProperty("id").GetString()}: " +
            string.Join(" | ", v.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()))).ToList();
    }

    private async Task<long> SeedAnalysedDictionaryAsync()
    {
        var dbFactory = host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        var dictionary = new SaeDictionary
        {
            Name = "a11y", ModelName = "none", ModelPath = "no-such-model", HookName = "blocks.0.hook_resid_post", Architecture = "topk",
            DIn = 4, DSae = 4, K = 1, SaePath = "/none", MetricsJson = "{}", TrainingConfigJson = "{}",
        };
        db.Dictionaries.Add(dictionary);
        await db.SaveChangesAsync();
        for (var i = 0; i < 4; i++) db.Latents.Add(new Latent { DictionaryId = dictionary.Id, Index = i, Density = 0.01 * (i + 1), MaxActivation = 4 });
        await db.SaveChangesAsync();
        static LatentAnalysisResult Result(int index)
        {
            var ids = Enumerable.Range(100 + index, 41).ToArray();
            var acts = Enumerable.Range(0, 41).Select(t => t == 32 ? 4f : t % 3 == 0 ? 1.5f : 0f).ToArray();
            var example = new DashboardExample(ids, acts, 32, 7, 32);
            var intervals = new List<IntervalSample> { new(0, 0, 4, 100, 1, [example]) };
            var histogram = Enumerable.Range(0, 50).Select(b => (long)(50 - b)).ToArray();
            return new LatentAnalysisResult(new LatentDashboard(new LatentStatistics(index, 100, 10_000, 4, 1), histogram, [example, example], intervals), null, null);
        }
        await host.Services.GetRequiredService<FeatureAnalysisStore>().SaveAsync(new FeatureAnalysisHeader(dictionary.Id, null, "a11y", 10_000, "{}"), 4, Result);
        return dictionary.Id;
    }

    [Fact]
    public async Task The_feature_list_and_page_pass_axe_WCAG_AA_in_both_themes()
    {
        var axe = AxeScript();
        var dictionaryId = await SeedAnalysedDictionaryAsync();
        var page = await host.NewPageAsync();
        await page.GotoAsync("account/register");
        await page.FillAsync("#username", "alt");
        await page.FillAsync("#password", "accessible123");
        await page.FillAsync("#confirm", "accessible123");
        await page.ClickAsync("[data-testid=register-submit]");
        await page.Locator("[data-testid=presence] [data-user='alt']").WaitForAsync();

        var found = new List<string>();
        foreach (var dark in new[] { false, true })
        {
            foreach (var url in new[] { $"dictionaries/{dictionaryId}/features", $"dictionaries/{dictionaryId}/features/2", "dictionaries", "jobs", "steering", "labelling", "exports", "" })
            {
                await page.GotoAsync(url);
                await BrowserHost.WaitInteractiveAsync(page);
                if (await page.Locator("[data-theme=dark]").CountAsync() > 0 != dark)
                {
                    await page.Locator("[data-testid=theme-toggle]").ClickAsync();
                    await page.Locator($"[data-theme={(dark ? "dark" : "light")}]").WaitForAsync();
                }
                found.AddRange((await ViolationsAsync(page, axe)).Select(v => $"{(dark ? "dark" : "light")} {url}: {v}"));
            }
        }
        Assert.True(found.Count == 0, "axe WCAG 2 A/AA violations:\n" + string.Join("\n", found));
    }
}
