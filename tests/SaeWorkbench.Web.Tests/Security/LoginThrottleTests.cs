using System.Net;
using SaeWorkbench.Research.Limits;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// Wrong passwords slow down the one who types them — per (client, account) and per client — and never lock the account
/// itself, so a stranger cannot lock anyone out, the Admin included.
/// </summary>
public sealed class LoginThrottleTests(LoginThrottleTests.Fixture fixture) : IClassFixture<LoginThrottleTests.Fixture>
{
    /// <summary>One host for the class; each test plays from its own client addresses.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public ClientAddressHost Host { get; } = new(("Workbench:RateLimits:Login:ClientFailuresPerWindow", "12"));

        public async Task InitializeAsync()
        {
            await Host.RegisterAsync("admin", "password1");
            await Host.RegisterAsync("bob", "password2");
        }

        public Task DisposeAsync()
        {
            Host.Dispose();
            return Task.CompletedTask;
        }
    }

    private readonly ClientAddressHost _host = fixture.Host;

    private static async Task<string> FailedLoginAsync(HttpClient client, string user, string password)
    {
        var response = await WorkbenchFactory.LoginAsync(client, user, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task A_stranger_guessing_the_Admins_password_cannot_lock_the_Admin_out()
    {
        var stranger = _host.BrowserFrom("203.0.113.7");
        for (var n = 0; n < 8; n++) await FailedLoginAsync(stranger, "admin", $"guess-{n}a1");

        var admin = _host.BrowserFrom("198.51.100.20");
        var login = await WorkbenchFactory.LoginAsync(admin, "admin", "password1");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/admin/users")).StatusCode);
    }

    [Fact]
    public async Task After_five_failures_one_client_must_wait_before_trying_that_account_again_even_with_the_right_password()
    {
        var guesser = _host.BrowserFrom("203.0.113.8");
        for (var n = 0; n < 5; n++)
            Assert.Contains("Wrong user name or password.", await FailedLoginAsync(guesser, "bob", $"guess-{n}a1"));

        var throttled = await FailedLoginAsync(guesser, "bob", "password2");
        Assert.Contains("Too many failed attempts from this device: wait", throttled);
        Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.GetAsync("/api/jobs")).StatusCode);
        // The same client may still sign in to another account it knows the password of.
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(guesser, "admin", "password1")).StatusCode);
    }

    [Fact]
    public async Task One_client_spraying_many_account_names_is_stopped_by_its_own_limit_while_others_log_in()
    {
        var sprayer = _host.BrowserFrom("203.0.113.9");
        for (var n = 0; n < 12; n++)
            Assert.Contains("Wrong user name or password.", await FailedLoginAsync(sprayer, $"user{n}", "guess-a1"));
        Assert.Contains("Too many failed attempts from this device", await FailedLoginAsync(sprayer, "someone-else", "guess-a1"));

        var bob = _host.BrowserFrom("198.51.100.21");
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(bob, "bob", "password2")).StatusCode);
    }

    [Fact]
    public void The_wait_doubles_per_failure_up_to_the_maximum_and_a_success_clears_it()
    {
        var clock = new TestClock();
        var throttle = new LoginThrottle(new RateLimits { Login = new LoginThrottleSettings { FreeFailures = 2, FirstDelaySeconds = 1, MaxDelaySeconds = 4 } }, clock);
        throttle.Failed("c", "Ann");
        throttle.Failed("c", "ann ");
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("c", "ANN"));
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter("other-client", "ann"));
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter("c", "ann"));
        throttle.Failed("c", "ann");
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.RetryAfter("c", "ann"));
        throttle.Failed("c", "ann");
        throttle.Failed("c", "ann");
        Assert.Equal(TimeSpan.FromSeconds(4), throttle.RetryAfter("c", "ann"));
        throttle.Succeeded("c", "ann");
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter("c", "ann"));
    }

    [Fact]
    public void A_clients_failures_over_all_accounts_leave_its_window_after_the_window()
    {
        var clock = new TestClock();
        var throttle = new LoginThrottle(new RateLimits { Login = new LoginThrottleSettings { ClientFailuresPerWindow = 3, ClientWindowMinutes = 1 } }, clock);
        for (var n = 0; n < 3; n++)
        {
            throttle.Failed("c", $"user{n}");
            clock.Now += TimeSpan.FromSeconds(10);
        }
        Assert.Equal(TimeSpan.FromSeconds(30), throttle.RetryAfter("c", "anyone"));
        clock.Now += TimeSpan.FromSeconds(30);
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter("c", "anyone"));
    }

    private sealed class TestClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
