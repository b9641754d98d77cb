using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Inference;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Research.Steering;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Steering;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>The application services over a migrated SQLite file, a tiny GPT-2 folder and a random SAE registered as a dictionary.</summary>
internal sealed class SteeringWorld : IAsyncDisposable
{
    public const string Hook = "blocks.0.hook_resid_post";
    private readonly string _dir = Directory.CreateTempSubdirectory("wb-steering-").FullName;
    private readonly ServiceProvider _services;

    public SteeringWorld(SteeringLimits? limits, Limits.RateLimits? rateLimits = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWorkbenchData(new DatabaseOptions(), _dir);
        services.AddSingleton(new WorkbenchPaths(_dir, _dir));
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton(limits ?? new SteeringLimits());
        services.AddSingleton(rateLimits ?? new Limits.RateLimits());
        services.AddResearch();
        _services = services.BuildServiceProvider();
    }

    public ManualClock Clock { get; } = new();
    public SteeringService Steering => _services.GetRequiredService<SteeringService>();
    public SteeringCatalog Catalog => _services.GetRequiredService<SteeringCatalog>();
    public ModelHost Host => _services.GetRequiredService<ModelHost>();
    public SaeWorkbench.Research.Analysis.TestTextService TestText => _services.GetRequiredService<SaeWorkbench.Research.Analysis.TestTextService>();
    public WorkbenchEventBus Bus => _services.GetRequiredService<WorkbenchEventBus>();
    public WorkbenchDbContext Db() => _services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();

    public Actor Ann { get; } = new("u-ann", "ann", Role.Labeler);
    public Actor Ben { get; } = new("u-ben", "ben", Role.Labeler);
    public Actor Viewer { get; } = new("u-vic", "vic", Role.Viewer);
    public long DictionaryId { get; private set; }
    public long BadHookDictionaryId { get; private set; }
    public string ModelFolder { get; private set; } = "";

    public static async Task<SteeringWorld> StartAsync(SteeringLimits? limits = null, Limits.RateLimits? rateLimits = null)
    {
        var world = new SteeringWorld(limits, rateLimits);
        await using var db = world.Db();
        await db.MigrateWorkbenchDatabaseAsync();
        foreach (var a in new[] { world.Ann, world.Ben, world.Viewer }) await world.AddUserAsync(db, a);
        await db.SaveChangesAsync();

        var tokenizer = BpeTrainer.Train(["the cat sat on the mat", "a dog ran in the park", "the sun is hot and the sea is blue"], 280);
        manual_seed(3);
        using (var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 24, 8, 1, 2, BosTokenId: tokenizer.EndOfTextId)))
        {
            world.ModelFolder = Path.Combine(world._dir, "model");
            HuggingFaceGpt2.Save(model, world.ModelFolder, tokenizer);
        }
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(4);
        using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 8, 6 }, generator: gen),
            randn(new long[] { 6 }, generator: gen) - 0.3, randn(new long[] { 6, 8 }, generator: gen), zeros(8));
        var saeFolder = Path.Combine(world._dir, "sae");
        SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = Hook, ContextSize = 24 });
        var badFolder = Path.Combine(world._dir, "sae-bad-hook");
        SaeLensFolder.Save(badFolder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = "blocks.7.hook_resid_post", ContextSize = 24 });
        var registry = new DictionaryRegistry(world._services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>());
        world.DictionaryId = (await registry.RegisterAsync(saeFolder, "tiny", world.ModelFolder, "{}", "{}", 0, null, null)).Id;
        world.BadHookDictionaryId = (await registry.RegisterAsync(badFolder, "bad", world.ModelFolder, "{}", "{}", 0, null, null)).Id;
        return world;
    }

    /// <summary>A second dictionary over another tiny model with a different vocabulary.</summary>
    public async Task<long> RegisterOtherModelAsync()
    {
        var tokenizer = BpeTrainer.Train(["war and peace", "peace and war"], 270);
        var folder = Path.Combine(_dir, "other-model");
        manual_seed(5);
        using (var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 24, 8, 1, 2, BosTokenId: tokenizer.EndOfTextId)))
            HuggingFaceGpt2.Save(model, folder, tokenizer);
        using var scope = NewDisposeScope();
        using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 8, 6 }), randn(new long[] { 6 }), randn(new long[] { 6, 8 }), zeros(8));
        var saeFolder = Path.Combine(_dir, "other-sae");
        SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "other", HookName = Hook, ContextSize = 24 });
        var registry = new DictionaryRegistry(_services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>());
        return (await registry.RegisterAsync(saeFolder, "other", folder, "{}", "{}", 0, null, null)).Id;
    }

    public async Task AddUserAsync(WorkbenchDbContext db, Actor a) =>
        await db.Users.AddAsync(new WorkbenchUser { Id = a.UserId, UserName = a.UserName, NormalizedUserName = a.UserName.ToUpperInvariant() });

    public SteeringRequest Request(double strength = 8, int maxTokens = 8, int samples = 2, long seed = 11) => new()
    {
        DictionaryId = DictionaryId, Prompt = "the cat sat", Temperature = 0.9, MaxNewTokens = maxTokens, Seed = seed, Samples = samples,
        Interventions = [new Ml.Interventions.LatentIntervention(2, Ml.Interventions.InterventionKind.Add, strength)],
    };

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
