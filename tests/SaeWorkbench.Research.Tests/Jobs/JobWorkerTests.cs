using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.ScaleOut;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Tests.Shared;

namespace SaeWorkbench.Research.Tests.Jobs;

/// <summary>
/// Job runners as workers over one shared database: each a separate service container, exactly as
/// separate processes would be, claiming from the same SQLite file or PostgreSQL database.
/// </summary>
public sealed class JobWorkerTests
{
    /// <summary>Records every execution (job id, runner, attempt) in a file of the job's folder, then succeeds.</summary>
    private sealed class CountingJob : IJobKind
    {
        public const string KindName = "test-count";
        public string Name => KindName;
        public string Description => "test";
        public IReadOnlyList<string> Validate(JsonElement parameters) => [];

        public object? Run(JobContext context)
        {
            var runner = context.Services.GetRequiredService<JobWorkerIdentity>().Name;
            File.AppendAllText(Path.Combine(context.ArtifactsDirectory, "runs.txt"), $"{runner}:{context.Attempt}\n");
            // The job's work takes this long, unless its runner cancels it (a cancel, or the job was lost to another runner).
            context.Cancellation.WaitHandle.WaitOne(context.Parameters.TryGetProperty("ms", out var ms) ? ms.GetInt32() : 30);
            context.Cancellation.ThrowIfCancellationRequested();
            context.Report(1, "counted");
            return new { runner };
        }
    }

    private const int HeartbeatTimeoutSeconds = 5;

    private sealed class Deployment(string provider) : IAsyncDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("wb-workers-").FullName;
        private readonly DatabaseOptions _database = provider == "Postgres"
            ? new DatabaseOptions { Provider = "Postgres", ConnectionString = TestServers.NewPostgresDatabase() }
            : new DatabaseOptions();
        private readonly List<ServiceProvider> _containers = [];
        private readonly List<(JobRunner Runner, CancellationTokenSource Stop)> _runners = [];

        public string SharedDirectory => Path.Combine(_dir, "shared");

        public ServiceProvider Node(JobWorkerIdentity? worker = null)
        {
            var settings = new WorkbenchSettings();
            settings.Jobs.PollSeconds = 0.05;
            settings.Jobs.MaxConcurrent = 2;
            settings.Jobs.HeartbeatSeconds = 0.2;
            // Long enough that a live worker's heartbeat, late on a machine busy with other test projects, is never taken
            // for a dead worker's (its job would run twice).
            settings.Jobs.HeartbeatTimeoutSeconds = HeartbeatTimeoutSeconds;
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSingleton(settings);
            services.AddSingleton(new WorkbenchPaths(_dir, "data", "shared"));
            services.AddWorkbenchData(_database, Path.Combine(_dir, "data"));
            services.AddResearch();
            services.AddJobKind<CountingJob>();
            if (worker is not null) services.AddJobWorker(worker);
            var sp = services.BuildServiceProvider();
            _containers.Add(sp);
            return sp;
        }

        public async Task<JobService> StartAsync()
        {
            var sp = Node();
            await using var db = await sp.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync();
            await db.MigrateWorkbenchDatabaseAsync();
            return sp.GetRequiredService<JobService>();
        }

        public async Task<JobRunner> WorkerAsync(string name, params string[] capabilities)
        {
            var runner = Node(new JobWorkerIdentity(name, capabilities.Length == 0 ? ["cpu"] : capabilities)).GetRequiredService<JobRunner>();
            var stop = new CancellationTokenSource();
            await runner.StartAsync(stop.Token);
            _runners.Add((runner, stop));
            return runner;
        }

        public WorkbenchDbContext Db() => _containers[0].GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();

