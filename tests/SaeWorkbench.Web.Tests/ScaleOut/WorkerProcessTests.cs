using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Tests.Shared;

namespace SaeWorkbench.Web.Tests.ScaleOut;

/// <summary>A real <c>sae worker</c> process (the CLI built next to the tests), configured through environment variables.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    public WorkerProcess(string name, string contentRoot, IReadOnlyDictionary<string, string> settings)
    {
        Name = name;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = contentRoot };
        foreach (var a in new[] { "exec", CliPath(), "worker", "--name", name, "--capabilities", "cpu", "--max-concurrent", "1", "--content-root", contentRoot })
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in settings) psi.Environment[k.Replace(":", "__", StringComparison.Ordinal)] = v;
        psi.Environment["DOTNET_gcServer"] = "0";
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public string Log => string.Join('\n', _log);

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL: the process gets no chance to put its jobs back.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }

    /// <summary>src/SaeWorkbench.Cli/bin/{configuration}/{tfm}/sae.dll of this checkout.</summary>
    public static string CliPath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var tfm = dir.Name;
        var configuration = dir.Parent!.Name;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var path = Path.Combine(dir!.FullName, "src", "SaeWorkbench.Cli", "bin", configuration, tfm, "sae.dll");
        Assert.True(File.Exists(path), $"the CLI is not built at {path}");
        return path;
    }
}

