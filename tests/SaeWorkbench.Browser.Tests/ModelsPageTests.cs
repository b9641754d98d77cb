using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Web.Tests;

namespace SaeWorkbench.Browser.Tests;

public sealed class ModelsPageTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    [Fact]
    public async Task An_Admin_sees_found_models_registers_one_after_every_problem_is_listed_and_reads_its_hook_points()
    {
        // Folders under the host's data directory, one of the import roots: a complete tiny model and a broken one.
        var data = host.Services.GetRequiredService<SaeWorkbench.Research.Settings.WorkbenchPaths>().DataDirectory;
        var (model, _) = TinyWorld.Create(Path.Combine(data, "zoo"));
        var broken = Directory.CreateDirectory(Path.Combine(data, "zoo", "half-copied")).FullName;
        File.WriteAllText(Path.Combine(broken, "model.safetensors.index.json"), """{"weight_map":{"lm_head.weight":"model-00001-of-00002.safetensors"}}""");

        var page = await host.NewPageAsync();
        await page.GotoAsync("account/register");
        await page.FillAsync("#username", "ada");
        await page.FillAsync("#password", "lovelace1815");
        await page.FillAsync("#confirm", "lovelace1815");
        await page.ClickAsync("[data-testid=register-submit]");
        await page.Locator("[data-testid=presence] [data-user='ada']").WaitForAsync();

        await BrowserHost.NavigateAsync(page, "models");
        await BrowserHost.WaitInteractiveAsync(page);
        await page.Locator("[data-testid=found-model]", new() { HasText = "gpt2" }).First.WaitForAsync();

        await page.Locator("[data-testid=register-path]").FillAsync(broken);
        await page.ClickAsync("[data-testid=register-button]");
        var problems = page.Locator("[data-testid=register-problems]");
        await problems.WaitForAsync();
        await Microsoft.Playwright.Assertions.Expect(problems).ToContainTextAsync("No config.json in the folder");
        await Microsoft.Playwright.Assertions.Expect(problems).ToContainTextAsync("Shard model-00001-of-00002.safetensors listed in model.safetensors.index.json is missing.");
        await Microsoft.Playwright.Assertions.Expect(problems).ToContainTextAsync("No tokenizer");

        await page.Locator("[data-testid=register-path]").FillAsync(model);
        await page.Locator("[data-testid=register-name]").FillAsync("tiny president");
        await page.ClickAsync("[data-testid=register-button]");
        var row = page.Locator("[data-testid=registered-model]", new() { HasText = "tiny president" });
        await row.WaitForAsync();
        await Microsoft.Playwright.Assertions.Expect(row).ToContainTextAsync("gpt2");
        await Microsoft.Playwright.Assertions.Expect(row).ToContainTextAsync("fits");
        await Microsoft.Playwright.Assertions.Expect(row.Locator("[data-testid=model-usage]")).ToHaveTextAsync("not used");

        await row.Locator("[data-testid=model-name]").ClickAsync();
        var hooks = page.Locator("[data-testid=hook-point]", new() { HasText = "blocks.1.hook_resid_post" });
        await Microsoft.Playwright.Assertions.Expect(hooks).ToContainTextAsync("output of transformer.h.1");

        await BrowserHost.ScreenshotAsync(page, "models-page");
        await BrowserHost.ToggleThemeAsync(page);
        await BrowserHost.ScreenshotAsync(page, "models-page-dark");
    }
}
