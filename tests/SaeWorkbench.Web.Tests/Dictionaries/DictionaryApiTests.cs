using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Dictionaries;

public sealed class DictionaryApiTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    private async Task<long> SeedDictionaryAsync(string name)
    {
        await using var db = f.Harness.Db();
        var d = new SaeDictionary
        {
            Name = name, ModelName = "tiny-llama", ModelPath = "/srv/secret-root/models/tiny-llama/", HookName = "blocks.1.hook_resid_post",
            Architecture = "jumprelu", DIn = 8, DSae = 3, SaePath = "/srv/secret-root/saes/" + name, MetricsJson = """{"l0": 12.5, "explained_variance": 0.8}""",
        };
        db.Dictionaries.Add(d);
        await db.SaveChangesAsync();
        db.Latents.AddRange(Enumerable.Range(0, 3).Select(i => new Data.Dictionaries.Latent { DictionaryId = d.Id, Index = i }));
        await db.SaveChangesAsync();
        return d.Id;
    }

    [Fact]
    public async Task A_viewer_lists_and_reads_dictionaries_without_the_servers_paths()
    {
        var id = await SeedDictionaryAsync("api-list");
        var list = await f.Viewer.Client.GetStringAsync("/api/dictionaries");
        var one = await f.Viewer.Client.GetStringAsync($"/api/dictionaries/{id}");

        Assert.DoesNotContain("/srv/secret-root", list);
        Assert.DoesNotContain("/srv/secret-root", one);
        using var doc = JsonDocument.Parse(one);
        var root = doc.RootElement;
        Assert.Equal("api-list", root.GetProperty("name").GetString());
        Assert.Equal("tiny-llama", root.GetProperty("modelFolder").GetString());
        Assert.Equal("blocks.1.hook_resid_post", root.GetProperty("hookName").GetString());
        Assert.Equal(12.5, root.GetProperty("metrics").GetProperty("l0").GetDouble());
        Assert.Contains(JsonDocument.Parse(list).RootElement.EnumerateArray(), d => d.GetProperty("id").GetInt64() == id);
    }

    [Fact]
    public async Task Unknown_dictionaries_and_unanalysed_ones_answer_404_and_anonymous_callers_401()
    {
        var id = await SeedDictionaryAsync("api-404");
        Assert.Equal(HttpStatusCode.NotFound, (await f.Viewer.Client.GetAsync("/api/dictionaries/987654")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await f.Viewer.Client.GetAsync($"/api/dictionaries/{id}/summary")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await f.Viewer.Client.GetAsync($"/api/dictionaries/{id}/features/0/dashboard")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Harness.ClientWith(null).GetAsync("/api/dictionaries")).StatusCode);
    }

    [Fact]
    public async Task An_analysed_dictionary_serves_its_summary_and_each_latents_dashboard()
    {
        var id = await SeedDictionaryAsync("api-dashboard");
        var store = f.Harness.Host.Services.GetRequiredService<FeatureAnalysisStore>();
        await store.SaveAsync(new FeatureAnalysisHeader(id, null, "corpus", 1000, "{}"), 3, Result);

        using var dashboard = JsonDocument.Parse(await f.Viewer.Client.GetStringAsync($"/api/dictionaries/{id}/features/1/dashboard"));
        var d = dashboard.RootElement;
        Assert.Equal(1, d.GetProperty("latentIndex").GetInt32());
        Assert.Equal(11, d.GetProperty("activeCount").GetInt64());
        Assert.Equal([11, 20, 30], d.GetProperty("topExamples")[0].GetProperty("tokenIds").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal(HttpStatusCode.NotFound, (await f.Viewer.Client.GetAsync($"/api/dictionaries/{id}/features/3/dashboard")).StatusCode);

        using var summary = JsonDocument.Parse(await f.Viewer.Client.GetStringAsync($"/api/dictionaries/{id}/summary"));
        Assert.Equal(3, summary.RootElement.GetProperty("latents").GetInt32());
        Assert.Equal(1, summary.RootElement.GetProperty("dead").GetInt32());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_dictionary_api()
    {
        using var doc = JsonDocument.Parse(await f.Harness.ClientWith(null).GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/dictionaries", "/api/dictionaries/{dictionaryId}", "/api/dictionaries/{dictionaryId}/summary", "/api/dictionaries/{dictionaryId}/features/{index}/dashboard" })
            Assert.True(paths.TryGetProperty(path, out _) || paths.TryGetProperty(path + "/", out _), $"{path} missing from the OpenAPI document");
    }

    /// <summary>Latent 0 is dead; latent i otherwise fired 10 + i times out of 1,000 tokens, peaking at i + 0.25.</summary>
    private static LatentAnalysisResult Result(int latent)
    {
        var dead = latent == 0;
        var example = new DashboardExample([10 + latent, 20, 30], [0.5f, latent + 0.25f, 0f], 1, WindowIndex: 0, Position: 7);
        var stats = new LatentStatistics(latent, dead ? 0 : 10 + latent, 1000, dead ? 0 : latent + 0.25f, dead ? 0 : 0.5);
        IntervalSample[] intervals = [.. Enumerable.Range(0, 5).Select(j =>
            new IntervalSample(j, 0, 0, j == 4 && !dead ? stats.ActiveCount : 0, j == 4 && !dead ? 1 : 0, j == 4 && !dead ? [example] : []))];
        var histogram = new long[50];
        if (!dead) histogram[49] = stats.ActiveCount;
        var activations = new LatentDashboard(stats, histogram, dead ? [] : [example], intervals);
        var logits = new LatentLogitEffects(latent, [new TokenEffect(3, 2.5f)], [new TokenEffect(4, -1.5f)], [.. Enumerable.Repeat(1L, 50)], -1.5f, 2.5f);
        return new LatentAnalysisResult(activations, logits, new LatentNeighbours(latent, [(latent + 1) % 3], [0.75f]));
    }
}
