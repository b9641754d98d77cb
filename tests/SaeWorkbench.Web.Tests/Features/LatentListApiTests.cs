using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Data.Labelling;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Features;

/// <summary>The list API reads the feature list's model: the page's filters and sorts, paged by skip and take.</summary>
public sealed class LatentListApiTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    /// <summary>Twelve latents: every fifth dead, densities 0.1–1.2 %, distinct maxima, statuses and tags in turn, three scored.</summary>
    private async Task<(long Dictionary, List<Latent> Latents, Dictionary<long, double> Best)> SeedAsync()
    {
        var (dictionaryId, _) = await f.Harness.SeedLatentsAsync(12);
        await using var db = f.Harness.Db();
        var latents = await db.Latents.Where(l => l.DictionaryId == dictionaryId).OrderBy(l => l.Index).ToListAsync();
        for (var n = 0; n < latents.Count; n++)
        {
            var l = latents[n];
            l.IsDead = n % 5 == 4;
            l.Density = l.IsDead ? 0 : 0.001 * (n + 1);
            l.MaxActivation = l.IsDead ? null : n * 7 % 12;
            l.LabelStatus = (n % 3) switch { 0 => LabelStatus.Accepted, 1 => LabelStatus.Proposed, _ => LabelStatus.Unlabelled };
            l.ConsensusLabel = l.LabelStatus == LabelStatus.Unlabelled ? null : $"label {n}";
            l.ConsensusTag = l.LabelStatus == LabelStatus.Unlabelled ? null : n % 2 == 0 ? "syntax" : "entity";
        }
        await db.SaveChangesAsync();
        // Scores: latent 1 by a model (0.9, and 0.95 on a stale version), latent 3 by people (0.6), latent 6 by both (0.75 / 0.8).
        var best = new Dictionary<long, double>();
        foreach (var (n, human, machine) in new (int, double?, double?)[] { (1, null, 0.9), (3, 0.6, null), (6, 0.8, 0.75) })
        {
            var i = new Interpretation
            {
                LatentId = latents[n].Id, AuthorId = f.Ann.Id, Label = $"scored {n}", Version = 2,
                DetectionScore = human, DetectionRatings = human is null ? 0 : 3,
            };
            db.Interpretations.Add(i);
            await db.SaveChangesAsync();
            if (machine is { } m)
            {
                db.ExplanationScores.Add(new ExplanationScore { InterpretationId = i.Id, InterpretationVersion = 2, Scorer = "detection", ModelName = "m", PromptVersion = "v1", BalancedAccuracy = m });
                db.ExplanationScores.Add(new ExplanationScore { InterpretationId = i.Id, InterpretationVersion = 1, Scorer = "fuzzing", ModelName = "m", PromptVersion = "v1", BalancedAccuracy = 0.95 });
            }
            best[latents[n].Id] = Math.Max(human ?? 0, machine ?? 0);
        }
        await db.SaveChangesAsync();
        return (dictionaryId, latents, best);
    }

    private async Task<Page<LatentListItem>> ListAsync(long dictionary, string query) =>
        (await f.Viewer.Client.GetFromJsonAsync<Page<LatentListItem>>($"/api/dictionaries/{dictionary}/latents{query}"))!;

    [Fact]
    public async Task Filters_sorts_and_paging_match_a_brute_force_query()
    {
        var (dictionary, latents, best) = await SeedAsync();
        void Check(Page<LatentListItem> page, IEnumerable<Latent> expected, int skip, int take)
        {
            var all = expected.ToList();
            Assert.Equal(all.Count, page.Total);
            Assert.Equal(all.Skip(skip).Take(take).Select(l => l.Index), page.Items.Select(i => i.Index));
            Assert.Equal(all.Skip(skip).Take(take).Select(l => l.Id), page.Items.Select(i => i.Id));
            Assert.Equal((skip, take), (page.Skip, page.Take));
        }

        Check(await ListAsync(dictionary, ""), latents, 0, 100);
        Check(await ListAsync(dictionary, "?dead=false&sort=maxActivation&desc=true&skip=2&take=3"),
            latents.Where(l => !l.IsDead).OrderByDescending(l => l.MaxActivation).ThenBy(l => l.Index), 2, 3);
        Check(await ListAsync(dictionary, "?minDensity=0.003&maxDensity=0.008&sort=density&desc=true&take=2&skip=1"),
            latents.Where(l => l.Density is >= 0.003 and <= 0.008).OrderByDescending(l => l.Density).ThenBy(l => l.Index), 1, 2);
        Check(await ListAsync(dictionary, "?status=accepted&tag=syntax"),
            latents.Where(l => l.LabelStatus == LabelStatus.Accepted && l.ConsensusTag == "syntax").OrderBy(l => l.Index), 0, 100);
        Check(await ListAsync(dictionary, "?q=label%201&desc=true"),
            latents.Where(l => l.ConsensusLabel?.Contains("label 1") == true).OrderByDescending(l => l.Index), 0, 100);
        Check(await ListAsync(dictionary, "?dead=true&minDensity=0.5"), [], 0, 100);

        // The score sort lists the scored latents only, best first, with their best current score (a stale version's is ignored).
        var scored = await ListAsync(dictionary, "?sort=bestScore&desc=true");
        Check(scored, latents.Where(l => best.ContainsKey(l.Id)).OrderByDescending(l => best[l.Id]), 0, 100);
        Assert.Equal(best.Values.OrderDescending(), scored.Items.Select(i => i.BestScore!.Value));
        Check(await ListAsync(dictionary, "?minScore=0.7"), latents.Where(l => best.GetValueOrDefault(l.Id) >= 0.7), 0, 100);

        // Each row is the list's row: statistics and consensus as stored.
        var row = (await ListAsync(dictionary, "?skip=3&take=1")).Items.Single();
        var third = latents[3];
        Assert.Equal((third.Density, third.MaxActivation, third.IsDead), (row.Density, row.MaxActivation, row.IsDead));
        Assert.Equal(new ConsensusView("Accepted", null, "label 3", "entity"), row.Consensus);
    }

    [Fact]
    public async Task The_list_api_pages_like_the_feature_list_page()
    {
        var (dictionary, _, _) = await SeedAsync();
        var catalog = f.Harness.Host.Services.GetRequiredService<FeatureCatalog>();
        foreach (var view in new[] { "?sort=density", "?sort=labelStatus&desc=true", "?dead=false&sort=maxActivation" })
        {
            var query = FeatureQuery.Parse(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(view).ToDictionary(kv => kv.Key, kv => (string?)kv.Value.ToString()));
            for (var page = 0; page < 3; page++)
            {
                var fromPage = await catalog.QueryAsync(dictionary, query with { Page = page, PageSize = 4 });
                var fromApi = await ListAsync(dictionary, $"{view}&skip={page * 4}&take=4");
                Assert.Equal(fromPage.Rows.Select(r => r.Index), fromApi.Items.Select(i => i.Index));
                Assert.Equal(fromPage.Total, fromApi.Total);
            }
        }
    }

    [Theory]
    [InlineData("?sort=size", "sort")]
    [InlineData("?sort=2", "sort")]
    [InlineData("?status=1", "status")]
    [InlineData("?status=done", "status")]
    [InlineData("?take=0", "take")]
    [InlineData("?take=201", "take")]
    [InlineData("?skip=-1", "skip")]
    [InlineData("?minScore=2", "minScore")]
    [InlineData("?minDensity=abc", "minDensity")]
    [InlineData("?dead=maybe", "dead")]
    public async Task A_malformed_filter_is_refused_naming_it(string query, string field)
    {
        var (dictionary, _, _) = await SeedAsync();
        var response = await f.Viewer.Client.GetAsync($"/api/dictionaries/{dictionary}/latents{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task An_unknown_dictionary_is_404_and_an_empty_one_an_empty_page()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await f.Viewer.Client.GetAsync("/api/dictionaries/987654/latents")).StatusCode);
        var (dictionary, _) = await f.Harness.SeedLatentsAsync(1);
        var empty = await ListAsync(dictionary, "?dead=true");
        Assert.Equal(0, empty.Total);
        Assert.Empty(empty.Items);
    }
}
