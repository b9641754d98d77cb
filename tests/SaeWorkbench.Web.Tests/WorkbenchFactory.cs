using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Research.Accounts;

namespace SaeWorkbench.Web.Tests;

/// <summary>The real host on a throw-away data directory (its own SQLite file).</summary>
public partial class WorkbenchFactory : WebApplicationFactory<Program>
{
    public string DataDirectory { get; }

    private readonly bool _ownsDirectory;

    /// <param name="dataDirectory">A directory shared between factories (restart tests); the caller deletes it.</param>
    public WorkbenchFactory(string? dataDirectory = null)
    {
        _ownsDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("wb-test-").FullName;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Workbench:DataDirectory", DataDirectory);
        builder.UseSetting("Workbench:Jobs:PollSeconds", "0.2");
        builder.UseSetting("Workbench:SeedDemo", "false");
    }

    public HttpClient CreateBrowserlikeClient() =>
        CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>Creates an account through the real registration rule.</summary>
    public async Task RegisterAsync(string userName, string password)
    {
        await using var scope = Services.CreateAsyncScope();
        var (user, errors) = await scope.ServiceProvider.GetRequiredService<AccountService>().RegisterAsync(userName, password);
        Assert.True(user is not null, string.Join("; ", errors));
    }

    /// <summary>Logs in through the real login form (antiforgery token included); returns the response.</summary>
    public static async Task<HttpResponseMessage> LoginAsync(HttpClient client, string userName, string password)
    {
        var page = await client.GetStringAsync("/account/login");
        var token = TokenPattern().Match(page).Groups[1].Value;
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
        });
        return await client.PostAsync("/account/login", form);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsDirectory)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(DataDirectory, true); } catch (IOException) { }
        }
    }
}
