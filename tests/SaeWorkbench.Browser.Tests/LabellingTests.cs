using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Accounts;

namespace SaeWorkbench.Browser.Tests;

public sealed class LabellingTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private async Task<long> ArrangeAsync()
    {
        await using var scope = host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var (admin, _) = await accounts.RegisterAsync("alice", "wonderland1");
        var (reviewer, _) = await accounts.RegisterAsync("bob", "builder123");
        Assert.Empty(await accounts.SetRoleAsync(reviewer!.Id, WorkbenchRoles.Reviewer));
        var db = scope.ServiceProvider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var ctx = await db.CreateDbContextAsync();
        var d = new SaeDictionary { Name = "labels", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 3, SaePath = "/none" };
        ctx.Dictionaries.Add(d);
        await ctx.SaveChangesAsync();
        for (var i = 0; i < 3; i++) ctx.Latents.Add(new Latent { DictionaryId = d.Id, Index = i, Density = 0.01 * (i + 1) });
        await ctx.SaveChangesAsync();
        return d.Id;
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
    public async Task Interpretation_appears_live_votes_update_live_review_sets_consensus_and_payloads_run_nothing()
    {
        var dictionaryId = await ArrangeAsync();
        var a = await host.NewPageAsync();
        var b = await host.NewPageAsync();
        var dialogs = new List<string>();
        a.Dialog += (_, d) => { dialogs.Add(d.Message); _ = d.DismissAsync(); };
        b.Dialog += (_, d) => { dialogs.Add(d.Message); _ = d.DismissAsync(); };
        await LoginAsync(a, "alice", "wonderland1");
        await LoginAsync(b, "bob", "builder123");
        var latentUrl = $"dictionaries/{dictionaryId}/features/1";
        await a.GotoAsync(latentUrl);
        await b.GotoAsync(latentUrl);
        await BrowserHost.WaitInteractiveAsync(a);
        await BrowserHost.WaitInteractiveAsync(b);
        await a.Locator("[data-testid=interpretation-form]").WaitForAsync();
        await b.Locator("[data-testid=labelling-panel]").WaitForAsync();

        // B starts typing a comment; A's new interpretation must not wipe it.
        await b.Locator("textarea[data-testid=new-comment], [data-testid=new-comment] textarea").First.FillAsync("half-written thought");

        await a.Locator("input[data-testid=new-label], [data-testid=new-label] input").First.FillAsync("years <script>alert(3)</script>");
        await a.Locator("textarea[data-testid=new-description], [data-testid=new-description] textarea").First.FillAsync("Fires on dates <img src=x onerror=alert(1)> and [click](javascript:alert(2)) and [ok](https://example.org)");
        await a.Locator("[data-testid=description-preview]").WaitForAsync();
        await a.ClickAsync("[data-testid=save-interpretation]");

        var onB = b.Locator("[data-testid=interpretation]");
        await onB.Locator("[data-testid=interpretation-label]", new() { HasText = "years" }).WaitForAsync(new() { Timeout = 5_000 });
        Assert.Equal("half-written thought", await b.Locator("textarea[data-testid=new-comment], [data-testid=new-comment] textarea").First.InputValueAsync());

        // B votes up; A sees the score change without reloading.
        await onB.Locator("[data-testid=vote-up]").ClickAsync();
        await a.Locator("[data-testid=interpretation] [data-testid=score]", new() { HasText = "1" }).WaitForAsync(new() { Timeout = 5_000 });

        // B (Reviewer) accepts; the list shows the consensus label.
        await onB.Locator("[data-testid=accept]").ClickAsync();
        await a.Locator("[data-testid=review-status]", new() { HasText = "Accepted" }).WaitForAsync(new() { Timeout = 5_000 });
        await a.Locator("[data-testid=feature-title]", new() { HasText = "years" }).WaitForAsync(new() { Timeout = 5_000 });
        await BrowserHost.ScreenshotAsync(a, "10-labelling-panel");
        await a.GotoAsync($"dictionaries/{dictionaryId}/features");
        var row = a.Locator("[data-testid=feature-table] tr[data-index='1']");
        await row.GetByText("Accepted").WaitForAsync();
        Assert.Contains("years", await row.InnerTextAsync());

        // Nothing executed; no event handler or javascript: link reached the DOM.
        await b.WaitForTimeoutAsync(300);
        Assert.Empty(dialogs);
        var description = b.Locator("[data-testid=interpretation-description]").First;
        Assert.Equal(0, await description.Locator("img, [onerror], a[href^='javascript' i]").CountAsync());
        Assert.Equal(1, await description.Locator("a[href='https://example.org']").CountAsync());
        Assert.Contains("<img src=x onerror=alert(1)>", await description.InnerTextAsync()); // shown as text, inert
        Assert.Equal(0, await b.Locator("[data-testid=labelling-panel] script").CountAsync());
    }
}
