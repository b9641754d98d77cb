using System.IO.Compression;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using static TorchSharp.torch;

namespace SaeWorkbench.Browser.Tests;

public sealed class ExportReportTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const int DSae = 6;

    /// <summary>A tiny SAE with an analysis and three labelled latents (one with a Markdown description that links out and embeds an image).</summary>
    private async Task<long> ArrangeAsync(string folder)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var (admin, _) = await accounts.RegisterAsync("erin", "exporter12");
        var (reviewer, _) = await accounts.RegisterAsync("rex", "reviewer12");
        var (labeler, _) = await accounts.RegisterAsync("lia", "labeller12");
        Assert.Empty(await accounts.SetRoleAsync(reviewer!.Id, WorkbenchRoles.Reviewer));
        Assert.Empty(await accounts.SetRoleAsync(labeler!.Id, WorkbenchRoles.Labeler));

        using (var g = new TorchSharp.torch.Generator(11))
        using (var sae = new SparseAutoencoder(SaeArchitecture.TopK, 2, randn([4, DSae], generator: g), zeros(DSae), randn([DSae, 4], generator: g), zeros(4), null))
            SaeLensFolder.Save(folder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = "blocks.0.hook_resid_post", ContextSize = 8 });
        var dictionary = await host.Services.GetRequiredService<DictionaryRegistry>().RegisterAsync(folder, "report-demo", null,
            "{\"l0\":2.0,\"fvu\":0.31,\"ce_loss_recovered\":0.87}", "{}", 1000, null, admin!.Id);
        await host.Services.GetRequiredService<FeatureAnalysisStore>().SaveAsync(new FeatureAnalysisHeader(dictionary.Id, null, "c", 500, "{}"), DSae, i =>
        {
            var ex = new DashboardExample([1, 2 + i, 3], [0.2f, 1f + i, 0f], 1, i, 0);
            var stats = new LatentStatistics(i, 5 + i, 500, 1f + i, 0.5);
            var h = new long[50];
            h[49] = 5 + i;
            return new LatentAnalysisResult(new LatentDashboard(stats, h, [ex], [.. Enumerable.Range(0, 5).Select(j => new IntervalSample(j, 0, 0, 0, 0, []))]),
                new LatentLogitEffects(i, [new TokenEffect(7, 1.5f)], [new TokenEffect(8, -0.5f)], new long[50], -0.5f, 1.5f), null);
        });

        var labelling = host.Services.GetRequiredService<LabellingService>();
        var lia = new Actor(labeler.Id, "lia", Role.Labeler);
        var rex = new Actor(reviewer.Id, "rex", Role.Reviewer);
        var erin = new Actor(admin.Id, "erin", Role.Admin);
        var catalog = host.Services.GetRequiredService<SaeWorkbench.Research.Features.FeatureCatalog>();
        async Task<long> Latent(int index) => (await catalog.QueryAsync(dictionary.Id, new SaeWorkbench.Research.Features.FeatureQuery())).Rows.Single(l => l.Index == index).LatentId;
        var one = await labelling.CreateInterpretationAsync(lia, await Latent(1), new InterpretationDraft("dollar amounts", "Fires on **prices**; see ![chart](https://example.org/chart.png) and https://example.org/more", 4, "lexical-token"));
        Assert.True(one.Succeeded, one.Validation.ToString());
        Assert.True((await labelling.VoteAsync(rex, one.Value!.Id, 1)).Succeeded);
        Assert.True((await labelling.ReviewAsync(rex, one.Value.Id, ReviewStatus.Accepted, null)).Succeeded);
        var two = await labelling.CreateInterpretationAsync(lia, await Latent(3), new InterpretationDraft("legal citations", "Statutes and <script>alert(1)</script> sections", 3, "topic-semantic"));
        Assert.True((await labelling.VoteAsync(erin, two.Value!.Id, 1)).Succeeded);
        Assert.True((await labelling.CreateInterpretationAsync(rex, await Latent(4), new InterpretationDraft("quote marks", "", 2, null))).Succeeded);
        return dictionary.Id;
    }

    private static async Task LoginAsync(IPage page, string user, string password)
    {
        await page.GotoAsync("account/login");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("[data-testid=login-submit]");
        await page.Locator($"[data-testid=presence] [data-user='{user}']").WaitForAsync();
    }

    [Fact]
    public async Task A_reviewer_exports_from_the_exports_page_and_the_report_opens_standalone_with_no_errors_and_no_requests()
    {
        var work = Directory.CreateTempSubdirectory("wb-report-").FullName;
        try
        {
            var dictionaryId = await ArrangeAsync(Path.Combine(work, "sae"));
            var page = await host.NewPageAsync();
            await LoginAsync(page, "rex", "reviewer12");
            await page.GotoAsync("exports");
            await BrowserHost.WaitInteractiveAsync(page);
            await page.ClickAsync("[data-testid=start-export]");
            var link = page.Locator("[data-testid=download-bundle]").First;
            await link.WaitForAsync(new() { Timeout = 60_000 });
            await BrowserHost.ScreenshotAsync(page, "export-01-exports-page");
            var href = await link.GetAttributeAsync("href");
            var response = await page.Context.APIRequest.GetAsync(href!);
            Assert.Equal(200, response.Status);
            Assert.Equal("application/zip", response.Headers["content-type"]);
            var zip = Path.Combine(work, "bundle.zip");
            await File.WriteAllBytesAsync(zip, await response.BodyAsync());
            var bundle = Path.Combine(work, "bundle");
            ZipFile.ExtractToDirectory(zip, bundle);
            Assert.Equal(DSae, File.ReadAllLines(Path.Combine(bundle, "catalog.jsonl")).Length);

            // The report, opened from disk: no console errors, no page errors, and no request besides the file itself.
            var context = await host.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = 1100, Height = 900 } });
            var report = await context.NewPageAsync();
            var errors = new List<string>();
            var requests = new List<string>();
            report.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add(m.Text); };
            report.PageError += (_, e) => errors.Add(e);
            report.Request += (_, r) => requests.Add(r.Url);
            var url = new Uri(Path.Combine(bundle, "report.html")).AbsoluteUri;
            await report.GotoAsync(url);
            await report.WaitForLoadStateAsync(LoadState.NetworkIdle);
            Assert.Equal([url], requests);
            Assert.Empty(errors);

            // Summary, contents by tag, sanitised Markdown (the image became a link; the script tag is text), contexts with the peak marked.
            Assert.Equal("report-demo — feature catalog", await report.Locator("h1").InnerTextAsync());
            Assert.Equal(3, await report.Locator("article.latent").CountAsync());
            Assert.Equal(3, await report.Locator("nav#toc li a[href^='#tag-']").CountAsync());
            Assert.Equal(0, await report.Locator("img, script[src], link[rel=stylesheet]").CountAsync());
            Assert.Equal(1, await report.Locator("#latent-1 .md strong").CountAsync());
            Assert.Equal(0, await report.Locator("article script").CountAsync());
            Assert.True(await report.Locator("#latent-1 ol.contexts mark").CountAsync() > 0);
            Assert.Contains("Accepted", await report.Locator("#latent-1 h3").InnerTextAsync());
            await BrowserHost.ScreenshotAsync(report, "export-02-report");

            // The search box filters latents client-side.
            await report.FillAsync("[data-testid=report-search]", "citations");
            Assert.Equal(1, await report.Locator("article.latent:not(.hidden)").CountAsync());
            Assert.Contains("1 of 3", await report.Locator("#hits").InnerTextAsync());
            await report.FillAsync("[data-testid=report-search]", "");
            Assert.Equal(3, await report.Locator("article.latent:not(.hidden)").CountAsync());

            // Printed to PDF (print CSS: no search box, every latent shown).
            await report.EmulateMediaAsync(new() { Media = Media.Print });
            Assert.False(await report.Locator(".search").IsVisibleAsync());
            await BrowserHost.ScreenshotAsync(report, "export-03-report-print");
            var pdf = await report.PdfAsync(new() { Format = "A4", PrintBackground = true });
            Assert.True(pdf.Length > 1000);
            Assert.Equal("%PDF", System.Text.Encoding.ASCII.GetString(pdf, 0, 4));
            Assert.Equal([url], requests);
            Assert.Empty(errors);
            await context.CloseAsync();
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
    }
}
