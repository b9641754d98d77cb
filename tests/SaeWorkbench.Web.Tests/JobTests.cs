using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;

namespace SaeWorkbench.Web.Tests;

public sealed class JobTests
{
    private static async Task<JobSnapshot> WaitForAsync(WorkbenchFactory factory, long id, Func<JobSnapshot, bool> condition, int seconds = 60)
    {
        var jobs = factory.Services.GetRequiredService<JobService>();
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var job = await jobs.GetAsync(id);
            if (job is not null && condition(job)) return job;
            if (sw.Elapsed > TimeSpan.FromSeconds(seconds)) throw new TimeoutException($"job {id} is {job?.State} at {job?.Progress:P0}: {job?.Message}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Self_check_job_runs_to_success_and_reports_gflops()
    {
        using var factory = new WorkbenchFactory();
        var jobs = factory.Services.GetRequiredService<JobService>();
        var updates = new List<double>();
        using var sub = factory.Services.GetRequiredService<WorkbenchEventBus>().Subscribe(e =>
        {
            if (e is JobUpdated u) lock (updates) updates.Add(u.Job.Progress);
        });
        var job = await jobs.EnqueueAsync(SelfCheckJob.KindName, "{\"size\":128,\"repeats\":5}", null);
        var done = await WaitForAsync(factory, job.Id, j => j.IsFinished);
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal(1.0, done.Progress);
        Assert.Contains("\"Gflops\"", done.ResultJson);
        lock (updates) Assert.True(updates.Count >= 3, $"expected live progress events, got {updates.Count}");
    }

    [Fact]
    public async Task Invalid_parameters_are_refused_and_nothing_is_written()
    {
        using var factory = new WorkbenchFactory();
        var jobs = factory.Services.GetRequiredService<JobService>();
        var e = await Assert.ThrowsAsync<JobValidationException>(() => jobs.EnqueueAsync(SelfCheckJob.KindName, "{\"size\":5}", null));
        Assert.Contains("size", e.Message);
        await Assert.ThrowsAsync<JobValidationException>(() => jobs.EnqueueAsync("no-such-kind", "{}", null));
        await Assert.ThrowsAsync<JobValidationException>(() => jobs.EnqueueAsync(SelfCheckJob.KindName, "[1,2]", null));
        Assert.Empty(await jobs.ListAsync());
    }

    [Fact]
    public async Task Running_job_can_be_cancelled()
    {
        using var factory = new WorkbenchFactory();
        var jobs = factory.Services.GetRequiredService<JobService>();
        var job = await jobs.EnqueueAsync(SelfCheckJob.KindName, "{\"size\":512,\"repeats\":1000}", null);
        await WaitForAsync(factory, job.Id, j => j.State == JobState.Running && j.Progress > 0);
        Assert.True(await jobs.CancelAsync(job.Id));
        var done = await WaitForAsync(factory, job.Id, j => j.IsFinished);
        Assert.Equal(JobState.Cancelled, done.State);
        Assert.False(await jobs.CancelAsync(job.Id));
    }

    [Fact]
    public async Task Job_left_running_by_a_dead_process_is_resumed_at_start()
    {
        var dir = Directory.CreateTempSubdirectory("wb-restart-").FullName;
        long id;
        using (var first = new WorkbenchFactory(dir))
        {
            // Simulate a crash: the row says Running but no runner owns it.
            var db = first.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
            await using var ctx = await db.CreateDbContextAsync();
            var job = new Job { Kind = "not-registered-yet", ParametersJson = "{\"size\":64,\"repeats\":2}", State = JobState.Running, Attempts = 1 };
            ctx.Jobs.Add(job);
            await ctx.SaveChangesAsync();
            await ctx.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Kind, SelfCheckJob.KindName));
            id = job.Id;
        }
        using var second = new WorkbenchFactory(dir);
        _ = second.Server; // start the host: the runner re-queues and runs it
        var done = await WaitForAsync(second, id, j => j.IsFinished);
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal(2, done.Attempts);
    }

