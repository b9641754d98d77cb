using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SaeWorkbench.Browser.Tests;

public sealed class WalkingSkeletonTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static async Task RegisterAsync(IPage page, string user, string password)
    {
        await page.GotoAsync("account/register");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.FillAsync("#confirm", password);
        await page.ClickAsync("[data-testid=register-submit]");
        // The address only (see WaitForAddressAsync); the presence list below is the real signal.
        await BrowserHost.WaitForAddressAsync(page, new Regex("/$"));
        // Wait until the interactive circuit is up (the presence list shows this user).
        await page.Locator($"[data-testid=presence] [data-user='{user}']").WaitForAsync();
    }

    [Fact]
    public async Task Two_users_register_admin_promotes_see_each_other_online_and_self_check_runs_live()
    {
        var login = await host.NewPageAsync();
        await login.GotoAsync("jobs");
        await BrowserHost.WaitForAddressAsync(login, new Regex("account/login"));
        await BrowserHost.ScreenshotAsync(login, "01-login");

        var admin = await host.NewPageAsync();
        await RegisterAsync(admin, "ada", "lovelace1");
        await BrowserHost.ScreenshotAsync(admin, "02-home-light");

        var viewer = await host.NewPageAsync();
        await RegisterAsync(viewer, "grace", "hopper123");

        // Both see each other online, live.
        await admin.Locator("[data-testid=presence] [data-user='grace']").WaitForAsync(new() { Timeout = 5_000 });
        await viewer.Locator("[data-testid=presence] [data-user='ada']").WaitForAsync(new() { Timeout = 5_000 });

        // The second account is a Viewer: no Admin link, and the Admin page refuses.
        Assert.Equal(0, await viewer.Locator("a[href='admin/users']").CountAsync());

        // The Admin promotes grace to Labeler.
        await BrowserHost.NavigateAsync(admin, "admin/users");
        var row = admin.Locator("tr", new() { HasText = "grace" });
        await row.Locator(".mud-select").First.ClickAsync();
        await admin.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Labeler" }).ClickAsync();
        await admin.GetByText("grace is now Labeler.").WaitForAsync();
        await BrowserHost.ScreenshotAsync(admin, "03-admin-users");

        // When grace leaves, ada sees it within a second.
        await viewer.Context.CloseAsync();
        await admin.Locator("[data-testid=presence] [data-user='grace']").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = 3_000 });

        // The self-check job runs with a live progress bar to 100 %.
        await BrowserHost.NavigateAsync(admin, "jobs");
        await admin.Locator("[data-testid=start-self-check]").ClickAsync();
        var progress = admin.Locator("[data-testid=job-progress]").First;
        await progress.WaitForAsync();
        var seen = new HashSet<int>();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var value = int.Parse(await progress.GetAttributeAsync("data-progress") ?? "0");
            seen.Add(value);
            if (value == 100) break;
            await admin.WaitForTimeoutAsync(100);
        }
        Assert.Contains(100, seen);
        Assert.True(seen.Count(v => v is > 0 and < 100) >= 1, $"no intermediate progress seen: {string.Join(",", seen)}");
        await admin.Locator("[data-testid=job-state]", new() { HasText = "Succeeded" }).First.WaitForAsync();
        await BrowserHost.ScreenshotAsync(admin, "04-jobs");

        // Dark theme is remembered for the user.
        await BrowserHost.ToggleThemeAsync(admin);
        await admin.ReloadAsync();
        await admin.Locator("[data-testid=presence] [data-user='ada']").WaitForAsync();
        await BrowserHost.ScreenshotAsync(admin, "05-jobs-dark");
        var background = await admin.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
        Assert.Equal("rgb(17, 22, 29)", background);

        // Change the password, log out, and log back in with the new one.
        await admin.GotoAsync("account/change-password");
        await admin.FillAsync("#old", "lovelace1");
        await admin.FillAsync("#new", "analytical2");
        await admin.FillAsync("#confirm", "analytical2");
        await admin.ClickAsync("button[type=submit]");
        await admin.Locator("[data-testid=password-changed]").WaitForAsync();
        await admin.GotoAsync("account/logout-confirm");
        await admin.ClickAsync("[data-testid=logout-submit]");
        await BrowserHost.WaitForAddressAsync(admin, new Regex("account/login")); // as after registering
        await admin.FillAsync("#username", "ada");
        await admin.FillAsync("#password", "lovelace1");
        await admin.ClickAsync("[data-testid=login-submit]");
        await admin.Locator("[data-testid=login-error]").WaitForAsync();
        await admin.FillAsync("#username", "ada");
        await admin.FillAsync("#password", "analytical2");
        await admin.ClickAsync("[data-testid=login-submit]");
        await admin.Locator("[data-testid=presence] [data-user='ada']").WaitForAsync();
    }
}
