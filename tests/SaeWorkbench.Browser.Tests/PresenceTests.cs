using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Web.Live;
using Xunit.Abstractions;

namespace SaeWorkbench.Browser.Tests;

/// <summary>The workbench with a presence timeout of <see cref="TimeoutSeconds"/> s instead of the default 30 s.</summary>
public sealed class ShortPresenceHost : BrowserHost
{
    public const int TimeoutSeconds = 3;

    protected override IReadOnlyDictionary<string, string> Settings { get; } =
        new Dictionary<string, string> { [PresenceOptions.Section + ":TimeoutSeconds"] = TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}

/// <summary>How long a browser that goes away stays in the presence list (Workbench:Presence:TimeoutSeconds).</summary>
public sealed class PresenceTests(ShortPresenceHost host, ITestOutputHelper output) : IClassFixture<ShortPresenceHost>
{
    private const string Password = "presence-pass1";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(ShortPresenceHost.TimeoutSeconds);

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

    /// <summary>Completes when <paramref name="user"/> is not in the presence list (at once when they are not now).</summary>
    private Task GoneAsync(string user)
    {
        var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var presence = host.Services.GetRequiredService<PresenceTracker>();
        var subscription = host.Services.GetRequiredService<WorkbenchEventBus>().Subscribe(e =>
        {
            if (e is PresenceChanged changed && !changed.OnlineUserNames.Contains(user)) gone.TrySetResult();
        });
        if (!presence.Online.Contains(user)) gone.TrySetResult();
        return gone.Task.ContinueWith(_ => subscription.Dispose(), TaskScheduler.Default);
    }

    private async Task<TimeSpan> GoneAfterAsync(Task gone, string user, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        try { await gone.WaitAsync(limit); }
        catch (TimeoutException) { throw new TimeoutException($"{user} still online after {clock.Elapsed.TotalSeconds:F0} s"); }
        return clock.Elapsed;
    }

    [Fact]
    public async Task A_closed_tab_leaves_the_presence_list_at_once()
    {
        var page = await host.NewPageAsync();
        await LoginAsync(page, "tess");
        var left = GoneAsync("tess");
        await page.Context.CloseAsync();
        var gone = await GoneAfterAsync(left, "tess", TimeSpan.FromSeconds(60));
        output.WriteLine($"closed tab gone after {gone.TotalSeconds:F1} s");
        Assert.True(gone < TimeSpan.FromSeconds(10), $"{gone}");
    }

    [Fact]
    public async Task An_open_page_stays_in_the_presence_list_past_the_timeout()
    {
        // The browser pings at the keep-alive the server gave it (half the timeout), so a live page is never dropped:
        // with SignalR's default 15 s pings a 3 s timeout would drop it within seconds.
        var page = await host.NewPageAsync();
        await LoginAsync(page, "olga");
        var left = GoneAsync("olga");

        var stayed = await Task.WhenAny(left, Task.Delay(Timeout * 3)) != left;

        Assert.True(stayed, "an open page left the presence list");
        await page.Context.CloseAsync();
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
            var left = GoneAsync("fred");
            Process.Start("kill", ["-s", "STOP", "--", $"-{chromium.Id}"])!.WaitForExit();
            var gone = await GoneAfterAsync(left, "fred", TimeSpan.FromSeconds(60));
            output.WriteLine($"frozen browser gone after {gone.TotalSeconds:F1} s (timeout {Timeout.TotalSeconds:F0} s)");
            // The server closes a connection silent for the timeout (its last ping may have come just before the freeze).
            Assert.True(gone < Timeout + TimeSpan.FromSeconds(8), $"{gone}");
        }
        finally
        {
            Process.Start("kill", ["-s", "KILL", "--", $"-{chromium.Id}"])!.WaitForExit();
            try { Directory.Delete(profile, true); } catch (IOException) { }
        }
    }
}
