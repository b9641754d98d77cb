using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Export;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Export;

/// <summary>
/// A workbench over a migrated SQLite file in a temporary folder (also its data directory): four people with
/// distinctive names (so a leak is found by grepping), and helpers to create a tiny SAE dictionary with an analysis
/// and labels.
/// </summary>
public sealed class ExportWorkspace : IAsyncDisposable
{
    public const string HookName = "blocks.0.hook_resid_post";
    public const int DIn = 8;
    public const int DSae = 12;

    private readonly ServiceProvider _services;

    private ExportWorkspace()
    {
        Folder = Directory.CreateTempSubdirectory("wb-export-").FullName;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new WorkbenchPaths(Folder, Folder));
        services.AddWorkbenchData(new DatabaseOptions(), Folder);
        services.AddResearch();
        _services = services.BuildServiceProvider();
    }

    public string Folder { get; }
    public Actor Admin { get; } = new("id-adm-5f1c", "qadmin-zorvath", Role.Admin);
    public Actor Reviewer { get; } = new("id-rev-8e2d", "qrita-vexmoor", Role.Reviewer);
    public Actor Ann { get; } = new("id-ann-3a9b", "qann-lurmish", Role.Labeler);
    public Actor Ben { get; } = new("id-ben-7c4e", "qben-trastor", Role.Labeler);
    public IEnumerable<Actor> People => [Admin, Reviewer, Ann, Ben];

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();
    public WorkbenchDbContext Db() => Get<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();
    public LabellingService Labelling => Get<LabellingService>();

    public static async Task<ExportWorkspace> StartAsync()
    {
        var w = new ExportWorkspace();
        await using var db = w.Db();
        await db.MigrateWorkbenchDatabaseAsync();
        foreach (var a in w.People)
            db.Users.Add(new WorkbenchUser { Id = a.UserId, UserName = a.UserName, NormalizedUserName = a.UserName.ToUpperInvariant() });
        await db.SaveChangesAsync();
        return w;
    }

    /// <summary>A random TopK SAE (seeded); with <paramref name="permutation"/>, latent i of the result is latent permutation[i] of the seed's SAE.</summary>
    public static SparseAutoencoder RandomSae(int seed, int[]? permutation = null)
    {
        using var g = new TorchSharp.torch.Generator((ulong)seed);
        var wDec = randn([DSae, DIn], generator: g);
        var wEnc = wDec.t().contiguous() + 0.01f * randn([DIn, DSae], generator: g);
        var bEnc = 0.1f * randn([DSae], generator: g);
        var bDec = 0.1f * randn([DIn], generator: g);
        if (permutation is not null)
        {
            var p = tensor(permutation.Select(i => (long)i).ToArray());
            wDec = wDec.index_select(0, p);
            wEnc = wEnc.index_select(1, p);
            bEnc = bEnc.index_select(0, p);
        }
        return new SparseAutoencoder(SaeArchitecture.TopK, 3, wEnc, bEnc, wDec, bDec, null);
    }

    /// <summary>Saves <paramref name="sae"/> as a SAELens folder, registers it and stores a synthetic analysis; returns the dictionary id.</summary>
    public async Task<long> AddDictionaryAsync(string name, SparseAutoencoder sae, bool analyse = true, string datasetPath = "corpus")
    {
        var folder = Path.Combine(Folder, "saes", name);
        var density = Enumerable.Range(0, DSae).Select(i => i == 7 ? -10f : -1f - i * 0.1f).ToArray();
        SaeLensFolder.Save(folder, sae, new SaeLensMetadata { ModelName = "tiny-gpt2", HookName = HookName, ContextSize = 16, DatasetPath = datasetPath }, density);
        var dictionary = await Get<DictionaryRegistry>().RegisterAsync(folder, name, null, "{\"l0\":3.0,\"fvu\":0.25}", "{\"k\":3}", 4096, null, Admin.UserId);
        if (analyse)
            await Get<FeatureAnalysisStore>().SaveAsync(new FeatureAnalysisHeader(dictionary.Id, null, "corpus", 1000, "{}"), DSae, Result);
        return dictionary.Id;
    }

    private static LatentAnalysisResult Result(int latent)
    {
        var dead = latent == 7;
        var example = new DashboardExample([10 + latent, 20, 30, 40], [0.5f, 1.5f + latent, 0f, 0.25f], 1, WindowIndex: latent, Position: 3);
        var stats = new LatentStatistics(latent, dead ? 0 : 10 + latent, 1000, dead ? 0 : 1.5f + latent, dead ? 0 : 0.5 + latent / 10.0);
        IntervalSample[] intervals = [.. Enumerable.Range(0, 5).Select(j => new IntervalSample(j, 0, 0, 0, 0, []))];
        var histogram = new long[50];
        if (!dead) histogram[49] = stats.ActiveCount;
        var activations = new LatentDashboard(stats, histogram, dead ? [] : [example, example with { Position = 9, Activations = [0.1f, 0.75f + latent, 0f, 0f] }], intervals);
        var logits = new LatentLogitEffects(latent, [new TokenEffect(3 + latent, 2.5f), new TokenEffect(5, 1.25f)], [new TokenEffect(4, -1.5f)], [.. Enumerable.Repeat(1L, 50)], -1.5f, 2.5f);
        return new LatentAnalysisResult(activations, logits, new LatentNeighbours(latent, [(latent + 1) % DSae], [0.5f]));
    }

    public async Task<long> LatentIdAsync(long dictionaryId, int index)
    {
        await using var db = Db();
        return await db.Latents.Where(l => l.DictionaryId == dictionaryId && l.Index == index).Select(l => l.Id).SingleAsync();
    }

    /// <summary>Labels: latent 2 accepted (Ann, endorsed by Ben, accepted by Rita); latent 5 proposed (Ben, endorsed by Ann and
    /// Rita) with a rejected rival by Ann; latent 9 one unendorsed interpretation with a Markdown description.</summary>
    public async Task LabelAsync(long dictionaryId)
    {
        var l2 = await LatentIdAsync(dictionaryId, 2);
        var a = Ok(await Labelling.CreateInterpretationAsync(Ann, l2, new InterpretationDraft("numbers after a dollar sign", "Fires on **digits** after `$`.", 4, "lexical-token")));
        Ok(await Labelling.VoteAsync(Ben, a.Id, 1));
        Ok(await Labelling.ReviewAsync(Reviewer, a.Id, ReviewStatus.Accepted, "clear"));
        var edited = Ok(await Labelling.EditInterpretationAsync(Ann, a.Id, 1, new InterpretationDraft("numbers after a dollar sign", "Fires on **digits** after `$` (prices).", 4, "lexical-token")));
        Assert.Equal("Applied", edited.Outcome);

        var l5 = await LatentIdAsync(dictionaryId, 5);
        var b = Ok(await Labelling.CreateInterpretationAsync(Ben, l5, new InterpretationDraft("closing quotation marks", "", 3, "format-position")));
        Ok(await Labelling.VoteAsync(Ann, b.Id, 1));
        Ok(await Labelling.VoteAsync(Reviewer, b.Id, 1));
        var rival = Ok(await Labelling.CreateInterpretationAsync(Ann, l5, new InterpretationDraft("punctuation", "", 2, "syntax")));
        Ok(await Labelling.VoteAsync(Ben, rival.Id, -1));
        Ok(await Labelling.ReviewAsync(Reviewer, rival.Id, ReviewStatus.Rejected, "too broad"));

        var l9 = await LatentIdAsync(dictionaryId, 9);
        Ok(await Labelling.CreateInterpretationAsync(Ben, l9, new InterpretationDraft("US states", "See [the list](https://example.org/states) and ![map](https://example.org/map.png)", 2, "entity")));
    }

    private static T Ok<T>(Outcome<T> r)
    {
        Assert.True(r.Succeeded, r.Validation.ToString());
        return r.Value!;
    }

    /// <summary>Row counts of every table, to prove a refused import wrote nothing.</summary>
    public async Task<string> SnapshotAsync()
    {
        await using var db = Db();
        var counts = new List<string>();
        foreach (var entity in db.Model.GetEntityTypes().Where(e => e.GetTableName() is not null && !e.IsOwned()).OrderBy(e => e.GetTableName()))
        {
            var conn = db.Database.GetDbConnection();
            if (conn.State != System.Data.ConnectionState.Open) await conn.OpenAsync();
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = $"SELECT COUNT(*) FROM \"{entity.GetTableName()}\"";
            counts.Add($"{entity.GetTableName()}={await cmd.ExecuteScalarAsync()}");
        }
        var imports = Path.Combine(Folder, "imports");
        var saes = Directory.Exists(imports) ? Directory.EnumerateDirectories(imports).Count(d => !Path.GetFileName(d).StartsWith('.')) : 0;
        return string.Join(", ", counts.Distinct()) + $", importedSaeFolders={saes}";
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, true); } catch (IOException) { }
    }
}
