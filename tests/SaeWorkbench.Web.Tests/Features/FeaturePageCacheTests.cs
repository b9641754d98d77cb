using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Research.Analysis;

namespace SaeWorkbench.Web.Tests.Features;

/// <summary>
/// The feature page's example markup is cached per latent and analysis, so a new analysis shows at
/// once (never a stale cached one), and each context shows the window around its peak with the rest one click away.
/// </summary>
public sealed class FeaturePageCacheTests
{
    private const string Password = "correct horse battery 42";

    /// <summary>Latent <paramref name="index"/>'s dashboard with one top example whose tokens are <paramref name="firstToken"/>, +1, … (41 tokens, peak at 32).</summary>
    private static LatentAnalysisResult Result(int index, int firstToken)
    {
        const long tokens = 10_000;
        var ids = Enumerable.Range(firstToken, 41).ToArray();
        var acts = Enumerable.Range(0, 41).Select(t => t == 32 ? 4f : t % 4 == 0 ? 1f : 0f).ToArray();
        var example = new DashboardExample(ids, acts, 32, 7, 32);
        var stats = new LatentStatistics(index, 100, tokens, 4, 1);
        var intervals = new List<IntervalSample> { new(0, 0, 4, 100, 1, [example]) };
        return new LatentAnalysisResult(new LatentDashboard(stats, new long[50], [example], intervals), null, null);
    }

    [Fact]
    public async Task A_new_analysis_replaces_the_cached_examples_and_contexts_show_the_window_around_the_peak()
    {
        using var factory = new WorkbenchFactory();
        long dictionaryId;
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            var dictionary = new SaeDictionary
            {
                Name = "cached", ModelName = "none", ModelPath = "no-such-model", HookName = "blocks.0.hook_resid_post", Architecture = "topk",
                DIn = 4, DSae = 3, K = 1, SaePath = "/none", MetricsJson = "{}", TrainingConfigJson = "{}",
            };
            db.Dictionaries.Add(dictionary);
            await db.SaveChangesAsync();
            for (var i = 0; i < 3; i++) db.Latents.Add(new Latent { DictionaryId = dictionary.Id, Index = i });
            await db.SaveChangesAsync();
            dictionaryId = dictionary.Id;
        }
        var store = factory.Services.GetRequiredService<FeatureAnalysisStore>();
        await store.SaveAsync(new FeatureAnalysisHeader(dictionaryId, null, "first", 10_000, "{}"), 3, i => Result(i, 1000));

        await factory.RegisterAsync("cora", Password);
        var client = factory.CreateBrowserlikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(client, "cora", Password)).StatusCode);
        var url = $"/dictionaries/{dictionaryId}/features/1";

        var first = await client.GetStringAsync(url);
        Assert.Contains("[1032]", first); // no tokenizer for this model: token ids show as [id]
        Assert.Equal(first.Split("[1032]").Length, (await client.GetStringAsync(url)).Split("[1032]").Length); // served again (from the cache)
        // The window around the peak (offset 32: 20 … 36) shows; tokens before and after are in the page, hidden until expanded.
        var top = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(first).QuerySelector("[data-testid=top-examples]")!;
        string Classes(int token) => top.QuerySelectorAll(".tok").Single(t => t.TextContent == $"[{token}]").ClassName!;
        Assert.Equal("tok far", Classes(1019));
        Assert.Equal("tok", Classes(1020));
        Assert.Equal("tok peak", Classes(1032));
        Assert.Equal("tok", Classes(1036));
        Assert.Equal("tok far", Classes(1037));
        Assert.Contains("data-testid=\"expand-context\"", first);

        await store.SaveAsync(new FeatureAnalysisHeader(dictionaryId, null, "second", 10_000, "{}"), 3, i => Result(i, 2000));
        var second = await client.GetStringAsync(url);
        Assert.Contains("[2032]", second);
        Assert.DoesNotContain("[1032]", second);
    }
}
