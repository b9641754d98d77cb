using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Explanations.Providers;
using SaeWorkbench.Research.Inference;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Tests.Shared;

namespace SaeWorkbench.Web.Tests.Explanations;

/// <summary>
/// The explain and score jobs through the real host with local instruct models (tiny random-weight Llama folders with
/// Qwen 3's chat template) on the host's own model queue: one gives gibberish, one is wired to answer one phrase.
/// </summary>
public sealed class LocalExplanationJobsEndToEndTests
{
    private const string Phrase = "Common words in speeches about the nation.";
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task A_local_model_explains_and_scores_a_trained_dictionary_and_a_cancelled_job_resumes_without_redoing_latents()
    {
        using var factory = new WorkbenchFactory();
        var (lm, corpus) = TinyWorld.Create(Path.Combine(factory.DataDirectory, "world"));
        var jobs = factory.Services.GetRequiredService<JobService>();
        await jobs.EnqueueAsync(SaeWorkbench.Research.Dictionaries.SaeTrainingJob.KindName, JsonSerializer.Serialize(new
        {
            model = lm, corpus, hook = "blocks.1.hook_resid_post", arch = "topk", latents = 32, k = 4,
            tokens = 256 * 20, batchSize = 256, bufferTokens = 2048, evalTokens = 512, learningRate = 3e-3, analyzeTokens = 3000,
        }), null);
        await WaitAsync(jobs, 2);
        var gibberish = TinyInstructModel.Create(Path.Combine(factory.DataDirectory, "models", "tiny-gibberish"), seed: 4);
        var explainer = TinyInstructModel.Create(Path.Combine(factory.DataDirectory, "models", "tiny-explainer"), answer: "[EXPLANATION]: " + Phrase);

        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        var dictionaryId = await db.Dictionaries.Select(d => d.Id).SingleAsync();
        var withIntervals = await db.Set<FeatureExample>().Where(e => e.Kind == FeatureExampleKind.Interval).Select(e => e.LatentId).Distinct().ToListAsync();
        var latents = await db.Latents.Where(l => withIntervals.Contains(l.Id)).OrderBy(l => l.Index).Take(4).Select(l => new { l.Id, l.Index }).ToListAsync();
        Assert.Equal(4, latents.Count);
        var firstTwo = string.Join(",", latents.Take(2).Select(l => l.Index));
        var all = string.Join(",", latents.Select(l => l.Index));
        var providers = factory.Services.GetRequiredService<ProviderSettingsService>();
        var admin = new Actor("admin-id", "admin", Role.Admin);
        var registry = factory.Services.GetRequiredService<SaeWorkbench.Research.Models.ModelRegistry>();
        await factory.RegisterAsync("root", "Correct-Horse-41"); // the first account is the Admin; a registration records its registrant
        var root = new Actor(await db.Users.Where(u => u.UserName == "root").Select(u => u.Id).SingleAsync(), "root", Role.Admin);
        var registered = new Dictionary<string, long>();
        // The Admin picks the local model from the registered ones (registering it first, as the Models page does).
        async Task UseAsync(string folder, int maxNewTokens)
        {
            if (!registered.TryGetValue(folder, out var id))
                registered[folder] = id = (await registry.RegisterAsync(new SaeWorkbench.Research.Models.ModelRegistration(folder), root)).Id;
            var saved = await providers.UpdateAsync(admin, new ProviderSettingsInput(null, null, null,
                MaxConcurrency: 1, Kind: ExplanationProviderSettings.LocalKind, MaxNewTokens: maxNewTokens, RegisteredModelId: id));
            Assert.True(saved.Succeeded, saved.Validation.ToString());
        }

        // Random weights answer gibberish: every latent is a recorded problem, nothing is stored, the job succeeds.
        await UseAsync(gibberish, 12);
        var garbled = Result(await FinishedAsync(jobs, await ExplainAsync(jobs, dictionaryId, firstTwo)));
        Assert.Equal(("tiny-gibberish", 2, 0, 2, 2), (garbled.Model, garbled.Items, garbled.Done, garbled.Problems, garbled.Calls));
        Assert.All(garbled.FirstProblems, p => Assert.Matches(@"^latent \d+: The model's reply (was empty|has no ""\[EXPLANATION\]:"" line)\.$", p));
        Assert.InRange(garbled.Tokens, 2 * (500 + 1), 2 * (8_192 + 12)); // two prompts of hundreds to thousands of tokens, at most 12 new ones each
        Assert.Equal(0, await db.Interpretations.CountAsync());

        // The wired model explains the first two latents.
        await UseAsync(explainer, 40);
        var first = Result(await FinishedAsync(jobs, await ExplainAsync(jobs, dictionaryId, firstTwo)));
        Assert.Equal((2, 0, 0, 2), (first.Done, first.AlreadyDone, first.Problems, first.Calls));

        // A job over all four is cancelled while its request waits behind other work on the model's queue …
        var host = factory.Services.GetRequiredService<ModelHost>();
        var queued = factory.Services.GetRequiredService<ServerPathPolicy>().Folder(explainer).FullPath!; // the folder as jobs resolve it
        using (var gate = new ManualResetEventSlim())
        {
            var blocker = host.RunAsync(queued, (_, _) => gate.Wait(TimeSpan.FromMinutes(2)));
            var cancelled = await ExplainAsync(jobs, dictionaryId, all);
            await UntilAsync(() => host.QueueOf(queued).Waiting == 1, "the job's request to reach the model queue");
            Assert.True(await jobs.CancelAsync(cancelled));
            Assert.Equal(JobState.Cancelled, (await FinishedAsync(jobs, cancelled)).State);
            gate.Set();
            Assert.True(await blocker);
        }
        Assert.Equal(2, await db.Interpretations.CountAsync());

        // … and the restarted job pays only for the two latents not yet explained.
        var resumed = Result(await FinishedAsync(jobs, await ExplainAsync(jobs, dictionaryId, all)));
        Assert.Equal((4, 2, 2, 0, 2), (resumed.Items, resumed.Done, resumed.AlreadyDone, resumed.Problems, resumed.Calls));
        var account = ModelAccounts.IdFor("tiny-explainer");
        var machine = await db.Interpretations.AsNoTracking().ToListAsync();
        Assert.Equal(latents.Select(l => l.Id).Order(), machine.Select(i => i.LatentId).Order());
        Assert.All(machine, i => Assert.Equal((Phrase, account, "tiny-explainer"), (i.Label, i.AuthorId, i.ExplanationModelName)));
        Assert.Equal("tiny-explainer", await db.Users.Where(u => u.Id == account).Select(u => u.UserName).SingleAsync());

        // A person's interpretation is scored beside the machine ones.
        await factory.RegisterAsync("alice", "Correct-Horse-42");
        var alice = await db.Users.Where(u => u.UserName == "alice").Select(u => u.Id).SingleAsync();
        var human = await factory.Services.GetRequiredService<LabellingService>().CreateInterpretationAsync(new Actor(alice, "alice", Role.Labeler),
            latents[0].Id, new InterpretationDraft("The word 'the'.", "", 3, null));
        Assert.True(human.Succeeded, human.Validation.ToString());

        // Scoring: the wired model's reply has no 0/1 list, so every context stays unanswered — stored, not crashed.
        var score = Result(await FinishedAsync(jobs, (await jobs.EnqueueAsync(ScoreJob.KindName, JsonSerializer.Serialize(new { dictionaryId, indices = all }), null)).Id));
        Assert.True((10, 10, 0) == (score.Items, score.Done, score.AlreadyDone),
            $"{score.Items} items, {score.Done} done, {score.AlreadyDone} already done: {string.Join(" | ", score.FirstProblems)}");
        var scores = await db.ExplanationScores.AsNoTracking().ToListAsync();
        Assert.Equal(10, scores.Count);
        var sampler = factory.Services.GetRequiredService<ScoringContextSampler>();
        foreach (var s in scores)
        {
            Assert.Equal("tiny-explainer", s.ModelName);
            Assert.Equal(s.Scorer == Scorers.Detection ? ClassifierPrompt.DetectionVersion : ClassifierPrompt.FuzzingVersion, s.PromptVersion);
            Assert.Equal(DetectionScoring.SeedFor(s.InterpretationId, account), s.Seed);
            Assert.Equal((s.Contexts, (double?)null), (s.Unanswered, s.BalancedAccuracy));
            Assert.True(s.Contexts > 0 && s.PromptTokens > 0 && s.CompletionTokens > 0);
            var latentId = await db.Interpretations.Where(i => i.Id == s.InterpretationId).Select(i => i.LatentId).SingleAsync();
            var redrawn = (await sampler.DrawAsync(latentId, s.Seed)).Value!;
            var stored = JsonDocument.Parse(s.SampleJson).RootElement.EnumerateArray().Select(e => e.GetProperty("exampleId").GetInt64()).ToList();
            Assert.Equal(redrawn.Contexts.Select(c => c.ExampleId), stored);
        }
        Assert.Contains(scores, s => s.InterpretationId == human.Value!.Id);

        var rescore = Result(await FinishedAsync(jobs, (await jobs.EnqueueAsync(ScoreJob.KindName, JsonSerializer.Serialize(new { dictionaryId, indices = all }), null)).Id));
        Assert.Equal((10, 0, 0), (rescore.AlreadyDone, rescore.Done, rescore.Calls));

        // The picked model is unregistered later: the next job fails with the sentence that says so, not with a crash.
        await registry.UnregisterAsync(registered[explainer], root);
        var orphaned = await FinishedAsync(jobs, await ExplainAsync(jobs, dictionaryId, all));
        Assert.Equal(JobState.Failed, orphaned.State);
        Assert.Equal($"The explanation model 'tiny-explainer' (registered model #{registered[explainer]}) is no longer registered: an Admin picks another registered model on the Admin page (Explanation model).",
            orphaned.Message);
    }

    private static async Task<long> ExplainAsync(JobService jobs, long dictionaryId, string indices) =>
        (await jobs.EnqueueAsync(ExplainJob.KindName, JsonSerializer.Serialize(new { dictionaryId, indices }), null)).Id;

    private static ExplanationJobResult Result(JobSnapshot job)
    {
        Assert.True(job.State == JobState.Succeeded, $"job {job.Id} {job.State}: {job.Message}");
        return JsonSerializer.Deserialize<ExplanationJobResult>(job.ResultJson!, Web)!;
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromMinutes(1), $"waited too long for {what}");
            await Task.Delay(20);
        }
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
            Assert.True(sw.Elapsed < TimeSpan.FromMinutes(3), $"job {id} took too long: {job.Message}");
            await Task.Delay(100);
        }
    }
}
