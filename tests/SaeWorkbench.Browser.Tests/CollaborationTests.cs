using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Browser.Tests;

/// <summary>
/// Collaboration in the browser, two contexts as two people: consensus on the list page follows a review live, the conflict
/// dialog, edit history, the keyboard (u/d/e/Ctrl+Enter), who else is viewing, the notification bell and the audit page.
/// </summary>
public sealed class CollaborationTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const string Password = "collab-pass1";

    /// <summary>carol (Admin, first account), dave (Reviewer), erin (Labeler); a dictionary of three latents; carol's interpretation of latent #1.</summary>
    private async Task<(long DictionaryId, long LatentId, long InterpretationId)> ArrangeAsync()
    {
        await using var scope = host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        await EnsureRootAsync(accounts);
        var (carol, _) = await accounts.RegisterAsync("carol", Password);
        Assert.Empty(await accounts.SetRoleAsync(carol!.Id, WorkbenchRoles.Admin));
        var (dave, _) = await accounts.RegisterAsync("dave", Password);
        var (erin, _) = await accounts.RegisterAsync("erin", Password);
        Assert.Empty(await accounts.SetRoleAsync(dave!.Id, WorkbenchRoles.Reviewer));
        Assert.Empty(await accounts.SetRoleAsync(erin!.Id, WorkbenchRoles.Labeler));
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var ctx = await factory.CreateDbContextAsync();
        var d = new SaeDictionary { Name = "collab", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 3, SaePath = "/none" };
        ctx.Dictionaries.Add(d);
        await ctx.SaveChangesAsync();
        var latents = Enumerable.Range(0, 3).Select(i => new Latent { DictionaryId = d.Id, Index = i, Density = 0.01 * (i + 1) }).ToList();
        ctx.Latents.AddRange(latents);
        await ctx.SaveChangesAsync();
        var created = await scope.ServiceProvider.GetRequiredService<LabellingService>().CreateInterpretationAsync(
            new Actor(carol!.Id, "carol", Role.Admin), latents[1].Id, new InterpretationDraft("month names", "Fires on *January* … *December*.", 4, "lexical-token"));
        Assert.True(created.Succeeded);
        return (d.Id, latents[1].Id, created.Value!.Id);
    }

    /// <summary>The first account of the host is Admin whatever the test order; it is "root", so each test sets its people's roles itself.</summary>
    private static async Task EnsureRootAsync(AccountService accounts) => await accounts.RegisterAsync("root", Password);

    private static async Task LoginAsync(IPage page, string user)
    {
        await page.GotoAsync("account/login");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("[data-testid=login-submit]");
        await page.Locator($"[data-testid=presence] [data-user='{user}']").WaitForAsync();
    }

    private static async Task OpenAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await BrowserHost.WaitInteractiveAsync(page);
    }

    private static ILocator Input(IPage page, string testId) => page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    [Fact]
    public async Task Review_updates_the_list_live_edits_conflict_visibly_keys_work_and_the_audit_shows_it_all()
    {
        var (dictionaryId, latentId, interpretationId) = await ArrangeAsync();
        var latentUrl = $"dictionaries/{dictionaryId}/features/1";
        var carol = await host.NewPageAsync();
        var carolAgain = await host.NewPageAsync(); // carol's second session (another browser): the same author editing twice
        var dave = await host.NewPageAsync();
        await LoginAsync(carol, "carol");
        await LoginAsync(carolAgain, "carol");
        await LoginAsync(dave, "dave");

        // 1. Who else is viewing; the list page follows dave's review live.
        await OpenAsync(dave, latentUrl);
        await OpenAsync(carol, latentUrl);
        await dave.Locator("[data-testid=latent-viewer][data-user=carol]").WaitForAsync(new() { Timeout = 5_000 });
        await carol.Locator("[data-testid=latent-viewer][data-user=dave]").WaitForAsync(new() { Timeout = 5_000 });
        await OpenAsync(carol, $"dictionaries/{dictionaryId}/features");
        await dave.Locator("[data-testid=latent-viewers-none]").WaitForAsync(new() { Timeout = 5_000 }); // carol left the page
        var row = carol.Locator("[data-testid=feature-table] tr[data-index='1']");
        await row.GetByText("Unlabelled").WaitForAsync();
        await dave.Locator("[data-testid=interpretation] [data-testid=accept]").ClickAsync();
        await row.GetByText("Accepted").WaitForAsync(new() { Timeout = 5_000 });
        Assert.Contains("month names", await row.InnerTextAsync());

        // 2. The review notified carol: her bell counts it live; opening it marks it read.
        await carol.Locator("[data-testid=notification-bell][data-unread='1']").WaitForAsync(new() { Timeout = 5_000 });
        await carol.ClickAsync("[data-testid=notification-toggle]");
        await carol.Locator("[data-testid=notification]", new() { HasText = "dave accepted your interpretation" }).WaitForAsync();
        await carol.ClickAsync("[data-testid=notification-read]");
        await carol.Locator("[data-testid=notification-bell][data-unread='0']").WaitForAsync(new() { Timeout = 5_000 });

        // 3. Conflict: carol edits in both sessions; the second save shows both versions and overwrites nothing.
        await OpenAsync(carol, latentUrl);
        await OpenAsync(carolAgain, latentUrl);
        await carol.ClickAsync("[data-testid=edit-interpretation]");
        await carolAgain.ClickAsync("[data-testid=edit-interpretation]");
        await Input(carolAgain, "edit-label").FillAsync("names of months (second session)");
        await Input(carol, "edit-label").FillAsync("calendar months");
        await carol.ClickAsync("[data-testid=save-edit]");
        await carol.Locator("[data-testid=interpretation-label]", new() { HasText = "calendar months" }).WaitForAsync(new() { Timeout = 5_000 });
        // The other session sees the new version arrive and keeps what it typed.
        await carolAgain.Locator("[data-testid=edit-stale]").WaitForAsync(new() { Timeout = 5_000 });
        Assert.Equal("names of months (second session)", await Input(carolAgain, "edit-label").InputValueAsync());
        await carolAgain.ClickAsync("[data-testid=save-edit]");
        var dialog = carolAgain.Locator("[data-testid=conflict-dialog]");
        await dialog.WaitForAsync(new() { Timeout = 5_000 });
        Assert.Equal("calendar months", (await dialog.Locator("[data-testid=conflict-theirs-label]").InnerTextAsync()).Trim());
        Assert.Equal("names of months (second session)", (await dialog.Locator("[data-testid=conflict-yours-label]").InnerTextAsync()).Trim());
        await BrowserHost.ScreenshotAsync(carolAgain, "20-conflict-dialog");
        await carolAgain.WaitForFunctionAsync("() => document.activeElement?.dataset.testid === 'conflict-dialog'"); // focus moved into the dialog
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync();
            await using (db) Assert.Equal(("calendar months", 2), await db.Interpretations.Where(i => i.Id == interpretationId).Select(i => ValueTuple.Create(i.Label, i.Version)).SingleAsync());
        }
        await dialog.Locator("[data-testid=conflict-reapply]").ClickAsync();
        await carol.Locator("[data-testid=interpretation-label]", new() { HasText = "second session" }).WaitForAsync(new() { Timeout = 5_000 });

        // 4. History: all three versions, newest first.
        await carol.ClickAsync("[data-testid=show-history]");
        var versions = carol.Locator("[data-testid=interpretation-history] [data-testid=version]");
        await carol.Locator("[data-testid=interpretation-history] [data-testid=version][data-version='3']").WaitForAsync();
        Assert.Equal(3, await versions.CountAsync());
        Assert.Contains("month names", await versions.Nth(2).InnerTextAsync());
        await BrowserHost.ScreenshotAsync(carol, "21-edit-history");

        // 5. An Admin deletes it (soft): it leaves every open panel; the audit keeps it (below).
        await carol.ClickAsync("[data-testid=delete-interpretation]");
        await carol.ClickAsync("[data-testid=confirm-delete]");
        await dave.Locator("[data-testid=interpretation]").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = 5_000 });

        // 6. The audit page shows the review, the edits and the delete; CSV and JSONL export links carry the filter.
        await OpenAsync(carol, "admin/audit");
        await carol.Locator("[data-testid=audit-row][data-action='review.accepted']").WaitForAsync();
        Assert.Equal(2, await carol.Locator("[data-testid=audit-row][data-action='interpretation.edit']",
            new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"Interpretation #{interpretationId}\\b") }).CountAsync());
        await BrowserHost.ScreenshotAsync(carol, "22-audit-log");
        Assert.Contains("label: calendar months → names of months (second session)", await carol.Locator("[data-testid=audit-table]").InnerTextAsync());
        await carol.ClickAsync("[data-testid=audit-deleted]");
        var deleted = carol.Locator("[data-testid=audit-row][data-action='interpretation.delete']");
        await deleted.WaitForAsync(new() { Timeout = 5_000 });
        Assert.Contains("isDeleted: false → true", await deleted.InnerTextAsync());
        int roleChanges;
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync();
            await using (db) roleChanges = await db.AuditLog.CountAsync(a => a.Action == "user.role");
        }
        Assert.True(roleChanges >= 3); // carol, dave, erin
        await carol.ClickAsync("[data-testid=audit-roles]");
        await carol.Locator("[data-testid=audit-total]", new() { HasText = $"{roleChanges} entries" }).WaitForAsync(new() { Timeout = 5_000 });
        Assert.Equal(roleChanges, await carol.Locator("[data-testid=audit-row][data-action='user.role']").CountAsync());
        Assert.Contains("action=user.role", await carol.Locator("[data-testid=audit-export-csv]").GetAttributeAsync("href"));
        Assert.Contains("Viewer", await carol.Locator("[data-testid=audit-row][data-action='user.role']").First.InnerTextAsync());
        var csv = await carol.APIRequest.GetAsync("api/audit/export?format=csv&action=user.role");
        Assert.True(csv.Ok);
        Assert.Equal(roleChanges + 1, (await csv.TextAsync()).Trim().Split('\n').Length);
    }

    [Fact]
    public async Task Keyboard_u_d_vote_on_the_focused_interpretation_e_edits_and_ctrl_enter_saves()
    {
        var (dictionaryId, _, _) = await ArrangeAsync2();
        var latentUrl = $"dictionaries/{dictionaryId}/features/1";
        var frank = await host.NewPageAsync(); // author
        var gina = await host.NewPageAsync();  // voter
        await LoginAsync(frank, "frank");
        await LoginAsync(gina, "gina");
        await OpenAsync(frank, latentUrl);
        await OpenAsync(gina, latentUrl);

        // u / d on the focused interpretation; typing "u" in a field does nothing.
        var item = gina.Locator("[data-testid=interpretation]").First;
        await gina.Locator("textarea[data-testid=new-comment], [data-testid=new-comment] textarea").First.FillAsync("u");
        await gina.Locator("textarea[data-testid=new-comment], [data-testid=new-comment] textarea").First.PressAsync("u");
        await item.FocusAsync();
        await gina.Keyboard.PressAsync("u");
        await frank.Locator("[data-testid=interpretation] [data-testid=score]", new() { HasText = "1" }).WaitForAsync(new() { Timeout = 5_000 });
        await item.FocusAsync();
        await gina.Keyboard.PressAsync("d");
        await frank.Locator("[data-testid=interpretation] [data-testid=score]", new() { HasText = "-1" }).WaitForAsync(new() { Timeout = 5_000 });
        Assert.Equal("uu", await gina.Locator("textarea[data-testid=new-comment], [data-testid=new-comment] textarea").First.InputValueAsync());

        // Ctrl+Enter posts the comment being typed.
        await gina.Locator("textarea[data-testid=new-comment], [data-testid=new-comment] textarea").First.FillAsync("posted with ctrl+enter");
        await gina.Locator("textarea[data-testid=new-comment], [data-testid=new-comment] textarea").First.PressAsync("Control+Enter");
        await frank.Locator("[data-testid=comment]", new() { HasText = "posted with ctrl+enter" }).WaitForAsync(new() { Timeout = 5_000 });

        // e opens the editor on the author's focused interpretation (it takes the focus), Ctrl+Enter saves version 2.
        await frank.Locator("[data-testid=interpretation]").First.FocusAsync();
        await frank.Keyboard.PressAsync("e");
        var label = Input(frank, "edit-label");
        await label.WaitForAsync();
        await BrowserHost.ScreenshotAsync(frank, "23-labelling-panel-editing");
        await label.FillAsync("quoted speech, edited by keyboard");
        await label.PressAsync("Control+Enter");
        await gina.Locator("[data-testid=interpretation-label]", new() { HasText = "edited by keyboard" }).WaitForAsync(new() { Timeout = 5_000 });
        // The editor closes once frank's own save returns (which may come after gina's live update).
        await frank.Locator("[data-testid=interpretation-editor]").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = 5_000 });

        // The help lists the new keys.
        await frank.Keyboard.PressAsync("?");
        var help = frank.Locator("[data-testid=keyboard-help]");
        await help.WaitForAsync();
        Assert.Contains("vote up / down on the focused interpretation", await help.InnerTextAsync());
        Assert.Contains("Ctrl", await help.InnerTextAsync());
    }

    /// <summary>frank (Labeler) with an interpretation of latent #1, gina (Labeler); its own dictionary.</summary>
    private async Task<(long DictionaryId, long LatentId, long InterpretationId)> ArrangeAsync2()
    {
        await using var scope = host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        await EnsureRootAsync(accounts);
        var (frank, e1) = await accounts.RegisterAsync("frank", Password);
        var (gina, e2) = await accounts.RegisterAsync("gina", Password);
        Assert.True(frank is not null && gina is not null, string.Join(" ", e1.Concat(e2)));
        Assert.Empty(await accounts.SetRoleAsync(frank!.Id, WorkbenchRoles.Labeler));
        Assert.Empty(await accounts.SetRoleAsync(gina!.Id, WorkbenchRoles.Labeler));
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var ctx = await factory.CreateDbContextAsync();
        var d = new SaeDictionary { Name = "keys", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 3, SaePath = "/none" };
        ctx.Dictionaries.Add(d);
        await ctx.SaveChangesAsync();
        var latents = Enumerable.Range(0, 3).Select(i => new Latent { DictionaryId = d.Id, Index = i, Density = 0.01 }).ToList();
        ctx.Latents.AddRange(latents);
        await ctx.SaveChangesAsync();
        var created = await scope.ServiceProvider.GetRequiredService<LabellingService>().CreateInterpretationAsync(
            new Actor(frank.Id, "frank", Role.Labeler), latents[1].Id, new InterpretationDraft("quoted speech", "Inside quotation marks.", 3, null));
        Assert.True(created.Succeeded);
        return (d.Id, latents[1].Id, created.Value!.Id);
    }
}
