using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace SaeWorkbench.Web.Tests;

public sealed class SecurityTests : IClassFixture<SecurityTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public WorkbenchFactory Factory { get; } = new();

        public async Task InitializeAsync()
        {
            await Factory.RegisterAsync("alice", "password1");
            await Factory.RegisterAsync("bob", "password2");
        }

        public Task DisposeAsync()
        {
            Factory.Dispose();
            return Task.CompletedTask;
        }
    }

    private readonly WorkbenchFactory _factory;

    public SecurityTests(Fixture fixture) => _factory = fixture.Factory;

    [Fact]
    public async Task Anonymous_user_is_redirected_to_login()
    {
        var client = _factory.CreateBrowserlikeClient();
        var response = await client.GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Anonymous_api_call_gets_401_not_a_redirect()
    {
        var response = await _factory.CreateBrowserlikeClient().GetAsync("/api/jobs");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task First_account_is_Admin_and_can_list_users()
    {
        var client = _factory.CreateBrowserlikeClient();
        var login = await WorkbenchFactory.LoginAsync(client, "alice", "password1");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var users = await client.GetFromJsonAsync<List<UserRow>>("/api/admin/users");
        Assert.Contains(users!, u => u.UserName == "alice" && u.Role == "Admin");
        Assert.Contains(users!, u => u.UserName == "bob" && u.Role == "Viewer");
    }

    [Fact]
    public async Task Viewer_gets_403_on_an_Admin_endpoint()
    {
        var client = _factory.CreateBrowserlikeClient();
        await WorkbenchFactory.LoginAsync(client, "bob", "password2");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/admin/users")).StatusCode);
        var put = await client.PutAsJsonAsync("/api/admin/users/x/role", new { role = "Admin" });
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
    }

    [Fact]
    public async Task Cookie_and_token_keys_are_AES_256_GCM_and_kept_in_the_data_directory()
    {
        // The login above made the key ring's first key; its XML names the algorithm it was made with.
        var client = _factory.CreateBrowserlikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(client, "alice", "password1")).StatusCode);
        var keys = Directory.GetFiles(Path.Combine(_factory.DataDirectory, "keys"), "key-*.xml");
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Contains("algorithm=\"AES_256_GCM\"", File.ReadAllText(k)));
        var protector = _factory.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");
        Assert.Equal("payload", protector.Unprotect(protector.Protect("payload")));
    }

    [Fact]
    public async Task Viewer_cannot_start_a_job()
    {
        var client = _factory.CreateBrowserlikeClient();
        await WorkbenchFactory.LoginAsync(client, "bob", "password2");
        var response = await client.PostAsJsonAsync("/api/jobs", new { kind = "self-check" });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Wrong_password_says_so_and_sets_no_cookie()
    {
        var client = _factory.CreateBrowserlikeClient();
        var response = await WorkbenchFactory.LoginAsync(client, "alice", "wrong-password9");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Wrong user name or password.", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/jobs")).StatusCode);
    }

    [Fact]
    public async Task Hub_refuses_anonymous_connections()
    {
        var server = _factory.Server;
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "hubs/workbench"), o => o.HttpMessageHandlerFactory = _ => server.CreateHandler())
            .Build();
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
    }

    [Fact]
    public async Task Signed_in_user_connects_to_the_hub_and_is_online()
    {
        var server = _factory.Server;
        var client = _factory.CreateBrowserlikeClient();
        var login = await WorkbenchFactory.LoginAsync(client, "alice", "password1");
        var cookie = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "hubs/workbench"), o =>
            {
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.Headers["Cookie"] = cookie;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            })
            .Build();
        await connection.StartAsync();
        var online = await connection.InvokeAsync<List<string>>("GetOnlineUsers");
        Assert.Contains("alice", online);
    }

    private sealed record UserRow(string Id, string UserName, string Role);
}