        public async ValueTask DisposeAsync()
        {
            foreach (var (runner, stop) in _runners) { await stop.CancelAsync(); await runner.StopAsync(CancellationToken.None); }
            foreach (var c in _containers) await c.DisposeAsync();
            Npgsql.NpgsqlConnection.ClearAllPools();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }
    }

    private static async Task<List<Job>> WaitAsync(Deployment d, Func<List<Job>, bool> done, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            await using var db = d.Db();
            var jobs = await db.Jobs.AsNoTracking().OrderBy(j => j.Id).ToListAsync();
            if (done(jobs)) return jobs;
            if (sw.Elapsed > timeout)
                Assert.Fail("timed out; jobs: " + string.Join(", ", jobs.Select(j => $"#{j.Id} {j.State} {j.WorkerId} x{j.Attempts}")));
            await Task.Delay(50);
        }
    }

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task Two_workers_racing_for_20_queued_jobs_run_each_exactly_once(string provider)
    {
        await using var d = new Deployment(provider);
        var jobs = await d.StartAsync();
        var ids = new List<long>();
        for (var i = 0; i < 20; i++) ids.Add((await jobs.EnqueueAsync(CountingJob.KindName, "{\"ms\":40}", null)).Id);
        await d.WorkerAsync("w1");
        await d.WorkerAsync("w2");

        var done = await WaitAsync(d, js => js.All(j => j.IsFinished), TimeSpan.FromSeconds(60));

        Assert.All(done, j => Assert.Equal((JobState.Succeeded, 1), (j.State, j.Attempts)));
        var runs = ids.Select(id => File.ReadAllLines(Path.Combine(d.SharedDirectory, "jobs", id.ToString(), "runs.txt"))).ToList();
        Assert.All(runs, r => Assert.Single(r));
        // Both workers took part, and each row names the worker that ran it.
        var byWorker = done.GroupBy(j => j.WorkerId).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(["w1", "w2"], byWorker.Keys.Order());
        Assert.All(done.Zip(runs), p => Assert.Equal($"{p.First.WorkerId}:1", p.Second[0]));
    }

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task A_job_whose_worker_stopped_heartbeating_is_released_and_run_by_another(string provider)
    {
        await using var d = new Deployment(provider);
        await d.StartAsync();
        long id;
        await using (var db = d.Db())
        {
            // What a worker that was killed mid-job leaves behind: Running, held by it, heartbeat going stale.
            var job = new Job { Kind = CountingJob.KindName, State = JobState.Running, WorkerId = "dead-worker", Attempts = 1, HeartbeatAt = DateTimeOffset.UtcNow, StartedAt = DateTimeOffset.UtcNow };
            db.Jobs.Add(job);
            await db.SaveChangesAsync();
            id = job.Id;
        }
        var sw = Stopwatch.StartNew();
        await d.WorkerAsync("w2");

        var done = (await WaitAsync(d, js => js.Single().IsFinished, TimeSpan.FromSeconds(30))).Single();

        Assert.Equal((JobState.Succeeded, 2, "w2"), (done.State, done.Attempts, done.WorkerId));
        // Not before the heartbeat timeout: a live worker's job is never taken away.
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(HeartbeatTimeoutSeconds - 0.1), $"released after {sw.Elapsed}");
        Assert.Equal(["w2:2"], File.ReadAllLines(Path.Combine(d.SharedDirectory, "jobs", id.ToString(), "runs.txt")));
    }

    [Fact]
    public async Task A_job_released_too_often_fails_instead_of_looping()
    {
        await using var d = new Deployment("Sqlite");
        await d.StartAsync();
        await using (var db = d.Db())
        {
            db.Jobs.Add(new Job { Kind = CountingJob.KindName, State = JobState.Running, WorkerId = "dead-worker", Attempts = 5, HeartbeatAt = DateTimeOffset.UtcNow.AddMinutes(-5) });
            await db.SaveChangesAsync();
        }
        var runner = await d.WorkerAsync("w2");
        var done = (await WaitAsync(d, js => js.Single().IsFinished, TimeSpan.FromSeconds(30))).Single();
        Assert.Equal(JobState.Failed, done.State);
        Assert.Contains("dead-worker stopped answering", done.Message);
        Assert.Equal(0, runner.RunningCount);
    }

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task A_job_that_requires_cuda_waits_for_a_worker_that_declares_it(string provider)
    {
        await using var d = new Deployment(provider);
        var jobs = await d.StartAsync();
        var gpu = await jobs.EnqueueAsync(CountingJob.KindName, "{}", null, "cuda");
        var any = await jobs.EnqueueAsync(CountingJob.KindName, "{}", null);
        await Assert.ThrowsAsync<JobValidationException>(() => jobs.EnqueueAsync(CountingJob.KindName, "{}", null, "tpu"));
        await d.WorkerAsync("cpu-only", "cpu");

        await WaitAsync(d, js => js.Single(j => j.Id == any.Id).IsFinished, TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        Assert.Equal(JobState.Queued, (await jobs.GetAsync(gpu.Id))!.State);

        await d.WorkerAsync("gpu-box", "cpu", "cuda");
        var done = await WaitAsync(d, js => js.All(j => j.IsFinished), TimeSpan.FromSeconds(30));
        Assert.Equal(("gpu-box", JobState.Succeeded), (done.Single(j => j.Id == gpu.Id).WorkerId, done.Single(j => j.Id == gpu.Id).State));
        Assert.Equal("cpu-only", done.Single(j => j.Id == any.Id).WorkerId);
    }

    [Fact]
    public void Runner_names_and_capabilities_are_checked()
    {
        Assert.Throws<ArgumentException>(() => new JobWorkerIdentity("w", ["cpu", "tpu"]));
        Assert.Throws<ArgumentException>(() => new JobWorkerIdentity("w", []));
        Assert.Throws<ArgumentException>(() => new JobWorkerIdentity(" ", ["cpu"]));
        Assert.Equal(["cpu", "cuda"], new JobWorkerIdentity("w", [" CPU", "cuda", "cpu"]).Capabilities);
    }
}
