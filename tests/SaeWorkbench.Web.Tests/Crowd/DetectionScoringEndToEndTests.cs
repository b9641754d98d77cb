using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Tests.Crowd;

public sealed class DetectionScoringEndToEndTests
{
    [Fact]
    public async Task A_rating_set_is_balanced_across_bins_verified_silent_hides_the_answer_and_excludes_the_author()
    {
        using var factory = new WorkbenchFactory();
        var (model, corpus) = TinyWorld.Create(Path.Combine(factory.DataDirectory, "world"));
        var jobs = factory.Services.GetRequiredService<JobService>();
        var job = await jobs.EnqueueAsync(SaeWorkbench.Research.Dictionaries.SaeTrainingJob.KindName, JsonSerializer.Serialize(new
        {
            model, corpus, hook = "blocks.1.hook_resid_post", arch = "topk", latents = 32, k = 4,
            tokens = 256 * 20, batchSize = 256, bufferTokens = 2048, evalTokens = 512, learningRate = 3e-3, analyzeTokens = 3000,
        }), null);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromMinutes(4) && (await jobs.ListAsync()).Any(j => !j.IsFinished) || (await jobs.ListAsync()).Count < 2)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromMinutes(4), "training and analysis took too long");
            await Task.Delay(200);
        }
        Assert.All(await jobs.ListAsync(), j => Assert.Equal(Data.Jobs.JobState.Succeeded, j.State));

        await using var scope = factory.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        await accounts.RegisterAsync("admin", "password1");   // the first account is the Admin
        async Task<Actor> UserAsync(string name)
        {
            var (user, _) = await accounts.RegisterAsync(name, "password1");
            Assert.Empty(await accounts.SetRoleAsync(user!.Id, WorkbenchRoles.Labeler));
            return new Actor(user.Id, name, Role.Labeler);
        }
        var (ann, ben, cat) = (await UserAsync("ann"), await UserAsync("ben"), await UserAsync("cat"));
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        // The sparsest latent with interval samples from at least two bins: it leaves many other contexts silent.
        var sampled = (await db.Set<FeatureExample>().Where(e => e.Kind == FeatureExampleKind.Interval)
            .Select(e => new { e.LatentId, e.Bin }).ToListAsync()).GroupBy(e => e.LatentId).Where(g => g.Select(e => e.Bin).Distinct().Count() >= 2).Select(g => g.Key).ToList();
        var latentId = await db.Latents.Where(l => sampled.Contains(l.Id) && l.Density > 0).OrderBy(l => l.Density).Select(l => l.Id).FirstAsync();
        var labelling = factory.Services.GetRequiredService<LabellingService>();
        var interpretation = (await labelling.CreateInterpretationAsync(ann, latentId, new InterpretationDraft("speech words", "", 3, "topic-semantic"))).Value!;
        var detection = factory.Services.GetRequiredService<DetectionScoringService>();

        var own = await detection.OpenAsync(ann, interpretation.Id);
        var opened = await detection.OpenAsync(ben, interpretation.Id);
        var reopened = await detection.OpenAsync(ben, interpretation.Id);

        Assert.Equal("You cannot rate your own interpretation.", own.Validation.Errors["interpretation"]);
        Assert.True(opened.Succeeded, opened.Validation.ToString());
        var view = opened.Value!;
        Assert.Equal(view.Contexts.Select(c => c.TokenIds), reopened.Value!.Contexts.Select(c => c.TokenIds));   // the stored set, not a new draw
        Assert.DoesNotContain("activ", JsonSerializer.Serialize(view), StringComparison.OrdinalIgnoreCase);

        var shown = await db.DetectionContexts.AsNoTracking().Where(c => c.SessionId == view.SessionId).OrderBy(c => c.Position).ToListAsync();
        var positives = shown.Where(c => c.IsActivating).ToList();
        var negatives = shown.Where(c => !c.IsActivating).ToList();
        Assert.InRange(positives.Count, 1, DetectionScoring.ActivatingPerSet);
        Assert.Equal(positives.Count, negatives.Count);
        // Activating contexts are this latent's own samples, spread over its non-empty bins.
        var mine = await db.Set<FeatureExample>().AsNoTracking().Where(e => e.LatentId == latentId && e.Kind == FeatureExampleKind.Interval).ToListAsync();
        Assert.All(positives, p => Assert.Contains(mine, e => e.Id == p.SourceExampleId));
        Assert.Equal(Math.Min(positives.Count, mine.Select(e => e.Bin).Distinct().Count()), positives.Select(p => p.Bin).Distinct().Count());
        // Non-activating contexts come from other latents and the latent is exactly 0 on them (recomputed here).
        var others = await db.Set<FeatureExample>().AsNoTracking().Where(e => negatives.Select(n => n.SourceExampleId).Contains(e.Id)).ToListAsync();
        Assert.All(others, e => Assert.NotEqual(latentId, e.LatentId));
        var index = await db.Latents.Where(l => l.Id == latentId).Select(l => l.Index).SingleAsync();
        var dictionaryId = await db.Latents.Where(l => l.Id == latentId).Select(l => l.DictionaryId).SingleAsync();
        var maxima = await factory.Services.GetRequiredService<TestTextService>()
            .MaxActivationsAsync(dictionaryId, index, negatives.Select(n => PackedArrays.ToInt32(n.TokenIds)).ToList());
        Assert.All(maxima, m => Assert.Equal(0f, m));

        // Ben marks exactly the activating ones: balanced accuracy 1. Cat marks everything: 0.5. Pooled: (1 + 0.5)/2 … by counts.
        var perfect = await detection.SubmitAsync(ben, interpretation.Id, positives.Select(p => p.Position).ToList());
        var again = await detection.SubmitAsync(ben, interpretation.Id, []);
        var catView = (await detection.OpenAsync(cat, interpretation.Id)).Value!;
        var everything = await detection.SubmitAsync(cat, interpretation.Id, catView.Contexts.Select(c => c.Position).ToList());

        Assert.Equal(1.0, perfect.Value!.Score.BalancedAccuracy);
        Assert.Equal("You have already rated this interpretation; each person rates it once.", again.Validation.Errors["interpretation"]);
        var pooled = everything.Value!.Score;
        Assert.Equal(2, pooled.Raters);
        // Each rater gets their own balanced draw: cat's may hold fewer verified-silent contexts (then fewer of each).
        var k = positives.Count;
        var catShown = await db.DetectionContexts.AsNoTracking().Where(c => c.SessionId == catView.SessionId).ToListAsync();
        var catK = catShown.Count(c => c.IsActivating);
        Assert.Equal(catK, catShown.Count(c => !c.IsActivating));
        Assert.Equal((k + catK, catK, k, 0), (pooled.TruePositives, pooled.FalsePositives, pooled.TrueNegatives, pooled.FalseNegatives));
        var expected = (1.0 + (double)k / (k + catK)) / 2;   // recall 1; specificity k / (k + catK); 0.75 when the draws are equal
        Assert.Equal(expected, pooled.BalancedAccuracy!.Value, 12);
        await using var after = await dbFactory.CreateDbContextAsync();
        var stored = await after.Interpretations.SingleAsync(i => i.Id == interpretation.Id);
        Assert.Equal(expected, stored.DetectionScore!.Value, 12);
        Assert.Equal(2, stored.DetectionRatings);
        Assert.Equal(2, await after.AuditLog.CountAsync(a => a.Action == "detection.rate"));
    }
}
