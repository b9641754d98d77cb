using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Web.Live;
using Xunit.Abstractions;

namespace SaeWorkbench.Browser.Tests;

/// <summary>How long a browser that goes away stays in the presence list.</summary>
public sealed class PresenceTests(BrowserHost host, ITestOutputHelper output) : IClassFixture<BrowserHost>
{
    private const string Password = "presence-pass1";

    private async Task LoginAsync(IPage page, string user)
    {
        await using (var scope = host.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<AccountService>().RegisterAsync(user, Password);
        await page.GotoAsync(new Uri(host.BaseAddress, "account/login").ToString());
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("[data-testid=login-submit]");
        await page.Locator($"[data-testid=presence] [data-user='{user}']").WaitForAsync();
        await BrowserHost.WaitInteractiveAsync(page);
    }

    private async Task<TimeSpan> GoneAfterAsync(string user, TimeSpan limit)
    {
        var presence = host.Services.GetRequiredService<PresenceTracker>();
        var clock = Stopwatch.StartNew();
        while (presence.Online.Contains(user))
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"{user} still online after {clock.Elapsed.TotalSeconds:F0} s");
            await Task.Delay(100);
        }
        return clock.Elapsed;
    }

    [Fact]
    public async Task A_closed_tab_leaves_the_presence_list_at_once()
    {
        var page = await host.NewPageAsync();
        await LoginAsync(page, "tess");
        await page.Context.CloseAsync();
        var gone = await GoneAfterAsync("tess", TimeSpan.FromSeconds(120));
        output.WriteLine($"closed tab gone after {gone.TotalSeconds:F1} s");
        Assert.True(gone < TimeSpan.FromSeconds(10), $"{gone}");
    }

    [Fact]
    public async Task A_browser_that_stops_answering_leaves_the_presence_list()
    {
        // A browser of its own, frozen with SIGSTOP: its connections stay open but nothing comes over them, as with a
        // machine that went to sleep or lost its network.
        var profile = Directory.CreateTempSubdirectory("wb-frozen-").FullName;
        var start = new ProcessStartInfo("setsid", ["/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
            $"--user-data-dir={profile}", "--no-first-run", "--disable-background-networking", "about:blank"]) { RedirectStandardError = true };
        using var chromium = Process.Start(start)!;
        try
        {
            string? ws = null;
            while (ws is null && await chromium.StandardError.ReadLineAsync() is { } line)
                if (line.Contains("DevTools listening on ", StringComparison.Ordinal)) ws = line[(line.IndexOf("ws://", StringComparison.Ordinal))..];
            Assert.NotNull(ws);
            using var playwright = await Playwright.CreateAsync();
            var browser = await playwright.Chromium.ConnectOverCDPAsync(ws);
            var page = await browser.Contexts[0].NewPageAsync();
            page.SetDefaultTimeout(45_000);
            await LoginAsync(page, "fred");
            Process.Start("kill", ["-s", "STOP", "--", $"-{chromium.Id}"])!.WaitForExit();
            var gone = await GoneAfterAsync("fred", TimeSpan.FromSeconds(150));
            output.WriteLine($"frozen browser gone after {gone.TotalSeconds:F1} s");
            Assert.True(gone < TimeSpan.FromSeconds(60), $"{gone}");
        }
        finally
        {
            Process.Start("kill", ["-s", "KILL", "--", $"-{chromium.Id}"])!.WaitForExit();
            try { Directory.Delete(profile, true); } catch (IOException) { }
        }
    }
}
