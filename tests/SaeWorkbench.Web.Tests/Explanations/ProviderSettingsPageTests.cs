using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SaeWorkbench.Web.Tests.Explanations;

public sealed class ProviderSettingsPageTests
{
    private const string Key = "sk-page-0123456789-hush";

    [Fact]
    public async Task The_key_goes_in_through_the_API_and_never_comes_out_in_the_API_or_the_admin_page()
    {
        using var factory = new WorkbenchFactory();
        await factory.RegisterAsync("root", "password1");   // the first account is the Admin
        await factory.RegisterAsync("val", "password1");    // a Viewer
        var admin = factory.CreateBrowserlikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(admin, "root", "password1")).StatusCode);

        var put = await admin.PutAsJsonAsync("/api/explanations/provider", new { baseUrl = "http://127.0.0.1:9/v1", model = "m-7b", apiKey = Key });
        var putBody = await put.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var get = await admin.GetStringAsync("/api/explanations/provider");
        var page = await admin.GetStringAsync("/admin/explanations");

        Assert.True(JsonDocument.Parse(get).RootElement.GetProperty("hasKey").GetBoolean());
        Assert.Contains("a key is stored", page);
        Assert.Contains("m-7b", page);
        foreach (var text in new[] { putBody, get, page }) Assert.DoesNotContain(Key, text);

        var bad = await admin.PutAsJsonAsync("/api/explanations/provider", new { baseUrl = "ftp://x", model = "" });
        var problems = await bad.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("baseUrl", problems);
        Assert.Contains("model", problems);

        var viewer = factory.CreateBrowserlikeClient();
        await WorkbenchFactory.LoginAsync(viewer, "val", "password1");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/explanations/provider")).StatusCode);
    }
}
