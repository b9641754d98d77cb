using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Steering;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Steering;
using SaeWorkbench.Ml.Interventions;

namespace SaeWorkbench.Research.Tests.Steering;

public class SteeringServiceTests
{
    [Fact]
    public async Task A_saved_comparison_reruns_token_for_token_and_is_listed_audited_and_announced()
    {
        await using var w = await SteeringWorld.StartAsync();
        var events = new List<WorkbenchEvent>();
        using var _ = w.Bus.Subscribe(events.Add);
        var steps = new List<SteeringProgress>();
        var run = await w.Steering.RunAsync(w.Ann, w.Request(), steps.Add);
        Assert.Equal(2, run.Result.Samples.Count);
        Assert.Contains(steps, s => s.QueuePosition == 0);
        Assert.Equal(run.Result.Samples.Sum(s => s.Steps.Count), steps.Count(s => s.Step is not null));

        // The feature page's question (cached per dictionary): none yet; saving clears the cache at once.
        Assert.Empty(await w.Steering.ListAsync(dictionaryId: w.DictionaryId, latent: 2));
        var id = await w.Steering.SaveAsync(w.Ann, run, "  cats get sunny ", "Sun, cats sun");
        var saved = await w.Steering.GetAsync(id);
        Assert.NotNull(saved);
        Assert.Equal("cats get sunny", saved.Summary.Title);
        Assert.Equal("sun cats", saved.Summary.Tags);
        Assert.Equal(run.Request, saved.Request with { Interventions = run.Request.Interventions, Positions = run.Request.Positions });
        Assert.Equal(run.Request.Interventions, saved.Request.Interventions);

        var again = await w.Steering.RerunAsync(w.Ben, id);
        for (var s = 0; s < 2; s++)
        {
            Assert.Equal(saved.Result.Samples[s].Baseline.TokenIds, again.Result.Samples[s].Baseline.TokenIds);
            Assert.Equal(saved.Result.Samples[s].Steered.TokenIds, again.Result.Samples[s].Steered.TokenIds);
            Assert.Equal(saved.Result.Samples[s].Steered.Text, again.Result.Samples[s].Steered.Text);
        }

        Assert.Single(await w.Steering.ListAsync("sun"));
        Assert.Single(await w.Steering.ListAsync("CAT SAT"));
        Assert.Empty(await w.Steering.ListAsync("dog"));
        Assert.Single(await w.Steering.ListAsync(dictionaryId: w.DictionaryId, latent: 2));
        Assert.Empty(await w.Steering.ListAsync(dictionaryId: w.DictionaryId, latent: 3));
        await using var db = w.Db();
        Assert.Equal("u-ann", (await db.AuditLog.SingleAsync(a => a.Action == "steering.save")).UserId);
        Assert.Contains(events, e => e is SteeringComparisonSaved s && s.ComparisonId == id && s.Latents.SequenceEqual([2]));
    }

    [Fact]
    public async Task Viewers_cannot_run_and_bad_input_is_refused_with_a_clear_error_before_anything_runs()
    {
        await using var w = await SteeringWorld.StartAsync(new SteeringLimits { MaxNewTokens = 20, MaxTokensTimesSamples = 30 }, new Limits.RateLimits { ModelPassesPerMinute = 1 });
        await Assert.ThrowsAsync<RefusedException>(() => w.Steering.RunAsync(w.Viewer, w.Request()));
        async Task<string> Refused(SteeringRequest r) => (await Assert.ThrowsAnyAsync<Exception>(() => w.Steering.RunAsync(w.Ann, r))).Message;

        Assert.Contains("latent 6 does not exist", await Refused(w.Request() with { Interventions = [new LatentIntervention(6, InterventionKind.Add, 1)] }));
        Assert.Contains("finite", await Refused(w.Request(strength: double.NaN)));
        Assert.Contains("finite", await Refused(w.Request(strength: double.PositiveInfinity)));
        Assert.Contains("between 1 and 20", await Refused(w.Request(maxTokens: 21, samples: 1)));
        Assert.Contains("max tokens × samples", await Refused(w.Request(maxTokens: 20, samples: 2)));
        Assert.Contains("context", await Refused(w.Request() with { Prompt = string.Join(" ", Enumerable.Repeat("the cat sat on the mat", 10)) }));
        Assert.Contains("blocks.7.hook_resid_post", await Refused(w.Request() with { DictionaryId = w.BadHookDictionaryId }));
        Assert.Contains("no dictionary", await Refused(w.Request() with { DictionaryId = 999 }));
        // None of the refusals above counted against the rate limit or reached the model's queue.
        Assert.Equal(0, w.Host.QueueOf(w.ModelFolder).Waiting);
        var run = await w.Steering.RunAsync(w.Ann, w.Request());
        await Assert.ThrowsAsync<RefusedException>(() => w.Steering.SaveAsync(w.Viewer, run, "t", null));
        await Assert.ThrowsAsync<RefusedException>(() => w.Steering.OpenBlindReviewAsync(w.Viewer, 1));
    }

