using System.CommandLine;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Data;
using SaeWorkbench.Research;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.ScaleOut;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae worker</c>: a job runner without a web server. It reads the same settings as the web app (appsettings.json in
/// the content root, then <c>Workbench__…</c> environment variables), claims queued jobs from the shared database,
/// heartbeats them, reports progress through Redis when <c>Workbench:Redis</c> is set, and writes artefacts to
/// <c>Workbench:SharedDirectory</c>. Ctrl+C / SIGTERM puts its running jobs back in the queue; a killed worker's jobs are
/// released when their heartbeat times out.
/// </summary>
public static class WorkerCommand
{
    public static void AddTo(RootCommand root) => root.Subcommands.Add(Create());

    private static Command Create()
    {
        var capabilities = new Option<string?>("--capabilities") { Description = "What this worker offers, comma-separated: cpu, cuda (default: Workbench:Jobs:Capabilities, else detected)" };
        var name = new Option<string?>("--name") { Description = "Unique name of this worker in the job rows (default: Workbench:Jobs:WorkerName, else {machine}/worker)" };
        var maxConcurrent = new Option<int?>("--max-concurrent") { Description = "Jobs run at once (default: Workbench:Jobs:MaxConcurrent)" };
        var contentRoot = new Option<string?>("--content-root") { Description = "Folder with appsettings.json; relative settings paths are under it (default: the current folder)" };
        var command = new Command("worker", "Claim and run queued jobs from the shared database (a training node without the web app).")
        {
            capabilities, name, maxConcurrent, contentRoot,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var caps = parse.GetValue(capabilities)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                using var host = Build(parse.GetValue(contentRoot), parse.GetValue(name), caps, parse.GetValue(maxConcurrent));
                // Migrating is safe from several processes at once (EF takes a lock), so a worker may start first.
                await using (var db = await host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync(ct))
                    await db.MigrateWorkbenchDatabaseAsync(ct);
                await host.RunAsync(ct);
                return 0;
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>The worker's host: settings, data, the application services, the runner and (with Redis) the event relay.</summary>
    public static IHost Build(string? contentRoot, string? name, IReadOnlyList<string>? capabilities, int? maxConcurrent)
    {
        var root = Path.GetFullPath(contentRoot ?? Directory.GetCurrentDirectory());
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = root, Args = [] });
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        var settings = builder.Configuration.GetSection("Workbench").Get<WorkbenchSettings>() ?? new WorkbenchSettings();
        if (maxConcurrent is { } m)
        {
            if (m < 1) throw new ArgumentException("--max-concurrent must be at least 1");
            settings.Jobs.MaxConcurrent = m;
        }
        var database = builder.Configuration.GetSection("Workbench:Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        var paths = new WorkbenchPaths(root, settings.DataDirectory, settings.SharedDirectory);
        paths.EnsureWritable();
        Directory.CreateDirectory(paths.SharedDirectory);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(paths);
        builder.Services.AddWorkbenchData(database, paths.DataDirectory);
        builder.Services.AddResearch();
        // The web nodes' key ring (shared folder), so explain/score jobs here can decrypt the provider's API key.
        builder.Services.AddDataProtection().SetApplicationName("SaeWorkbench")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(paths.SharedDirectory, "keys")));
        builder.Services.AddWorkbenchScaleOut(settings, hostsHub: false);
        builder.Services.AddJobWorker(JobWorkerIdentity.FromSettings(settings.Jobs, "worker", name, capabilities));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        return builder.Build();
    }
}
