using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Limits;
using SaeWorkbench.Web.Components.Explanations;
using SaeWorkbench.Web.Tests.Components;

namespace SaeWorkbench.Web.Tests.Explanations;

/// <summary>"Score this with the model" on a latent's page (bUnit, with the real host's job service and scores).</summary>
public sealed class ScoreBadgesTests : MudComponentTest
{
    [Fact]
    public async Task Score_this_with_the_model_queues_a_score_job_and_a_spent_job_budget_is_said_not_thrown()
    {
        using var factory = new WorkbenchFactory();
        string ann, ben;
        await factory.RegisterAsync("ann", "Correct-Horse-42");
        await factory.RegisterAsync("ben", "Correct-Horse-43");
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync())
        {
            ann = await db.Users.Where(u => u.UserName == "ann").Select(u => u.Id).SingleAsync();
            ben = await db.Users.Where(u => u.UserName == "ben").Select(u => u.Id).SingleAsync();
        }
        var jobs = factory.Services.GetRequiredService<JobService>();
        Context.Services.AddSingleton(jobs);
        Context.Services.AddSingleton(factory.Services.GetRequiredService<ExplanationScoreReader>());
        IRenderedComponent<ScoreBadges> Render(string user) => Context.Render<ScoreBadges>(p => p
            .Add(b => b.InterpretationId, 42).Add(b => b.DictionaryId, 1).Add(b => b.CanScore, true).Add(b => b.UserId, user));

        var fresh = Render(ann);
        await fresh.Find("[data-testid=score-with-model]").ClickAsync(new());
        var queued = Assert.Single(await jobs.ListAsync());
        Assert.Equal((ScoreJob.KindName, ann), (queued.Kind, queued.OwnerId));
        Assert.Contains("\"interpretationIds\":[42]", queued.ParametersJson);
        Assert.Contains($"queued (job {queued.Id})", fresh.Find("[data-testid=score-with-model]").TextContent);

        var limiter = factory.Services.GetRequiredService<UserRateLimiter>();
        while (limiter.TryAcquire(WorkKind.Job, ben, out _)) { }
        var spent = Render(ben);
        await spent.Find("[data-testid=score-with-model]").ClickAsync(new());
        Assert.Matches(@"^Too many .+: try again in \d+ s\.$", spent.Find(".mud-typography-caption").TextContent.Trim());
        Assert.Single(await jobs.ListAsync());
    }
}
