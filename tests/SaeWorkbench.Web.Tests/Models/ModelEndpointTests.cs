using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Web.Tests.Labelling;
using SaeWorkbench.Web.Tests.Security;

namespace SaeWorkbench.Web.Tests.Models;

/// <summary>GET/POST/PUT/DELETE /api/models on the real host, with one import root.</summary>
public sealed class ModelEndpointTests : IAsyncLifetime
{
    private readonly SecurityHost _h = new();
    private ApiUser _admin = null!;
    private ApiUser _labeler = null!;
    private string _model = "";

    public async Task InitializeAsync()
    {
        _admin = await _h.UserAsync("admin", WorkbenchRoles.Admin);
        _labeler = await _h.UserAsync("lena", WorkbenchRoles.Labeler);
        (_model, _) = TinyWorld.Create(Path.Combine(_h.Roots, "world"));
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task An_Admin_registers_a_folder_everyone_lists_it_with_its_hooks_and_it_is_unregistered()
    {
        var created = await _admin.Client.PostAsJsonAsync("/api/models", new { path = _model, name = "tiny", computeDtype = "float32" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var list = await _labeler.Client.GetFromJsonAsync<JsonElement>("/api/models");
        var model = Assert.Single(list.EnumerateArray());
        Assert.Equal("tiny", model.GetProperty("name").GetString());
        Assert.Equal("gpt2", model.GetProperty("family").GetString());
        Assert.Equal("float32", model.GetProperty("computeDtype").GetString());
        Assert.True(model.GetProperty("fits").GetBoolean());
        Assert.True(model.GetProperty("memoryBytes").GetInt64() > 0);
        var hook = model.GetProperty("hooks").EnumerateArray().Single(h => h.GetProperty("name").GetString() == "blocks.1.hook_resid_post");
        Assert.Equal(16, hook.GetProperty("width").GetInt32()); // TinyWorld: d_model 16
        Assert.Equal("output of transformer.h.1", hook.GetProperty("huggingFaceModule").GetString());

        var found = await _labeler.Client.GetFromJsonAsync<JsonElement>("/api/models/found");
        var folder = Assert.Single(found.EnumerateArray());
        Assert.Equal(model.GetProperty("id").GetInt64(), folder.GetProperty("registeredId").GetInt64());

        var id = model.GetProperty("id").GetInt64();
        var dtype = await _admin.Client.PutAsJsonAsync($"/api/models/{id}/compute-dtype", new { computeDtype = "bogus" });
        Assert.Equal(HttpStatusCode.BadRequest, dtype.StatusCode);
        Assert.Contains("computeDtype: 'bogus' is not supported; supported: float32, bfloat16, float16.", await SecurityHost.ProblemTextAsync(dtype));

        Assert.Equal(HttpStatusCode.Forbidden, (await _labeler.Client.DeleteAsync($"/api/models/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.Client.DeleteAsync($"/api/models/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.Client.DeleteAsync($"/api/models/{id}")).StatusCode);
        Assert.Empty((await _labeler.Client.GetFromJsonAsync<JsonElement>("/api/models")).EnumerateArray());
    }

    [Fact]
    public async Task A_refused_registration_answers_400_with_every_problem_and_writes_nothing()
    {
        var broken = Directory.CreateDirectory(Path.Combine(_h.Roots, "broken")).FullName;
        var before = await _h.FingerprintAsync();

        var response = await _admin.Client.PostAsJsonAsync("/api/models", new { path = broken });
        var outside = await _admin.Client.PostAsJsonAsync("/api/models", new { path = _h.Outside });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await SecurityHost.ProblemTextAsync(response);
        Assert.Contains("No config.json in the folder", text);
        Assert.Contains("No weights: expected model.safetensors", text);
        Assert.Contains("No tokenizer: expected tokenizer.json", text);
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
        Assert.Contains($"path: {ServerPathPolicy.Refusal}.", await SecurityHost.ProblemTextAsync(outside));
        Assert.Equal(before, await _h.FingerprintAsync());
        Assert.Empty((await _admin.Client.GetFromJsonAsync<JsonElement>("/api/models")).EnumerateArray());
    }

    [Fact]
    public async Task A_Labeler_cannot_register_a_model()
    {
        var response = await _labeler.Client.PostAsJsonAsync("/api/models", new { path = _model });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_model_endpoints()
    {
        using var client = _h.Host.CreateClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/models").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/api/models").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/models/found").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/api/models/{id}").TryGetProperty("delete", out _));
        Assert.True(paths.GetProperty("/api/models/{id}/compute-dtype").TryGetProperty("put", out _));
    }
}
