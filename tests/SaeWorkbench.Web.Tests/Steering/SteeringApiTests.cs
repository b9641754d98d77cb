using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Dictionaries;
using static TorchSharp.torch;

namespace SaeWorkbench.Web.Tests.Steering;

public class SteeringApiTests
{
    /// <summary>A random SAE on a tiny model's block-0 residual, registered as a dictionary; <paramref name="name"/> names the folders of its model and SAE.</summary>
    internal static async Task<long> RegisterAsync(WorkbenchFactory factory, string name = "tiny")
    {
        var (model, _) = TinyWorld.Create(Path.Combine(factory.DataDirectory, name));
        var saeFolder = Path.Combine(factory.DataDirectory, name + "-sae");
        using (NewDisposeScope())
        {
            using var g = new Generator().manual_seed(5);
            using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 16, 12 }, generator: g), zeros(12),
                randn(new long[] { 12, 16 }, generator: g), zeros(16));
            SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = "blocks.0.hook_resid_post", ContextSize = 32 });
        }
        var registry = new DictionaryRegistry(factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>());
        return (await registry.RegisterAsync(saeFolder, name, model, "{}", "{}", 0, null, null)).Id;
    }

    private static object Request(long dictionaryId, double strength = 20) => new
    {
        dictionaryId, prompt = "the state of the union", temperature = 0.8, maxNewTokens = 6, seed = 3, samples = 1,
        interventions = new[] { new { latent = 2, kind = (int)SaeWorkbench.Ml.Interventions.InterventionKind.Add, value = strength, unitDirection = false } },
    };

    [Fact]
    public async Task A_sweep_over_rest_puts_every_strength_beside_one_baseline_and_bad_strengths_name_the_field()
    {
        using var factory = new WorkbenchFactory();
        await factory.RegisterAsync("admin", "administer1");
        var client = factory.CreateBrowserlikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(client, "admin", "administer1")).StatusCode);
        var dictionaryId = await RegisterAsync(factory);

        var response = await client.PostAsJsonAsync("/api/steering/sweeps", new { request = Request(dictionaryId), strengths = new[] { 0.0, 40 } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sample = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("result").GetProperty("samples")[0];
        var variants = sample.GetProperty("variants");
        Assert.Equal(2, variants.GetArrayLength());
        Assert.Equal(sample.GetProperty("baseline").GetProperty("tokenIds").ToString(), variants[0].GetProperty("tokenIds").ToString());

        var bad = await client.PostAsJsonAsync("/api/steering/sweeps", new { request = Request(dictionaryId), strengths = Array.Empty<double>() });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("strengths: give 1 to", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("strengths")[0].GetString());
        var noDictionary = await client.PostAsJsonAsync("/api/steering/runs", Request(999));
        Assert.Equal(HttpStatusCode.BadRequest, noDictionary.StatusCode);

        var run = await client.PostAsJsonAsync("/api/steering/runs", Request(dictionaryId));
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        Assert.Equal(1, (await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("result").GetProperty("samples").GetArrayLength());
        Assert.Equal("[]", (await client.GetFromJsonAsync<JsonElement>($"/api/steering/comparisons?dictionaryId={dictionaryId}")).ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/steering/comparisons/12345")).StatusCode);

        var openApi = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/steering/sweeps", openApi);
        Assert.Contains("/api/steering/comparisons", openApi);
    }
}
