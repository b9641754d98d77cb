using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Playwright;

namespace SaeWorkbench.Browser.Tests;

/// <summary>
/// The real workbench on Kestrel (loopback, a free port, a throw-away data directory) and Debian's Chromium
/// driven by Playwright. Shared by the tests of a class; a class that needs other settings derives from it.
/// </summary>
public class BrowserHost : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("wb-browser-").FullName;
    private Factory? _factory;
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;

    /// <summary>The host's services (to arrange data a test needs before the browser acts).</summary>
    public IServiceProvider Services => _factory!.Services;
    public Uri BaseAddress { get; private set; } = default!;

    /// <summary>Screenshots land in TestResults/screenshots at the repository root.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(FindRepoRoot(), "TestResults", "screenshots");

    /// <summary>Settings besides the test defaults (configuration keys, e.g. <c>Workbench:Presence:TimeoutSeconds</c>).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        _factory = new Factory(_dataDirectory, Settings);
        _factory.UseKestrel(0);
        _factory.StartServer();
        BaseAddress = _factory.ClientOptions.BaseAddress;
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"],
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(45_000);   // generous: a loaded 2-core CI machine; a wait only lasts this long when it fails
        return await context.NewPageAsync();
    }

    /// <summary>Waits until the page's Blazor circuit is live (prerendered HTML does not react to input yet).</summary>
    public static Task WaitInteractiveAsync(IPage page) => page.Locator("[data-interactive=true]").WaitForAsync();

    /// <summary>
    /// Waits until the page's address matches, polling it. Not <c>WaitForURL</c>: once the address matches, that also
    /// waits for a load event, and after Blazor's enhanced navigation or a filter's history push none may come (on a
    /// loaded CI machine it timed out after a registration, a logout and a list filter).
    /// </summary>
    public static Task WaitForAddressAsync(IPage page, System.Text.RegularExpressions.Regex address) =>
        Assertions.Expect(page).ToHaveURLAsync(address, new() { Timeout = 45_000 });

    /// <summary>
    /// Follows a navigation link (<c>a[href='…']</c>, e.g. the drawer's) and waits until the address is that page's.
    /// Blazor's enhanced navigation swaps the page in later: a locator used right after the click may still find, and
    /// click, a link of the old page (the Dictionaries page also links to each dictionary's features), and then the
    /// navigation that was under way lands on the wrong page.
    /// </summary>
    public static async Task NavigateAsync(IPage page, string href)
    {
        await page.ClickAsync($"a[href='{href}']");
        await WaitForAddressAsync(page, new System.Text.RegularExpressions.Regex("/" + System.Text.RegularExpressions.Regex.Escape(href) + "$"));
    }

    /// <summary>
    /// Clicks the app bar's theme toggle and waits until the page shows the other theme (the click travels over the
    /// circuit: a screenshot or a reload right after it may still see, or save, the old one).
    /// </summary>
    public static async Task ToggleThemeAsync(IPage page)
    {
        await WaitInteractiveAsync(page); // a click before the circuit is live does nothing
        var dark = await page.Locator("[data-theme=dark]").CountAsync() > 0;
        await page.Locator("[data-testid=theme-toggle]").ClickAsync();
        await page.Locator($"[data-theme={(dark ? "light" : "dark")}]").WaitForAsync();
    }

    /// <summary>
    /// The whole page from its top: a full-page capture draws the fixed app bar and drawer where the window is scrolled
    /// to, so after a click far down the page (Playwright scrolls to what it clicks) they would sit mid-page.
    /// </summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        _factory?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDirectory, true); } catch (IOException) { }
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SaeWorkbench.sln"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    private sealed class Factory(string dataDirectory, IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Workbench:DataDirectory", dataDirectory);
            builder.UseSetting("Workbench:Jobs:PollSeconds", "0.2");
            builder.UseSetting("Workbench:SeedDemo", "false");
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        }
    }
}
