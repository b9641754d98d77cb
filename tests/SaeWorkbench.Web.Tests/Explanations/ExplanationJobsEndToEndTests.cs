using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Explanations.Providers;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Tests.Shared;

namespace SaeWorkbench.Web.Tests.Explanations;

/// <summary>
/// The explain and score jobs through the real host, against an in-process server that speaks the OpenAI
/// chat-completions wire format and answers deterministically: the thing under test is our pipeline (sampling,
/// prompts, parsing, storage, resume), not the model.
/// </summary>
public sealed class ExplanationJobsEndToEndTests
{
    private const string Key = "sk-e2e-0123456789-topsecret";
    private static readonly Regex ExampleLine = new(@"^Example \d+:", RegexOptions.Multiline);

    [Fact]
    public async Task Explain_then_score_writes_machine_interpretations_and_reproducible_scores_and_a_rerun_pays_nothing()
    {
        var log = new CapturingLogger();
        using var baseFactory = new WorkbenchFactory();
        using var factory = baseFactory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Trace)));
        var (model, corpus) = TinyWorld.Create(Path.Combine(baseFactory.DataDirectory, "world"));
        var jobs = factory.Services.GetRequiredService<JobService>();
        await jobs.EnqueueAsync(SaeWorkbench.Research.Dictionaries.SaeTrainingJob.KindName, JsonSerializer.Serialize(new
        {
            model, corpus, hook = "blocks.1.hook_resid_post", arch = "topk", latents = 32, k = 4,
            tokens = 256 * 20, batchSize = 256, bufferTokens = 2048, evalTokens = 512, learningRate = 3e-3, analyzeTokens = 3000,
        }), null);
        await WaitAsync(jobs, 2);

        await using var server = await ChatCompletionsServer.StartAsync();
        // Explainer prompts get an explanation after some thinking; classifier prompts "yes" to every example.
        server.Fallback = body =>
        {
            var messages = body["messages"]!.AsArray();
            var last = messages[^1]!["content"]!.GetValue<string>();
            if (messages[0]!["content"]!.GetValue<string>().Contains("[EXPLANATION]:"))
                return new ScriptedReply(Text: "The marked tokens are common words.\n[EXPLANATION]: Common words in speeches about the nation.");
            var n = ExampleLine.Matches(last).Count;
            return new ScriptedReply(Text: "[" + string.Join(",", Enumerable.Repeat("1", n)) + "]");
        };
        // The very first explainer reply is malformed: that latent gets no explanation, and the job goes on.
        server.Enqueue(new ScriptedReply(Text: "I think these are words."));

        var admin = new Actor("admin-id", "admin", Role.Admin);
        var providers = factory.Services.GetRequiredService<ProviderSettingsService>();
        var saved = await providers.UpdateAsync(admin, new ProviderSettingsInput(server.BaseUrl.ToString(), "tiny-instruct", Key, MaxConcurrency: 1));
        Assert.True(saved.Succeeded, saved.Validation.ToString());
        Assert.DoesNotContain(Key, JsonSerializer.Serialize(saved.Value));

        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        var dictionaryId = await db.Dictionaries.Select(d => d.Id).SingleAsync();
        var withIntervals = await db.Set<FeatureExample>().Where(e => e.Kind == FeatureExampleKind.Interval).Select(e => e.LatentId).Distinct().ToListAsync();
        var latents = await db.Latents.Where(l => withIntervals.Contains(l.Id)).OrderBy(l => l.Density).Take(3).Select(l => new { l.Id, l.Index }).ToListAsync();
        var indices = string.Join(",", latents.Select(l => l.Index));

        var estimate = await factory.Services.GetRequiredService<ExplanationEstimator>().EstimateAsync(ExplainJob.KindName,
            new ExplanationJobRequest { DictionaryId = dictionaryId, Indices = indices });
        Assert.Equal((3, 0, 3), (estimate.Items, estimate.AlreadyDone, estimate.Requests));
        Assert.True(estimate.PromptTokens > 3 * 100, $"{estimate.PromptTokens} prompt tokens for three latents");
        Assert.Null(estimate.Duration); // nothing measured yet

        var explain = await jobs.EnqueueAsync(ExplainJob.KindName, JsonSerializer.Serialize(new { dictionaryId, indices }), null);
        var explained = await FinishedAsync(jobs, explain.Id);
        Assert.Equal(JobState.Succeeded, explained.State);
        var result = JsonSerializer.Deserialize<ExplanationJobResult>(explained.ResultJson!, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal((3, 2, 0, 1), (result.Items, result.Done, result.AlreadyDone, result.Problems));
        Assert.Contains("no \"[EXPLANATION]:\" line", Assert.Single(result.FirstProblems));
        Assert.Equal(3, result.Calls);

        var machine = await db.Interpretations.AsNoTracking().Where(i => i.ExplanationModelName != null).ToListAsync();
        Assert.Equal(2, machine.Count);
        var account = ModelAccounts.IdFor("tiny-instruct");
        Assert.All(machine, i => Assert.Equal(("Common words in speeches about the nation.", account, "tiny-instruct"), (i.Label, i.AuthorId, i.ExplanationModelName)));
        Assert.Equal("tiny-instruct", await db.Users.Where(u => u.Id == account).Select(u => u.UserName).SingleAsync());
        // Every explainer prompt showed the latent's contexts with marks and a 0–10 activation line.
        var explainerPrompts = server.Received.Where(r => r.Body["messages"]![0]!["content"]!.GetValue<string>().Contains("[EXPLANATION]:")).ToList();
        Assert.All(explainerPrompts, r => Assert.Matches(@"Excerpt 1: .*<<.+>>.*\nActivations: \(""", r.Body["messages"]!.AsArray()[^1]!["content"]!.GetValue<string>()));

        // Re-running the same job pays for nothing but the latent whose reply was malformed.
        var before = server.Received.Count;
        var again = await FinishedAsync(jobs, (await jobs.EnqueueAsync(ExplainJob.KindName, JsonSerializer.Serialize(new { dictionaryId, indices }), null)).Id);
        var againResult = JsonSerializer.Deserialize<ExplanationJobResult>(again.ResultJson!, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal((1, 2), (againResult.Done, againResult.AlreadyDone));
        Assert.Equal(before + 1, server.Received.Count);

        // Score every interpretation (now three machine ones) by detection and fuzzing.
        var score = await FinishedAsync(jobs, (await jobs.EnqueueAsync(ScoreJob.KindName, JsonSerializer.Serialize(new { dictionaryId, indices }), null)).Id);
        Assert.Equal(JobState.Succeeded, score.State);
        var scores = await db.ExplanationScores.AsNoTracking().ToListAsync();
        Assert.Equal(6, scores.Count);
        var sampler = factory.Services.GetRequiredService<ScoringContextSampler>();
        foreach (var s in scores)
        {
            // Answering "yes" to everything: recall 1, specificity 0 → balanced accuracy exactly 0.5.
            Assert.Equal(s.Contexts / 2, s.TruePositives);
            Assert.Equal(s.Contexts / 2, s.FalsePositives);
            Assert.Equal(0.5, s.BalancedAccuracy);
            Assert.Equal(DetectionScoring.SeedFor(s.InterpretationId, account), s.Seed);
            Assert.Equal(s.Scorer == Scorers.Detection ? ClassifierPrompt.DetectionVersion : ClassifierPrompt.FuzzingVersion, s.PromptVersion);
            // The stored sample is the one the shared sampler draws again from the seed: the score can be re-run.
            var latentId = await db.Interpretations.Where(i => i.Id == s.InterpretationId).Select(i => i.LatentId).SingleAsync();
            var redrawn = (await sampler.DrawAsync(latentId, s.Seed)).Value!;
            var stored = JsonDocument.Parse(s.SampleJson).RootElement.EnumerateArray().Select(e => e.GetProperty("exampleId").GetInt64()).ToList();
            Assert.Equal(redrawn.Contexts.Select(c => c.ExampleId), stored);
        }

        // A second score run finds everything done and sends nothing.
        before = server.Received.Count;
        var rescore = await FinishedAsync(jobs, (await jobs.EnqueueAsync(ScoreJob.KindName, JsonSerializer.Serialize(new { dictionaryId, indices }), null)).Id);
        Assert.Equal(JobState.Succeeded, rescore.State);
        Assert.Equal(before, server.Received.Count);

        // The estimate counts as done what the job would skip: nothing now, and after an edit not the earlier version's scores.
        var estimator = factory.Services.GetRequiredService<ExplanationEstimator>();
        var everything = await estimator.EstimateAsync(ScoreJob.KindName, new ExplanationJobRequest { DictionaryId = dictionaryId, Indices = indices });
        Assert.Equal((6, 6, 0), (everything.Items, everything.AlreadyDone, everything.Requests));
        var author = await factory.Services.GetRequiredService<ModelAccounts>().EnsureAsync("tiny-instruct");
        var edit = await factory.Services.GetRequiredService<LabellingService>().EditInterpretationAsync(author, machine[0].Id, machine[0].Version,
            new InterpretationDraft("Words about the nation.", "", 3, null));
        Assert.True(edit.Succeeded, edit.Validation.ToString());
        var edited = await estimator.EstimateAsync(ScoreJob.KindName,
            new ExplanationJobRequest { DictionaryId = dictionaryId, InterpretationIds = [machine[0].Id], Scorers = [Scorers.Fuzzing] });
        Assert.Equal((1, 0, 4), (edited.Items, edited.AlreadyDone, edited.Requests)); // 20 contexts, 5 per request
        var others = await estimator.EstimateAsync(ScoreJob.KindName, new ExplanationJobRequest { DictionaryId = dictionaryId, Indices = indices });
        Assert.Equal((6, 4), (others.Items, others.AlreadyDone));

        // "Score again anyway" (rescore): the estimate counts the score as to do, the job asks the model again on a new
        // sample with a new seed, and the new score is current while the old one stays in the history, superseded.
        var again2Request = new ExplanationJobRequest { DictionaryId = dictionaryId, InterpretationIds = [machine[1].Id], Scorers = [Scorers.Detection] };
        var skipped = await estimator.EstimateAsync(ScoreJob.KindName, again2Request);
        var redo = await estimator.EstimateAsync(ScoreJob.KindName, again2Request with { Rescore = true });
        Assert.Equal(((1, 1, 0), (1, 0, 4)), ((skipped.Items, skipped.AlreadyDone, skipped.Requests), (redo.Items, redo.AlreadyDone, redo.Requests)));
        before = server.Received.Count;
        var scoredAgain = await FinishedAsync(jobs, (await jobs.EnqueueAsync(ScoreJob.KindName, JsonSerializer.Serialize(new
        {
            dictionaryId, interpretationIds = new[] { machine[1].Id }, scorers = new[] { Scorers.Detection }, rescore = true,
        }), null)).Id);
        Assert.Equal(JobState.Succeeded, scoredAgain.State);
        var detections = await db.ExplanationScores.AsNoTracking().Where(s => s.InterpretationId == machine[1].Id && s.Scorer == Scorers.Detection)
            .OrderBy(s => s.Id).ToListAsync();
        Assert.Equal(2, detections.Count);
        Assert.NotEqual(detections[0].Seed, detections[1].Seed);
        Assert.Equal((scoredAgain.Id, (int)Math.Ceiling(detections[1].Contexts / (double)ClassifierPrompt.BatchSize)),
            (detections[1].JobId!.Value, server.Received.Count - before));
        var newSample = JsonDocument.Parse(detections[1].SampleJson).RootElement.EnumerateArray().Select(e => e.GetProperty("exampleId").GetInt64()).ToList();
        var oldSample = JsonDocument.Parse(detections[0].SampleJson).RootElement.EnumerateArray().Select(e => e.GetProperty("exampleId").GetInt64()).ToList();
        Assert.NotEqual(oldSample, newSample);
        var reader = factory.Services.GetRequiredService<ExplanationScoreReader>();
        var shown = (await reader.ForInterpretationsAsync([machine[1].Id]))[machine[1].Id].Single(v => v.ByModel && v.Scorer == Scorers.Detection);
        Assert.Equal(detections[1].Seed, shown.Seed);
        Assert.Equal([(detections[1].Id, true), (detections[0].Id, false)],
            (await reader.HistoryAsync(machine[1].Id)).Where(h => h.Scorer == Scorers.Detection).Select(h => (h.Id, h.IsCurrent)));
        // Without the option the same request skips it again and asks nothing.
        before = server.Received.Count;
        var plain = await FinishedAsync(jobs, (await jobs.EnqueueAsync(ScoreJob.KindName, JsonSerializer.Serialize(new
        {
            dictionaryId, interpretationIds = new[] { machine[1].Id }, scorers = new[] { Scorers.Detection },
        }), null)).Id);
        Assert.Equal((JobState.Succeeded, before, 2), (plain.State, server.Received.Count,
            await db.ExplanationScores.CountAsync(s => s.InterpretationId == machine[1].Id && s.Scorer == Scorers.Detection)));
        // The explain job takes no rescore: it is refused with the reason, not ignored.
        var refused = await Assert.ThrowsAsync<JobValidationException>(() => jobs.EnqueueAsync(ExplainJob.KindName, JsonSerializer.Serialize(new { dictionaryId, indices, rescore = true }), null));
        Assert.Contains(refused.Errors, e => e.Contains("rescore: only the score job scores again"));

        // The key went to the server as a bearer token and nowhere else: not in any log line, job row or audit entry.
        Assert.All(server.Received, r => Assert.Equal($"Bearer {Key}", r.Authorization));
        Assert.NotEmpty(log.Lines);
        Assert.DoesNotContain(log.Lines, l => l.Contains(Key));
        Assert.DoesNotContain(await db.Jobs.AsNoTracking().Select(j => (j.ResultJson ?? "") + j.Message + j.ParametersJson).ToListAsync(), t => t.Contains(Key));
        Assert.DoesNotContain(await db.AuditLog.AsNoTracking().Select(a => a.AfterJson ?? "").ToListAsync(), t => t.Contains(Key) || t.Contains("ProtectedApiKey"));
        var row = await db.ExplanationProviderSettings.AsNoTracking().SingleAsync();
        Assert.DoesNotContain(Key, row.ProtectedApiKey!);
    }

    private static async Task WaitAsync(JobService jobs, int count)
    {
        var sw = Stopwatch.StartNew();
        while ((await jobs.ListAsync()).Any(j => !j.IsFinished) || (await jobs.ListAsync()).Count < count)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromMinutes(4), "training and analysis took too long");
            await Task.Delay(200);
        }
        Assert.All(await jobs.ListAsync(), j => Assert.Equal(JobState.Succeeded, j.State));
    }

    private static async Task<JobSnapshot> FinishedAsync(JobService jobs, long id)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var job = (await jobs.GetAsync(id))!;
            if (job.IsFinished) return job;
            Assert.True(sw.Elapsed < TimeSpan.FromMinutes(2), $"job {id} took too long: {job.Message}");
            await Task.Delay(100);
        }
    }
}