public sealed class WorkerProcessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_worker_killed_mid_job_leaves_it_to_another_worker_which_resumes_from_the_checkpoint_with_the_same_result()
    {
        using var redis = await RedisServer.StartAsync();
        var database = TestServers.NewPostgresDatabase();
        using var root = new WorkbenchFactory();
        var shared = Path.Combine(root.DataDirectory, "shared");
        // A web node with its runner off (only workers train); its pages see the workers' progress through Redis.
        await using var web = root.WithWebHostBuilder(b =>
        {
            b.UseSetting("Workbench:Database:Provider", "Postgres");
            b.UseSetting("Workbench:Database:ConnectionString", database);
            b.UseSetting("Workbench:Redis", redis.Configuration);
            b.UseSetting("Workbench:SharedDirectory", shared);
            b.UseSetting("Workbench:Jobs:RunnerEnabled", "false");
        });
        _ = web.Server;
        Assert.Empty(web.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<JobRunner>());
        var fromWorkers = new ConcurrentQueue<JobSnapshot>();
        using var sub = web.Services.GetRequiredService<WorkbenchEventBus>().Subscribe((e, origin) =>
        {
            if (e is JobUpdated u && origin == EventOrigin.Worker) fromWorkers.Enqueue(u.Job);
        });

        var (model, corpus) = TinyWorld.Create(Path.Combine(root.DataDirectory, "world"));
        // 100 steps with a checkpoint every 10: the test kills the worker as soon as the first checkpoint is on disk.
        string Parameters(string name) => JsonSerializer.Serialize(new
        {
            model, corpus, hook = "blocks.1.hook_resid_post", arch = "topk", latents = 64, k = 4, name,
            tokens = 128 * 100, batchSize = 128, bufferTokens = 2048, evalTokens = 512, learningRate = 3e-3, seed = 5,
        });
        var jobs = web.Services.GetRequiredService<JobService>();
        var killed = await jobs.EnqueueAsync(SaeTrainingJob.KindName, Parameters("interrupted"), null);

        var settings = new Dictionary<string, string>
        {
            ["Workbench:Database:Provider"] = "Postgres",
            ["Workbench:Database:ConnectionString"] = database,
            ["Workbench:Redis"] = redis.Configuration,
            ["Workbench:DataDirectory"] = Path.Combine(root.DataDirectory, "worker-data"),
            ["Workbench:SharedDirectory"] = shared,
            ["Workbench:Jobs:PollSeconds"] = "0.2",
            ["Workbench:Jobs:HeartbeatSeconds"] = "0.5",
            ["Workbench:Jobs:HeartbeatTimeoutSeconds"] = "3",
            ["Workbench:SeedDemo"] = "false",
        };
        var checkpointState = Path.Combine(shared, "jobs", killed.Id.ToString(), "checkpoints", "checkpoint", "state.json");
        long checkpointStep;
        TimeSpan untilCheckpoint;
        using (var first = new WorkerProcess("worker-1", root.DataDirectory, settings))
        {
            var sw = Stopwatch.StartNew();
            while (!File.Exists(checkpointState))
            {
                var now = await jobs.GetAsync(killed.Id);
                Assert.True(!now!.IsFinished, $"the job finished before a checkpoint: {now.State} {now.Message}\n{first.Log}");
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(90) && !first.HasExited, "no checkpoint within 90 s\n" + first.Log);
                await Task.Delay(10);
            }
            first.Kill();
            untilCheckpoint = sw.Elapsed;
            var running = await jobs.GetAsync(killed.Id);
            Assert.True(running!.State == JobState.Running && running.WorkerId == "worker-1", $"{running.State} {running.WorkerId} {running.Message}");
            // What a resuming worker finds (SaeCheckpoint.TryLoad): the checkpoint, or the previous one when the kill
            // fell between the two folder moves of a save.
            checkpointStep = Step(File.Exists(checkpointState) ? checkpointState : checkpointState.Replace("checkpoint/state.json", "checkpoint.old/state.json"));
        }
        var loggedBeforeKill = (await jobs.MetricsAsync(killed.Id)).Select(m => m.Step).ToList();
        Assert.Contains(fromWorkers, j => j.Id == killed.Id && j.WorkerId == "worker-1");

        using var second = new WorkerProcess("worker-2", root.DataDirectory, settings);
        // The same training, never interrupted, as the reference result (one job at a time: the two runs must not
        // share the process's random generator).
        var reference = await jobs.EnqueueAsync(SaeTrainingJob.KindName, Parameters("reference"), null);
        var clock = Stopwatch.StartNew();
        var phases = $"first checkpoint after {untilCheckpoint.TotalSeconds:F1} s";
        JobSnapshot a, b;
        while (true)
        {
            a = (await jobs.GetAsync(killed.Id))!;
            b = (await jobs.GetAsync(reference.Id))!;
            if (a.IsFinished && b.IsFinished) break;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(240) && !second.HasExited, $"{phases}; jobs not finished: {a.State} {a.Message}; {b.State} {b.Message}\n{second.Log}");
            await Task.Delay(100);
        }

        // Timings go to the test output (a loaded machine shows where the time went).
        output.WriteLine($"{phases}; both jobs done {clock.Elapsed.TotalSeconds:F1} s after the second worker started");
        Assert.Equal((JobState.Succeeded, 2, "worker-2"), (a.State, a.Attempts, a.WorkerId));
        Assert.Equal((JobState.Succeeded, 1), (b.State, b.Attempts));
        // Resumed from the checkpoint: the steps up to it were not trained (nor logged) again.
        var steps = (await jobs.MetricsAsync(killed.Id)).Select(m => m.Step).ToList();
        Assert.True(checkpointStep > 0);
        Assert.All(steps.Where(s => s <= checkpointStep).GroupBy(s => s), g => Assert.Single(g));
        Assert.Contains(steps, s => s > checkpointStep && !loggedBeforeKill.Contains(s));
        // The same result as the uninterrupted run, to the last digit.
        using var ra = JsonDocument.Parse(a.ResultJson!);
        using var rb = JsonDocument.Parse(b.ResultJson!);
        Assert.Equal(rb.RootElement.GetProperty("metrics").GetRawText(), ra.RootElement.GetProperty("metrics").GetRawText());
        // The web node's pages saw the second worker's progress and the success through Redis.
        Assert.Contains(fromWorkers, j => j.Id == killed.Id && j.WorkerId == "worker-2" && j.State == JobState.Succeeded);
        // And the registered dictionaries live in the shared folder.
        await using var db = web.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();
        Assert.All(await db.Dictionaries.ToListAsync(), d => Assert.StartsWith(Path.GetFullPath(shared), Path.GetFullPath(d.SaePath)));
    }

    private static long Step(string stateJson)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(stateJson));
        foreach (var p in doc.RootElement.EnumerateObject())
            if (p.Name.Equals("step", StringComparison.OrdinalIgnoreCase)) return p.Value.GetInt64();
        throw new InvalidDataException("no step in " + stateJson);
    }
}