    [Fact]
    public async Task Job_interrupted_by_shutdown_resumes_after_restart()
    {
        var dir = Directory.CreateTempSubdirectory("wb-restart-").FullName;
        long id;
        using (var first = new WorkbenchFactory(dir))
        {
            var jobs = first.Services.GetRequiredService<JobService>();
            // ~270 GFLOP (~10 s here): still running when the host stops, however slowly the shutdown goes.
            id = (await jobs.EnqueueAsync(SelfCheckJob.KindName, "{\"size\":512,\"repeats\":1000}", null)).Id;
            await WaitForAsync(first, id, j => j.State == JobState.Running && j.Progress > 0);
        }
        using var second = new WorkbenchFactory(dir);
        var resumed = await WaitForAsync(second, id, j => j.Attempts == 2 && j.State == JobState.Running);
        Assert.Equal(JobState.Running, resumed.State);
        Assert.True(await second.Services.GetRequiredService<JobService>().CancelAsync(id));
    }
}

public sealed class SaeTrainingJobTests
{
    [Fact]
    public async Task Sae_training_job_trains_registers_the_dictionary_and_streams_metrics()
    {
        using var factory = new WorkbenchFactory();
        var (model, corpus) = TinyWorld.Create(Path.Combine(factory.DataDirectory, "world"));
        var jobs = factory.Services.GetRequiredService<JobService>();
        var parameters = System.Text.Json.JsonSerializer.Serialize(new
        {
            model, corpus, hook = "blocks.1.hook_resid_post", arch = "topk", latents = 64, k = 4,
            tokens = 256 * 40, batchSize = 256, bufferTokens = 2048, evalTokens = 1024, learningRate = 3e-3, analyzeTokens = 2000,
        });
        var job = await jobs.EnqueueAsync(SaeWorkbench.Research.Dictionaries.SaeTrainingJob.KindName, parameters, null);
        var sw = Stopwatch.StartNew();
        JobSnapshot? done = null;
        while (sw.Elapsed < TimeSpan.FromMinutes(3))
        {
            done = await jobs.GetAsync(job.Id);
            if (done!.IsFinished) break;
            await Task.Delay(100);
        }
        Assert.Equal(JobState.Succeeded, done!.State);
        var metrics = await jobs.MetricsAsync(job.Id);
        Assert.True(metrics.Count >= 2, $"{metrics.Count} metric points");
        Assert.All(metrics, m => Assert.True(m.Values.ContainsKey("l0") && m.Values.ContainsKey("fvu")));
        var db = factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var ctx = await db.CreateDbContextAsync();
        var dictionary = await ctx.Dictionaries.SingleAsync();
        Assert.Equal("blocks.1.hook_resid_post", dictionary.HookName);
        Assert.Equal(64, dictionary.DSae);
        Assert.Equal(4, dictionary.K);
        Assert.Equal(job.Id, dictionary.SourceJobId);
        Assert.Contains("ce_loss_recovered", dictionary.MetricsJson);
        Assert.Equal(64, await ctx.Latents.CountAsync(l => l.DictionaryId == dictionary.Id));
        Assert.True(File.Exists(Path.Combine(dictionary.SaePath, "cfg.json")));

        // The follow-up analysis was queued and fills the latents' statistics.
        var analysis = (await jobs.ListAsync()).Single(j => j.Kind == SaeWorkbench.Research.Analysis.FeatureAnalysisJob.KindName);
        while (sw.Elapsed < TimeSpan.FromMinutes(4) && !(await jobs.GetAsync(analysis.Id))!.IsFinished) await Task.Delay(100);
        Assert.Equal(JobState.Succeeded, (await jobs.GetAsync(analysis.Id))!.State);
        await using var after = await db.CreateDbContextAsync();
        Assert.True(await after.Latents.AnyAsync(l => l.DictionaryId == dictionary.Id && l.MaxActivation > 0));
    }

    [Fact]
    public async Task Sae_training_job_with_k_not_below_latents_is_refused_before_anything_runs()
    {
        using var factory = new WorkbenchFactory();
        var (model, corpus) = TinyWorld.Create(Path.Combine(factory.DataDirectory, "world"));
        var jobs = factory.Services.GetRequiredService<JobService>();
        var parameters = System.Text.Json.JsonSerializer.Serialize(new { model, corpus, hook = "blocks.1.hook_resid_post", arch = "topk", latents = 8, k = 8 });
        var e = await Assert.ThrowsAsync<JobValidationException>(() => jobs.EnqueueAsync(SaeWorkbench.Research.Dictionaries.SaeTrainingJob.KindName, parameters, null));
        Assert.Contains("k:", e.Message);
        Assert.Empty(await jobs.ListAsync());
    }
}