    [Fact]
    public async Task Runs_are_rate_limited_per_user_and_the_window_slides()
    {
        await using var w = await SteeringWorld.StartAsync(new SteeringLimits(), new Limits.RateLimits { ModelPassesPerMinute = 2 });
        await w.Steering.RunAsync(w.Ann, w.Request(maxTokens: 2, samples: 1));
        w.Clock.Now += TimeSpan.FromSeconds(30);
        await w.Steering.RunAsync(w.Ann, w.Request(maxTokens: 2, samples: 1));
        var limited = await Assert.ThrowsAsync<SteeringRateLimitedException>(() => w.Steering.RunAsync(w.Ann, w.Request(maxTokens: 2, samples: 1)));
        Assert.Equal(TimeSpan.FromSeconds(30), limited.RetryAfter);
        await w.Steering.RunAsync(w.Ben, w.Request(maxTokens: 2, samples: 1));   // another user is not limited
        w.Clock.Now += TimeSpan.FromSeconds(31);
        await w.Steering.RunAsync(w.Ann, w.Request(maxTokens: 2, samples: 1));   // the first run left the window
    }

    [Fact]
    public async Task Test_text_and_steering_draw_on_one_model_pass_budget_per_user()
    {
        await using var w = await SteeringWorld.StartAsync(new SteeringLimits(), new Limits.RateLimits { ModelPassesPerMinute = 2 });
        var options = new SaeWorkbench.Ml.Analysis.TestTextOptions { Latent = 0, Count = 1 };
        await w.Steering.RunAsync(w.Ann, w.Request(maxTokens: 2, samples: 1));
        await w.TestText.RunAsync(w.Ann.UserId, w.DictionaryId, "the cat", options);
        var limited = await Assert.ThrowsAsync<Limits.RateLimitedException>(() => w.TestText.RunAsync(w.Ann.UserId, w.DictionaryId, "the cat", options));
        Assert.Contains("Too many model runs", limited.Message);
        await Assert.ThrowsAsync<SteeringRateLimitedException>(() => w.Steering.RunAsync(w.Ann, w.Request(maxTokens: 2, samples: 1)));
        await w.TestText.RunAsync(w.Ben.UserId, w.DictionaryId, "the cat", options);   // another user has a budget of their own
        w.Clock.Now += TimeSpan.FromMinutes(1);
        await w.TestText.RunAsync(w.Ann.UserId, w.DictionaryId, "the cat", options);
    }

