using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Web.Tests;
using static TorchSharp.torch;

namespace SaeWorkbench.Browser.Tests;

/// <summary>
/// The feature page a new user meets — header with model, hook and dictionary, readable token chips, the help dialog,
/// the "g" + digits line, a missing index, test text that runs when focus leaves the box — and the "what fires on this
/// text" page with blind mode, on an analysed tiny dictionary.
/// </summary>
public sealed class LatentPageTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const string Password = "latent-pass1";
    private const string Hook = "blocks.1.hook_resid_post";

    private sealed record World(long DictionaryId, int LatentCount, int Busiest, string RootId);

    private static readonly ConditionalWeakTable<BrowserHost, Task<World>> Worlds = new();

    /// <summary>A tiny model, a random SAE registered as "chips" and analysed, every latent labelled "label {index}"; once per host.</summary>
    private Task<World> WorldAsync() => Worlds.GetValue(host, h => ArrangeAsync(h));

    private static async Task<World> ArrangeAsync(BrowserHost host)
    {
        var folder = Path.Combine(host.Services.GetRequiredService<WorkbenchPaths>().DataDirectory, "latent-page");
        var (model, corpus) = TinyWorld.Create(folder);
        var saeFolder = Path.Combine(folder, "sae");
        using (NewDisposeScope())
        {
            using var gen = new Generator().manual_seed(11);
            using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 16, 12 }, generator: gen),
                randn(new long[] { 12 }, generator: gen) - 0.3, randn(new long[] { 12, 16 }, generator: gen), zeros(16));
            SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = Hook, ContextSize = 32 });
        }
        var dictionary = await host.Services.GetRequiredService<DictionaryRegistry>().RegisterAsync(saeFolder, "chips", model, "{}", "{}", 0, null, null);
        FeatureAnalysisPipeline.Run(new FeatureAnalysisRequest { DictionaryId = dictionary.Id, Corpus = corpus, Tokens = 1200, WindowsPerBatch = 8 },
            model, saeFolder, corpus, host.Services.GetRequiredService<FeatureAnalysisStore>(), null, (_, _) => { }, CancellationToken.None);
        var dbFactory = host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        var latents = await db.Latents.Where(l => l.DictionaryId == dictionary.Id).ToListAsync();
        foreach (var l in latents)
        {
            l.ConsensusLabel = $"label {l.Index}";
            l.LabelStatus = LabelStatus.Accepted;
        }
        await db.SaveChangesAsync();
        var busiest = latents.Where(l => !l.IsDead).MaxBy(l => l.Density ?? 0)!.Index;
        await using var scope = host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var (root, rootErrors) = await accounts.RegisterAsync("root", Password); // the first account is the Admin
        Assert.True(root is not null, string.Join(" ", rootErrors));
        var (lena, errors) = await accounts.RegisterAsync("lena", Password);
        Assert.True(lena is not null, string.Join(" ", errors));
        Assert.Empty(await accounts.SetRoleAsync(lena!.Id, WorkbenchRoles.Labeler));
        return new World(dictionary.Id, latents.Count, busiest, root!.Id);
    }

    private async Task<IPage> LoginAsync(string user)
    {
        var page = await host.NewPageAsync();
        await page.GotoAsync("account/login");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("[data-testid=login-submit]");
        await page.Locator($"[data-testid=presence] [data-user='{user}']").WaitForAsync();
        return page;
    }

    [Fact]
    public async Task The_feature_page_names_its_source_shows_every_token_chip_and_answers_the_keyboard()
    {
        var world = await WorldAsync();
        var page = await LoginAsync("root");
        var url = $"dictionaries/{world.DictionaryId}/features/{world.Busiest}";
        await page.GotoAsync(url);
        await BrowserHost.WaitInteractiveAsync(page);

        // The header says which SAE this is.
        var source = await page.Locator("[data-testid=feature-source]").InnerTextAsync();
        Assert.Contains("chips", source);
        Assert.Equal("tiny", await page.Locator("[data-testid=feature-model]").InnerTextAsync());
        Assert.Equal(Hook, await page.Locator("[data-testid=feature-hook]").InnerTextAsync());

        // Every promoted and suppressed token is a readable, non-empty chip (byte tokens as <0xNN>, never "�").
        var chips = await page.Locator("[data-testid=logit-tokens] .logit").AllInnerTextsAsync();
        Assert.NotEmpty(chips);
        Assert.All(chips, c => Assert.True(c.Trim().Length > 0 && !c.Contains('\uFFFD'), $"chip \"{c}\""));

        // Focus lands on the heading after load (for screen readers) without a ring.
        await page.Locator("h1").FocusAsync();
        Assert.Equal("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('h1')).outlineStyle"));

        // "?" opens the help as a dialog that takes the focus; Esc closes it.
        await page.Keyboard.PressAsync("?");
        var help = page.Locator("[data-testid=keyboard-help]");
        await help.WaitForAsync();
        Assert.Contains("go to a latent by index", await help.InnerTextAsync());
        await page.WaitForFunctionAsync("() => !!document.activeElement?.closest('.mud-dialog-container')");
        await BrowserHost.ScreenshotAsync(page, "40-feature-page-help-dialog");
        await page.Keyboard.PressAsync("Escape");
        await help.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        // "g" and digits show what is typed; Esc cancels; Enter goes there.
        var jump = page.Locator("[data-testid=jump-indicator]");
        await page.Keyboard.PressAsync("g");
        await page.Keyboard.PressAsync("1");
        await page.Keyboard.PressAsync("2");
        Assert.Contains("#12", await jump.InnerTextAsync());
        Assert.True(await jump.IsVisibleAsync());
        await page.Keyboard.PressAsync("Escape");
        Assert.False(await jump.IsVisibleAsync());
        await page.Keyboard.PressAsync("g");
        await page.Keyboard.PressAsync("3");
        await page.Keyboard.PressAsync("Enter");
        await BrowserHost.WaitForAddressAsync(page, new Regex($"/dictionaries/{world.DictionaryId}/features/3(\\?.*)?$"));
        await page.Locator("[data-testid=feature-title]", new() { HasText = "#3" }).WaitForAsync();

        // Test text runs when focus leaves the box before typing pauses long enough for the debounce.
        await page.GotoAsync(url);
        await BrowserHost.WaitInteractiveAsync(page);
        var box = page.Locator("textarea[data-testid=test-text-input], [data-testid=test-text-input] textarea").First;
        await box.FillAsync("the army and the navy");
        await box.PressAsync("Tab");
        await page.Locator("[data-testid=test-text-heatmap] .tok").First.WaitForAsync(new() { Timeout = 30_000 });

        await BrowserHost.ScreenshotAsync(page, "41-feature-page-light");
        await BrowserHost.ToggleThemeAsync(page);
        await BrowserHost.ScreenshotAsync(page, "41-feature-page-dark");
        await BrowserHost.ToggleThemeAsync(page);

        // An index past the end says so and offers the list and the nearest latent.
        await page.GotoAsync($"dictionaries/{world.DictionaryId}/features/{world.LatentCount + 40}");
        await BrowserHost.WaitInteractiveAsync(page);
        Assert.Contains($"has no latent #{world.LatentCount + 40}", await page.Locator("[data-testid=missing-latent]").InnerTextAsync());
        Assert.EndsWith($"dictionaries/{world.DictionaryId}/features", await page.Locator("[data-testid=missing-back]").GetAttributeAsync("href"));
        await BrowserHost.ScreenshotAsync(page, "42-feature-page-missing");
        await page.Locator("[data-testid=missing-nearest]").ClickAsync();
        await page.Locator("[data-testid=feature-title]", new() { HasText = $"#{world.LatentCount - 1}" }).WaitForAsync();
    }

    [Fact]
    public async Task What_fires_lists_each_tokens_latents_with_labels_blind_mode_hides_them_and_a_click_opens_the_latent()
    {
        var world = await WorldAsync();
        var root = await LoginAsync("root");
        const string text = "the president spoke to the congress";
        await RunAsync(root, world, text);
        var rows = root.Locator("[data-testid=what-fires-table] tbody tr");
        Assert.True(await rows.CountAsync() >= 5);
        Assert.Contains("label", await root.Locator("[data-testid=what-fires-table]").InnerTextAsync());
        await BrowserHost.ScreenshotAsync(root, "43-what-fires-light");
        await BrowserHost.ToggleThemeAsync(root);
        await BrowserHost.ScreenshotAsync(root, "43-what-fires-dark");
        await BrowserHost.ToggleThemeAsync(root);

        // A blind scope over the dictionary: a Labeler who has written nothing sees no one's labels, the Admin still does.
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var queue = scope.ServiceProvider.GetRequiredService<LabellingQueueService>();
            var admin = new Actor(world.RootId, "root", SaeWorkbench.Data.Accounts.Role.Admin);
            var created = await queue.CreateScopeAsync(admin, new ScopeRequest(world.DictionaryId, "blind", "Dictionary", null, true, 1, 15));
            Assert.True(created.Succeeded, created.Validation.ToString());
        }
        var lena = await LoginAsync("lena");
        await RunAsync(lena, world, text);
        Assert.Equal(0, await lena.Locator("[data-testid=what-fires-tokens] .firing-label").CountAsync());
        Assert.Contains("unlabelled", await lena.Locator("[data-testid=what-fires-over-text]").InnerTextAsync());
        await RunAsync(root, world, text);
        Assert.True(await root.Locator("[data-testid=what-fires-tokens] .firing-label").CountAsync() > 0);

        // A latent links to its page.
        var first = root.Locator("[data-testid=what-fires-latent]").First;
        var index = await first.GetAttributeAsync("data-index");
        await first.ClickAsync();
        await BrowserHost.WaitForAddressAsync(root, new Regex($"/dictionaries/{world.DictionaryId}/features/{index}$"));
        await root.Locator("[data-testid=feature-title]", new() { HasText = $"#{index}" }).WaitForAsync();
    }

    private static async Task RunAsync(IPage page, World world, string text)
    {
        await page.GotoAsync($"what-fires?dictionary={world.DictionaryId}");
        await BrowserHost.WaitInteractiveAsync(page);
        await page.Locator("textarea[data-testid=what-fires-text], [data-testid=what-fires-text] textarea").First.FillAsync(text);
        await page.Locator("[data-testid=what-fires-run]").ClickAsync();
        await page.Locator("[data-testid=what-fires-table] tbody tr").First.WaitForAsync(new() { Timeout = 30_000 });
    }
}
