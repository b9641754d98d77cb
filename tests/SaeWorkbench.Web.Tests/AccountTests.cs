using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Web.Tests;

public sealed class AccountTests : IDisposable
{
    private readonly WorkbenchFactory _factory = new();
    public void Dispose() => _factory.Dispose();

    private async Task<T> WithAccounts<T>(Func<AccountService, Task<T>> action)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<AccountService>());
    }

    [Fact]
    public async Task Duplicate_user_name_is_refused_and_nothing_changes()
    {
        await _factory.RegisterAsync("carol", "password1");
        var (user, errors) = await WithAccounts(a => a.RegisterAsync("carol", "password2"));
        Assert.Null(user);
        Assert.Contains(errors, e => e.Contains("carol", StringComparison.OrdinalIgnoreCase) && e.Contains("taken", StringComparison.OrdinalIgnoreCase));
        Assert.Single(await WithAccounts(a => a.ListAsync()));
    }

    [Fact]
    public async Task Weak_password_is_refused_with_the_rule()
    {
        var (user, errors) = await WithAccounts(a => a.RegisterAsync("dave", "short"));
        Assert.Null(user);
        Assert.NotEmpty(errors);
        Assert.Empty(await WithAccounts(a => a.ListAsync()));
    }

    [Fact]
    public async Task Unknown_role_and_demoting_the_last_Admin_are_refused()
    {
        await _factory.RegisterAsync("erin", "password1");
        var erin = (await WithAccounts(a => a.ListAsync())).Single();
        Assert.Equal(WorkbenchRoles.Admin, erin.Role);
        Assert.Contains("Unknown role", (await WithAccounts(a => a.SetRoleAsync(erin.Id, "Overlord"))).Single());
        Assert.Contains("last Admin", (await WithAccounts(a => a.SetRoleAsync(erin.Id, WorkbenchRoles.Viewer))).Single());
        Assert.Equal(WorkbenchRoles.Admin, (await WithAccounts(a => a.ListAsync())).Single().Role);
    }

    [Fact]
    public async Task Five_wrong_passwords_make_that_client_wait_but_never_lock_the_account()
    {
        await _factory.RegisterAsync("frank", "password1");
        var client = _factory.CreateBrowserlikeClient();
        for (var i = 0; i < 5; i++) await WorkbenchFactory.LoginAsync(client, "frank", "nope-nope-1");
        var response = await WorkbenchFactory.LoginAsync(client, "frank", "password1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Too many failed attempts from this device", await response.Content.ReadAsStringAsync());
        Assert.False((await WithAccounts(a => a.ListAsync())).Single().LockedOut);
    }

    [Fact]
    public void Unwritable_data_directory_gets_a_clear_message()
    {
        var file = Path.GetTempFileName();
        try
        {
            var paths = new WorkbenchPaths("/", Path.Combine(file, "data"));
            var e = Assert.Throws<IOException>(paths.EnsureWritable);
            Assert.Contains("Workbench__DataDirectory", e.Message);
            Assert.Contains(file, e.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
