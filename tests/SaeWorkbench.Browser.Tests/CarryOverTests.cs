using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.CarryOver;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using static TorchSharp.torch;

namespace SaeWorkbench.Browser.Tests;

public sealed class CarryOverTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    [Fact]
    public async Task A_labeller_sees_a_carried_over_label_on_the_feature_page_and_accepts_it()
    {
        var work = Directory.CreateTempSubdirectory("wb-carry-").FullName;
        try
        {
            await using var scope = host.Services.CreateAsyncScope();
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            var (admin, _) = await accounts.RegisterAsync("olga", "carryover1");
            var (labeler, _) = await accounts.RegisterAsync("lars", "carryover2");
            Assert.Empty(await accounts.SetRoleAsync(labeler!.Id, WorkbenchRoles.Labeler));
            long[] ids = new long[2];
            int[] permutation = [3, 0, 4, 1, 2];
            var registry = host.Services.GetRequiredService<DictionaryRegistry>();
            for (var n = 0; n < 2; n++)
            {
                using var g = new TorchSharp.torch.Generator(21);
                var wDec = randn([5, 4], generator: g);
                if (n == 1) wDec = wDec.index_select(0, tensor(permutation.Select(i => (long)i).ToArray()));
                using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, wDec.t().contiguous(), zeros(5), wDec, zeros(4), null);
                var folder = Path.Combine(work, $"sae{n}");
                SaeLensFolder.Save(folder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = "blocks.1.hook_resid_post" });
                ids[n] = (await registry.RegisterAsync(folder, n == 0 ? "first run" : "retrained", null, "{}", "{}", 100, null, admin!.Id)).Id;
            }
            var labelling = host.Services.GetRequiredService<LabellingService>();
            var olga = new Actor(admin!.Id, "olga", Role.Admin);
            var lars = new Actor(labeler.Id, "lars", Role.Labeler);
            var oldLatent = (await host.Services.GetRequiredService<SaeWorkbench.Research.Features.FeatureCatalog>()
                .QueryAsync(ids[0], new SaeWorkbench.Research.Features.FeatureQuery())).Rows.Single(l => l.Index == 4).LatentId;
            var i = await labelling.CreateInterpretationAsync(olga, oldLatent, new InterpretationDraft("sports scores", "", 4, "entity"));
            Assert.True((await labelling.VoteAsync(lars, i.Value!.Id, 1)).Succeeded);
            var summary = await host.Services.GetRequiredService<LabelCarryOver>().SuggestAsync(olga, ids[1]);
            Assert.Equal((5, 1), (summary.Value!.Matches, summary.Value.Suggestions));

            var newIndex = Array.IndexOf(permutation, 4);
            var page = await host.NewPageAsync();
            await page.GotoAsync("account/login");
            await page.FillAsync("#username", "lars");
            await page.FillAsync("#password", "carryover2");
            await page.ClickAsync("[data-testid=login-submit]");
            await page.Locator("[data-testid=presence] [data-user='lars']").WaitForAsync();
            await page.GotoAsync($"dictionaries/{ids[1]}/features/{newIndex}");
            await BrowserHost.WaitInteractiveAsync(page);
            var suggestion = page.Locator("[data-testid=label-suggestion]");
            await suggestion.WaitForAsync();
            Assert.Contains("sports scores", await suggestion.InnerTextAsync());
            Assert.Contains("from dictionary first run (latent 4), cosine 1.00", await suggestion.InnerTextAsync());
            await BrowserHost.ScreenshotAsync(page, "export-04-carryover-suggestion");
            await page.ClickAsync("[data-testid=accept-suggestion]");
            await suggestion.WaitForAsync(new() { State = WaitForSelectorState.Detached });
            await page.Locator("[data-testid=labelling-panel]", new() { HasText = "sports scores" }).WaitForAsync();

            await using var db = await host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync();
            var created = await (from x in db.Interpretations join l in db.Latents on x.LatentId equals l.Id
                                 where l.DictionaryId == ids[1] select new { l.Index, x.Label, x.AuthorId }).SingleAsync();
            Assert.Equal((newIndex, "sports scores", labeler.Id), (created.Index, created.Label, created.AuthorId));
            Assert.Equal(1, await db.AuditLog.CountAsync(a => a.Action == "suggestion.accept" && a.UserId == labeler.Id));
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
    }
}
