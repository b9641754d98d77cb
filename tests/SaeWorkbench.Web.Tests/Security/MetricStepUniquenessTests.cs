using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research;
using SaeWorkbench.Research.Jobs;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// A resumed job runs the steps after its last checkpoint again; each (job, step) is stored once, with the values of
/// the run that went on. The schema holds the rule and the runner's writer keeps to it.
/// </summary>
public sealed class MetricStepUniquenessTests
{
    /// <summary>
    /// Logs steps like a training job resumed from a checkpoint at step 2: the first start logs 1–4 and is then
    /// interrupted by the shutdown; the second start logs 3–6 again from the checkpoint and finishes.
    /// </summary>
    private sealed class CheckpointedJob : IJobKind
    {
        public const string KindName = "test-checkpointed";
        public string Name => KindName;
        public string Description => "Logs metric steps as a job resumed from a checkpoint does.";
        public IReadOnlyList<string> Validate(JsonElement parameters) => [];

        public object? Run(JobContext context)
        {
            var (first, last) = context.Attempt == 1 ? (1, 4) : (3, 6);
            for (var step = first; step <= last; step++)
                context.ReportMetrics(step, new Dictionary<string, double> { ["loss"] = 10 * context.Attempt + step });
            if (context.Attempt == 1)
            {
                context.Cancellation.WaitHandle.WaitOne(); // interrupted here by the shutdown
                context.Cancellation.ThrowIfCancellationRequested();
            }
            return null;
        }
    }

    private static WebApplicationFactory<Program> Host(WorkbenchFactory factory) =>
        factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddJobKind<CheckpointedJob>()));

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"still {value}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_resumed_job_stores_each_metric_step_once_with_the_values_of_the_run_that_went_on()
    {
        var dir = Directory.CreateTempSubdirectory("wb-metric-resume-").FullName;
        try
        {
            long id;
            using (var firstRoot = new WorkbenchFactory(dir))
            await using (var first = Host(firstRoot))
            {
                id = (await first.Services.GetRequiredService<JobService>().EnqueueAsync(CheckpointedJob.KindName, "{}", null)).Id;
                var db = first.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
                await PollAsync(async () => { await using var c = await db.CreateDbContextAsync(); return await c.JobMetrics.CountAsync(m => m.JobId == id); }, n => n == 4);
            }
            using var secondRoot = new WorkbenchFactory(dir);
            await using var second = Host(secondRoot);
            var jobs = second.Services.GetRequiredService<JobService>();
            var done = await PollAsync(() => jobs.GetAsync(id), j => j!.IsFinished);
            Assert.Equal(JobState.Succeeded, done!.State);
            Assert.Equal(2, done.Attempts);

            var points = await jobs.MetricsAsync(id);
            Assert.Equal([1L, 2, 3, 4, 5, 6], points.Select(p => p.Step).ToArray());
            Assert.Equal([11.0, 12, 23, 24, 25, 26], points.Select(p => p.Values["loss"]).ToArray());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task The_database_refuses_a_second_row_for_the_same_job_and_step()
    {
        using var factory = new WorkbenchFactory();
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync();
        var job = new Job { Kind = "no-runner-has-this-kind" }; // stays queued: no runner claims it
        db.Jobs.Add(job);
        await db.SaveChangesAsync();
        var id = job.Id;
        db.JobMetrics.Add(new JobMetric { JobId = id, Step = 7, ValuesJson = "{\"loss\":1}" });
        await db.SaveChangesAsync();
        db.JobMetrics.Add(new JobMetric { JobId = id, Step = 7, ValuesJson = "{\"loss\":2}" });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
    }
}
