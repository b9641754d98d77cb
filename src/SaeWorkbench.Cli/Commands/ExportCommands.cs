using System.CommandLine;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Research;
using SaeWorkbench.Research.Export;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae export</c> and <c>sae import</c>: the web app's bundle exporter and importer on the same
/// database, found through the same settings (appsettings.json at the content root — the folder holding
/// SaeWorkbench.sln, or WORKBENCH_CONTENT_ROOT — and Workbench__* environment variables).
/// With <c>--as &lt;user name&gt;</c> the command acts as that account and its role is enforced (Reviewer+ exports,
/// Admin imports); without it, it acts as the local operator, who already holds the database file.
/// </summary>
public static class ExportCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Export());
        root.Subcommands.Add(Import());
    }

    private static Command Export()
    {
        var dictionary = new Option<long>("--dictionary") { Description = "Dictionary id", Required = true };
        var output = new Option<string>("--out") { Description = "Bundle folder, or .zip file with --zip (must not exist)", Required = true };
        var zip = new Option<bool>("--zip") { Description = "Write one .zip file" };
        var pseudonymise = new Option<bool>("--pseudonymise") { Description = "Stable pseudonyms instead of user names" };
        var only = new Option<string>("--only") { Description = "all | labelled | accepted", DefaultValueFactory = _ => "all" };
        only.AcceptOnlyFromAmong("all", "labelled", "accepted");
        var noContexts = new Option<bool>("--no-contexts") { Description = "Leave the top contexts (corpus text) out" };
        var format = new Option<string>("--format")
            { Description = "bundle (manifest, SAELens weights, catalog, report; imports back) | neuronpedia (Neuronpedia's bulk-export layout)", DefaultValueFactory = _ => "bundle" };
        format.AcceptOnlyFromAmong("bundle", "neuronpedia");
        var creator = new Option<string?>("--creator") { Description = $"Neuronpedia: the creator/author id its rows carry (default {NeuronpediaExporter.DefaultCreatorId})" };
        var asUser = new Option<string?>("--as") { Description = "Act as this workbench user (role enforced)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };
        var command = new Command("export", "Export a dictionary as a bundle (manifest, SAELens weights, catalog (JSONL, CSV), Neuronpedia explanations, report.html) " +
                                            "or, with --format neuronpedia, as {model}/{source}/features|activations|explanations/batch-N.jsonl.gz.")
        {
            dictionary, output, zip, pseudonymise, only, noContexts, format, creator, asUser, json,
        };
        command.SetAction((parse, ct) => Guarded(parse.GetValue(json), async () =>
        {
            await using var host = await CliWorkbench.OpenAsync(ct);
            var actor = await host.ActorAsync(parse.GetValue(asUser), ct);
            if (actor is not null) Permissions.Require(actor.Role, WorkbenchAction.Export);
            var options = new ExportOptions(ExportOptions.ParseScope(parse.GetValue(only)), !parse.GetValue(noContexts), parse.GetValue(pseudonymise), parse.GetValue(zip),
                ExportOptions.ParseFormat(parse.GetValue(format)), parse.GetValue(creator));
            var quiet = parse.GetValue(json);
            var progress = quiet ? null : new Progress<(double Progress, string Message)>(p => Console.Error.Write($"\r{p.Progress:P0} {p.Message}".PadRight(60)));
            if (options.Format == ExportFormat.Neuronpedia)
            {
                var np = await host.Services.GetRequiredService<NeuronpediaExporter>()
                    .ExportAsync(parse.GetValue(dictionary), options, parse.GetValue(output)!, progress, ct);
                if (quiet) Console.WriteLine(JsonSerializer.Serialize(np, Json));
                else Console.WriteLine($"\nwrote {np.Path}: {np.ModelId}/{np.SourceId} with {np.Features:N0} features, {np.Activations:N0} activation contexts, {np.Explanations:N0} explanations");
                return;
            }
            var result = await host.Services.GetRequiredService<BundleExporter>()
                .ExportAsync(parse.GetValue(dictionary), options, parse.GetValue(output)!, actor?.UserId, progress, ct);
            var m = result.Manifest;
            if (quiet) Console.WriteLine(JsonSerializer.Serialize(new { path = result.Path, m.BundleId, m.Counts, m.Dictionary.SaeSha256 }, Json));
            else Console.WriteLine($"\nwrote {result.Path}: {m.Counts.Latents:N0} latents ({m.Counts.Labelled:N0} labelled, {m.Counts.Accepted:N0} accepted), bundle {m.BundleId}");
        }));
        return command;
    }

    private static Command Import()
    {
        var path = new Argument<string>("path") { Description = "Bundle folder or .zip" };
        var asUser = new Option<string?>("--as") { Description = "Act as this workbench user (must be an Admin)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };
        var command = new Command("import", "Import a bundle: verify every hash, then create the dictionary, statistics, interpretations, votes and reviews in one transaction.")
        {
            path, asUser, json,
        };
        command.SetAction((parse, ct) => Guarded(parse.GetValue(json), async () =>
        {
            await using var host = await CliWorkbench.OpenAsync(ct);
            var actor = await host.ActorAsync(parse.GetValue(asUser), ct) ?? new Actor("cli", $"cli:{Environment.UserName}", Role.Admin);
            var result = await host.Services.GetRequiredService<BundleImporter>().ImportAsync(parse.GetValue(path)!, actor, ct);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, Json));
            else if (result.Created)
                Console.WriteLine($"imported as dictionary #{result.DictionaryId}: {result.Latents:N0} latents, {result.Interpretations:N0} interpretations, {result.Votes:N0} votes, {result.PlaceholderAccounts} placeholder accounts");
            else Console.WriteLine($"bundle {result.BundleId} was imported before (dictionary #{result.DictionaryId}); nothing changed");
        }));
        return command;
    }

    private static async Task<int> Guarded(bool json, Func<Task> action)
    {
        try
        {
            await action();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or InvalidOperationException or BundleException
                                       or RefusedException or UnauthorizedAccessException or SafetensorsFormatException or OperationCanceledException)
        {
            if (json) Console.Error.WriteLine(JsonSerializer.Serialize(new { error = e.Message }));
            else Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}

/// <summary>The workbench's services over its configured database, for one CLI command.</summary>
internal sealed class CliWorkbench(ServiceProvider services) : IAsyncDisposable
{
    public ServiceProvider Services { get; } = services;

    public static async Task<CliWorkbench> OpenAsync(CancellationToken ct)
    {
        var root = ContentRoot();
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(root, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        var settings = configuration.GetSection("Workbench").Get<WorkbenchSettings>() ?? new WorkbenchSettings();
        var database = configuration.GetSection("Workbench:Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        var paths = new WorkbenchPaths(root, settings.DataDirectory);
        paths.EnsureWritable();
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton(settings);
        collection.AddSingleton(paths);
        collection.AddWorkbenchData(database, paths.DataDirectory);
        collection.AddResearch();
        var provider = collection.BuildServiceProvider();
        await using (var db = await provider.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync(ct))
            await db.MigrateWorkbenchDatabaseAsync(ct);
        return new CliWorkbench(provider);
    }

    /// <summary>The account named <paramref name="userName"/> with its role; null when none was asked for.</summary>
    public async Task<Actor?> ActorAsync(string? userName, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(userName)) return null;
        await using var db = await Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContextAsync(ct);
        var normalized = userName.ToUpperInvariant();
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, ct)
                   ?? throw new ArgumentException($"--as: there is no user '{userName}'");
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == user.Id select r.Name!).ToListAsync(ct);
        return new Actor(user.Id, user.UserName ?? user.Id, WorkbenchRoles.Highest(roles));
    }

    /// <summary>As the web app: WORKBENCH_CONTENT_ROOT, else the folder holding SaeWorkbench.sln above the working directory or the executable.</summary>
    private static string ContentRoot()
    {
        var explicitRoot = Environment.GetEnvironmentVariable("WORKBENCH_CONTENT_ROOT");
        if (!string.IsNullOrWhiteSpace(explicitRoot)) return Path.GetFullPath(explicitRoot);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }

    public ValueTask DisposeAsync() => Services.DisposeAsync();
}
