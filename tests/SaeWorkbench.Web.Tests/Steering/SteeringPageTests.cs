using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Steering;

namespace SaeWorkbench.Web.Tests.Steering;

public class SteeringPageTests
{
    private static SteeringRun Run(long dictionaryId, int latent)
    {
        SideToken Side(int id, string text) => new(id, text, FinishReason.None, [new TokenProbability(id, text, 0.5f)]);
        var steps = new List<SteeringStep> { new(0, 0, Side(1, " peace"), Side(2, " war"), 0.7), new(0, 1, Side(3, "."), Side(3, "."), 0.1) };
        var sample = new SteeringSample(0, 5, new SteeringContinuation([1, 3], " peace.", FinishReason.MaxTokens),
            new SteeringContinuation([2, 3], " war.", FinishReason.MaxTokens), steps);
        var request = new SteeringRequest
        {
            DictionaryId = dictionaryId, Prompt = "The union is", MaxNewTokens = 2, Seed = 5,
            Interventions = [new LatentIntervention(latent, InterventionKind.Add, 7.5)],
        };
        return new SteeringRun(request, "d", "blocks.0.hook_resid_post", new SteeringResult([0, 9], [sample]));
    }

    [Fact]
    public async Task The_feature_page_offers_steering_at_the_default_multiple_of_max_activation_and_lists_saved_comparisons_of_the_latent()
    {
        using var factory = new WorkbenchFactory();
        await factory.RegisterAsync("admin", "administer1");
        var client = factory.CreateBrowserlikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(client, "admin", "administer1")).StatusCode);
        long dictionaryId;
        string adminId;
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync())
        {
            var d = new SaeDictionary { Name = "d", ModelName = "m", ModelPath = "/nowhere", HookName = "blocks.0.hook_resid_post", Architecture = "standard", DIn = 4, DSae = 8, SaePath = "/x" };
            db.Dictionaries.Add(d);
            await db.SaveChangesAsync();
            db.Latents.AddRange(new Latent { DictionaryId = d.Id, Index = 4, MaxActivation = 2.5 }, new Latent { DictionaryId = d.Id, Index = 5, MaxActivation = 1 });
            await db.SaveChangesAsync();
            dictionaryId = d.Id;
            adminId = await db.Users.Where(u => u.UserName == "admin").Select(u => u.Id).SingleAsync();
        }
        var steering = factory.Services.GetRequiredService<SteeringService>();
        var id = await steering.SaveAsync(new Actor(adminId, "admin", Role.Admin), Run(dictionaryId, 4), "war not peace", "demo");

        var page = await client.GetStringAsync($"/dictionaries/{dictionaryId}/features/4");
        string Strength(double max) => SteeringDefaults.Strength(max).ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"steering?dictionary={dictionaryId}&amp;latent=4&amp;strength={Strength(2.5)}\"", page);
        Assert.Contains("war not peace", page);
        Assert.Contains($"href=\"steering/{id}\"", page);
        var other = await client.GetStringAsync($"/dictionaries/{dictionaryId}/features/5");
        Assert.Contains($"strength={Strength(1)}\"", other);
        Assert.DoesNotContain("war not peace", other);

        var list = await client.GetStringAsync("/steering?dictionary=" + dictionaryId + "&latent=4&strength=7.5");
        Assert.Contains("war not peace", list);
        Assert.Contains("7.5", list);
        var permalink = await client.GetStringAsync($"/steering/{id}");
        Assert.Contains("war not peace", permalink);
        Assert.Contains(" war", permalink);      // the author sees the labelled outputs
        Assert.Contains("There is no saved comparison #999", await client.GetStringAsync("/steering/999"));
    }
}
