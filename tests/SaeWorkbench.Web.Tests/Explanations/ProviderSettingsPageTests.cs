using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Models;
using SaeWorkbench.Tests.Shared;

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

    [Fact]
    public async Task The_admin_picks_the_local_model_from_the_registered_ones_and_the_page_says_when_it_was_unregistered()
    {
        using var factory = new WorkbenchFactory();
        await factory.RegisterAsync("root", "password1");   // the first account is the Admin
        var admin = factory.CreateBrowserlikeClient();
        await WorkbenchFactory.LoginAsync(admin, "root", "password1");
        string rootId;
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync())
            rootId = await db.Users.Where(u => u.UserName == "root").Select(u => u.Id).SingleAsync();
        var root = new Actor(rootId, "root", Role.Admin);
        var judge = TinyInstructModel.Create(Path.Combine(factory.DataDirectory, "models", "tiny-judge"), new TinyInstructShape(Context: 4096));
        var plain = Directory.CreateDirectory(Path.Combine(factory.DataDirectory, "models", "base")).FullName;
        foreach (var file in new[] { "config.json", "tokenizer.json", "model.safetensors" }) File.Copy(Path.Combine(judge, file), Path.Combine(plain, file));
        var registry = factory.Services.GetRequiredService<ModelRegistry>();
        var judgeModel = await registry.RegisterAsync(new ModelRegistration(judge), root);
        var baseModel = await registry.RegisterAsync(new ModelRegistration(plain), root);

        var options = JsonDocument.Parse(await admin.GetStringAsync("/api/explanations/provider/models")).RootElement.EnumerateArray()
            .ToDictionary(o => o.GetProperty("name").GetString()!, o => (o.GetProperty("canExplain").GetBoolean(), o.GetProperty("problem").GetString()));
        var refused = await admin.PutAsJsonAsync("/api/explanations/provider", new { kind = "local", registeredModelId = baseModel.Id });
        var picked = await admin.PutAsJsonAsync("/api/explanations/provider", new { kind = "local", registeredModelId = judgeModel.Id, maxNewTokens = 64 });
        var pickedView = JsonDocument.Parse(await picked.Content.ReadAsStringAsync()).RootElement;
        var pageWhilePicked = await admin.GetStringAsync("/admin/explanations");
        await registry.UnregisterAsync(judgeModel.Id, root);
        var pageAfter = await admin.GetStringAsync("/admin/explanations");

        Assert.Equal((true, (string?)null), options["tiny-judge"]);
        Assert.Equal((false, "The model has no chat template (tokenizer_config.json or chat_template.jinja): choose an instruct model."), options["base"]);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("registeredModelId", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, picked.StatusCode);
        Assert.Equal((judgeModel.Id, "tiny-judge"), (pickedView.GetProperty("registeredModelId").GetInt64(), pickedView.GetProperty("modelName").GetString()));
        Assert.Contains("data-testid=\"provider-model-picker\"", pageWhilePicked);
        Assert.DoesNotContain("provider-model-missing", pageWhilePicked);
        Assert.Contains("data-testid=\"provider-model-missing\"", pageAfter);
        Assert.Contains($"The explanation model &#x27;tiny-judge&#x27; (registered model #{judgeModel.Id}) is no longer registered", pageAfter);
    }
}
