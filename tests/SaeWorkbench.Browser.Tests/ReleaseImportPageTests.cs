using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Settings;
using static TorchSharp.torch;

namespace SaeWorkbench.Browser.Tests;

/// <summary>
/// A release of published SAELens dictionaries (the committed fixtures, made by SAELens itself) imported from the
/// Dictionaries page as one job: the page groups the release, shows each member's published L0 and says what the
/// reader folded into the weights or keeps as an input transform (docs/science.md §11).
/// </summary>
public sealed class ReleaseImportPageTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Formats", "Fixtures");

    private static void Copy(string fixture, string target)
    {
        var source = Path.Combine(Fixtures, fixture);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
    }

    [Fact]
    public async Task A_release_imported_from_the_page_is_grouped_with_each_members_L0_and_what_was_folded()
    {
        var root = Path.Combine(host.Services.GetRequiredService<WorkbenchPaths>().DataDirectory, "release-import");
        // A 12-wide GPT-2 (the fixtures' d_in) with the blocks.1 hooks they read.
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat", "a dog ran"], 270);
        manual_seed(3);
        using (var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 16, 12, 2, 2, BosTokenId: tokenizer.EndOfTextId)))
            HuggingFaceGpt2.Save(model, Path.Combine(root, "model"), tokenizer);
        var release = Path.Combine(root, "tiny-saelens-release");
        Copy("saelens-topk-rescaled", Path.Combine(release, "topk-k5"));
        Copy("saelens-jumprelu-nobdec", Path.Combine(release, "jumprelu-nobdec"));
        Copy("saelens-batchtopk-checkpoint", Path.Combine(release, "batchtopk-checkpoint"));

        var page = await host.NewPageAsync();
        await page.GotoAsync("account/register");
        await page.FillAsync("#username", "grace");
        await page.FillAsync("#password", "hopper1906!");
        await page.FillAsync("#confirm", "hopper1906!");
        await page.ClickAsync("[data-testid=register-submit]");
        await page.Locator("[data-testid=presence] [data-user='grace']").WaitForAsync();

        await BrowserHost.NavigateAsync(page, "dictionaries");
        await BrowserHost.WaitInteractiveAsync(page);
        await page.Locator("[data-testid=import-sae-folder]").FillAsync(release);
        await page.Locator("[data-testid=import-model-folder]").FillAsync(Path.Combine(root, "model"));
        await page.ClickAsync("[data-testid=import-release]");
        await BrowserHost.WaitForAddressAsync(page, new Regex("/jobs/\\d+$"));
        await page.Locator("[data-testid=job-state]", new() { HasText = "Succeeded" }).WaitForAsync(new() { Timeout = 120_000 });
        await BrowserHost.ScreenshotAsync(page, "31-release-import-job");

        await BrowserHost.NavigateAsync(page, "dictionaries");
        await BrowserHost.WaitInteractiveAsync(page);
        await page.Locator("[data-testid=release-group]", new() { HasText = "Release tiny-saelens-release — 3 dictionaries" }).WaitForAsync();
        var rows = page.Locator("[data-testid=dictionaries-table] tbody tr");

        // Each member with its published L0 (k for TopK; none for a JumpReLU that does not say) until an analysis measures it.
        var topk = rows.Filter(new() { HasText = "tiny-saelens-release / topk-k5" });
        Assert.StartsWith("5 (published", (await topk.Locator("[data-testid=dictionary-l0]").InnerTextAsync()).Trim());
        var nobdec = rows.Filter(new() { HasText = "tiny-saelens-release / jumprelu-nobdec" });
        Assert.Contains("not measured yet", await nobdec.Locator("[data-testid=dictionary-l0]").InnerTextAsync());

        // What the reader folded or transformed, per member.
        foreach (var details in await page.Locator("[data-testid=import-details] summary").AllAsync()) await details.ClickAsync();
        Assert.Contains("rescale_acts_by_decoder_norm", await topk.Locator("[data-testid=import-details]").InnerTextAsync());
        Assert.Contains("b_dec is not subtracted", await nobdec.Locator("[data-testid=import-details]").InnerTextAsync());
        var batchTopK = rows.Filter(new() { HasText = "tiny-saelens-release / batchtopk-checkpoint" });
        var batchTopKDetails = await batchTopK.Locator("[data-testid=import-details]").InnerTextAsync();
        Assert.Contains("SAELens v6 (batchtopk)", batchTopKDetails);
        Assert.Contains("topk_threshold", batchTopKDetails);
        Assert.Contains("rescale_acts_by_decoder_norm", batchTopKDetails);

        // Opened, the notes wrap inside the Dictionary column: nothing of the table is cut off or scrolled out of its card.
        var overflow = await page.EvaluateAsync<int[]>(
            "() => { const c = document.querySelector('[data-testid=dictionaries-table] .mud-table-container'); return [c.scrollWidth, c.clientWidth]; }");
        Assert.True(overflow[0] <= overflow[1], $"the table is {overflow[0]} px wide in a {overflow[1]} px card");

        await BrowserHost.ScreenshotAsync(page, "31-release-import-light");
        await BrowserHost.ToggleThemeAsync(page);
        await BrowserHost.ScreenshotAsync(page, "31-release-import-dark");
        await BrowserHost.ToggleThemeAsync(page);
    }
}