    [Fact]
    public async Task Blind_order_is_random_and_recorded_and_guesses_are_scored_per_comparison_and_latent()
    {
        await using var w = await SteeringWorld.StartAsync();
        var run = await w.Steering.RunAsync(w.Ann, w.Request(strength: 30, maxTokens: 6));
        var id = await w.Steering.SaveAsync(w.Ann, run, "blind", null);
        await Assert.ThrowsAsync<ArgumentException>(() => w.Steering.OpenBlindReviewAsync(w.Ann, id));   // the author knows the answer

        var reviewers = Enumerable.Range(0, 24).Select(i => new Actor($"u-r{i}", $"r{i}", Role.Labeler)).ToList();
        await using (var db = w.Db())
        {
            foreach (var r in reviewers) await w.AddUserAsync(db, r);
            await db.SaveChangesAsync();
        }
        var firsts = new List<bool>();
        foreach (var r in reviewers)
        {
            var pair = await w.Steering.OpenBlindReviewAsync(r, id);
            Assert.False(pair.Submitted);
            Assert.Null(pair.InterventionShownFirst);
            Assert.Equal(pair, await w.Steering.OpenBlindReviewAsync(r, id));   // reopening shows the same order
            await using var db = w.Db();
            var row = await db.SteeringReviews.SingleAsync(x => x.Id == pair.ReviewId);
            var sample = run.Result.Samples[row.Sample];
            Assert.Equal(row.InterventionShownFirst ? sample.Steered.Text : sample.Baseline.Text, pair.First);
            Assert.Equal(row.InterventionShownFirst ? sample.Baseline.Text : sample.Steered.Text, pair.Second);
            firsts.Add(row.InterventionShownFirst);
            // Everyone says "A is the intervened one": right exactly when A was.
            var view = await w.Steering.SubmitReviewAsync(r, id, new ReviewInput(true, SteeringEffect.Yes, 4, "A reads **sunnier**"));
            Assert.Equal(row.InterventionShownFirst, view.GuessCorrect);
            Assert.Contains("<strong>sunnier</strong>", view.CommentHtml);
        }
        Assert.Contains(true, firsts);
        Assert.Contains(false, firsts);
        var comparison = await w.Steering.GetAsync(id);
        Assert.Equal(new BlindScore(24, firsts.Count(f => f)), comparison!.Summary.Blind);
        Assert.Equal(new BlindScore(24, firsts.Count(f => f)), await w.Steering.BlindScoreForLatentAsync(w.DictionaryId, 2));
        Assert.Equal(new BlindScore(0, 0), await w.Steering.BlindScoreForLatentAsync(w.DictionaryId, 3));
        Assert.Equal(4, comparison.MeanCoherence);

        await Assert.ThrowsAsync<ArgumentException>(() => w.Steering.SubmitReviewAsync(reviewers[0], id, new ReviewInput(true, SteeringEffect.No, 2, null)));
        await Assert.ThrowsAsync<ArgumentException>(() => w.Steering.SubmitReviewAsync(w.Ben, id, new ReviewInput(true, SteeringEffect.No, 2, null)));
        await Assert.ThrowsAsync<ArgumentException>(() => w.Steering.SubmitReviewAsync(w.Ben, id, new ReviewInput(null, SteeringEffect.No, 6, null)));
        var open = await w.Steering.SubmitReviewAsync(w.Ben, id, new ReviewInput(null, SteeringEffect.Unclear, 3, null));
        Assert.False(open.Blind);
        Assert.Null(open.GuessCorrect);
        await using var check = w.Db();
        Assert.Equal(24, await check.AuditLog.CountAsync(a => a.Action == "steering.review.open"));
        Assert.Equal(25, await check.AuditLog.CountAsync(a => a.Action == "steering.review"));
    }

    [Fact]
    public async Task Test_text_and_steering_share_the_models_queue_and_a_waiting_run_hears_its_position()
    {
        await using var w = await SteeringWorld.StartAsync();
        using var gate = new SemaphoreSlim(0);
        using var started = new SemaphoreSlim(0);
        var blocker = w.Host.RunAsync(w.ModelFolder, (_, _) =>
        {
            started.Release();
            return gate.Wait(TimeSpan.FromSeconds(30));
        });
        Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30)));
        var positions = new List<int>();
        var waiting = w.Steering.RunAsync(w.Ann, w.Request(maxTokens: 2, samples: 1), p => { if (p.QueuePosition is { } q) lock (positions) positions.Add(q); });
        // Until the run reaches the queue: seconds on a machine busy with other test projects.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (w.Host.QueueOf(w.ModelFolder).Waiting == 0 && deadline.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(10);
        Assert.Equal(1, w.Host.QueueOf(w.ModelFolder).Waiting);
        gate.Release();
        await blocker;
        await waiting;
        lock (positions) Assert.Equal([1, 0], positions);

        using var cts = new CancellationTokenSource();
        var cancelled = w.Steering.RunAsync(w.Ann, w.Request(maxTokens: 20, samples: 1), _ => cts.Cancel(), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
    }
}
