using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Models;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Research.Tests.Analysis;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Models;

/// <summary>The model registry: scanning the import roots, registering with every problem listed, usage, unregistering.</summary>
public sealed class ModelRegistryTests : IAsyncLifetime
{
    private static readonly Actor Admin = new("admin", "ada", Role.Admin);
    private static readonly Actor Labeler = new("labeler", "lena", Role.Labeler);
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Lm", "Fixtures");
    private AnalysisDatabase _db = null!;
    private string _root = "";
    private string _outside = "";

    public async Task InitializeAsync()
    {
        _db = await new AnalysisDatabase().InitializeAsync();
        _root = Directory.CreateDirectory(Path.Combine(_db.Folder, "roots", "models")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_db.Folder, "elsewhere")).FullName;
        await using var ctx = _db.CreateDbContext();
        ctx.Users.AddRange(new SaeWorkbench.Data.Accounts.WorkbenchUser { Id = Admin.UserId, UserName = Admin.UserName },
            new SaeWorkbench.Data.Accounts.WorkbenchUser { Id = Labeler.UserId, UserName = Labeler.UserName });
        await ctx.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private ServerPathPolicy Policy() =>
        new(new WorkbenchPaths(_db.Folder, Path.Combine(_db.Folder, "data")), new WorkbenchSettings { ImportRoots = [_root] });

    private ModelRegistry Registry()
    {
        var policy = Policy();
        return new ModelRegistry(_db, new ModelFolderInspector(policy), policy);
    }

    /// <summary>A copy of the fixture checkpoint <paramref name="family"/> at <paramref name="target"/>.</summary>
    private static string CopyFixture(string family, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Fixtures, family)))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }

    /// <summary>A complete tiny GPT-2 folder (config, weights, tokenizer) at <paramref name="target"/>.</summary>
    private static string SaveTinyModel(string target)
    {
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat", "a dog ran"], 270);
        manual_seed(3);
        using var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 16, 8, 1, 2, BosTokenId: tokenizer.EndOfTextId));
        HuggingFaceGpt2.Save(model, target, tokenizer);
        return target;
    }

    [Fact]
    public async Task Scan_finds_every_fixture_checkpoint_copied_under_an_import_root_and_describes_it()
    {
        var families = Directory.EnumerateDirectories(Fixtures).Select(Path.GetFileName).OfType<string>().Order().ToList();
        Assert.Contains("qwen2", families); // the sharded one
        foreach (var family in families) CopyFixture(family, Path.Combine(_root, "hf", family));
        // A model reached through a link that leads out of the roots is not listed (nor read).
        var away = CopyFixture("llama3", Path.Combine(_outside, "secret-llama"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "hf", "link-out"), away);

        var found = await Registry().ScanAsync();

        Assert.Equal(families.Select(f => Path.Combine(_root, "hf", f)), found.Select(f => f.Check.FullPath));
        foreach (var model in found)
        {
            var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(model.Check.FullPath!, "config.json")))!["model_type"]!.GetValue<string>();
            Assert.Equal(expected, model.Check.Info!.Family);
            Assert.True(model.Check.Info.Parameters > 0);
            Assert.Contains("blocks.0.hook_resid_post", model.Check.Info.HookNames);
            // The fixtures hold weights only: the scan says what registering would need.
            Assert.Equal(["No tokenizer: expected tokenizer.json, or vocab.json + merges.txt."], model.Check.Problems);
            Assert.Null(model.Registered);
        }
    }

    [Fact]
    public async Task Registering_a_broken_folder_lists_every_problem_at_once_and_writes_nothing()
    {
        var folder = CopyFixture("qwen2", Path.Combine(_root, "broken-qwen"));
        File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        config["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 };
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());

        var e = await Assert.ThrowsAsync<ModelRegistrationException>(() =>
            Registry().RegisterAsync(new ModelRegistration(folder, "q", "float64"), Admin));

        Assert.Equal(4, e.Problems.Count);
        Assert.Equal("computeDtype: 'float64' is not supported; supported: float32, bfloat16, float16.", e.Problems[0]);
        Assert.StartsWith("config.json: ", e.Problems[1]);
        Assert.Contains("rope_scaling", e.Problems[1]);
        Assert.Contains("yarn", e.Problems[1]);
        Assert.Equal("Shard model-00002-of-00002.safetensors listed in model.safetensors.index.json is missing.", e.Problems[2]);
        Assert.Equal("No tokenizer: expected tokenizer.json, or vocab.json + merges.txt.", e.Problems[3]);
        await using var ctx = _db.CreateDbContext();
        Assert.Empty(await ctx.RegisteredModels.ToListAsync());
    }

    [Fact]
    public async Task A_folder_without_config_or_weights_and_an_unknown_family_are_named()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        var e = await Assert.ThrowsAsync<ModelRegistrationException>(() => Registry().RegisterAsync(new ModelRegistration(empty), Admin));
        Assert.Equal([
            "No config.json in the folder: it is not a Hugging Face model folder.",
            "No weights: expected model.safetensors or model.safetensors.index.json with its shards.",
            "No tokenizer: expected tokenizer.json, or vocab.json + merges.txt.",
        ], e.Problems);

        var odd = SaveTinyModel(Path.Combine(_root, "odd"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(odd, "config.json")))!.AsObject();
        config["model_type"] = "mamba";
        File.WriteAllText(Path.Combine(odd, "config.json"), config.ToJsonString());
        var unknown = await Assert.ThrowsAsync<ModelRegistrationException>(() => Registry().RegisterAsync(new ModelRegistration(odd), Admin));
        var problem = Assert.Single(unknown.Problems);
        Assert.StartsWith("config.json: ", problem);
        Assert.Contains("mamba", problem);
        Assert.Contains("gemma2", problem); // the loader lists what it supports
    }

    [Fact]
    public async Task A_folder_outside_the_import_roots_is_refused_with_the_one_sentence_whether_or_not_it_exists()
    {
        var outside = SaveTinyModel(Path.Combine(_outside, "tiny"));
        foreach (var path in new[] { outside, Path.Combine(_outside, "missing"), Path.Combine(_root, "missing") })
        {
            var e = await Assert.ThrowsAsync<ModelRegistrationException>(() => Registry().RegisterAsync(new ModelRegistration(path, "x"), Admin));
            Assert.Equal([$"path: {ServerPathPolicy.Refusal}."], e.Problems);
        }
    }

    [Fact]
    public async Task Only_an_Admin_registers_and_the_registration_is_audited()
    {
        var folder = SaveTinyModel(Path.Combine(_root, "tiny"));
        var refused = await Assert.ThrowsAsync<RefusedException>(() => Registry().RegisterAsync(new ModelRegistration(folder), Labeler));
        Assert.Equal(OutcomeKind.Forbidden, refused.Kind);
        Assert.Equal("A Labeler cannot register or unregister models; ask an Admin for a role that can.", refused.Message);

        var model = await Registry().RegisterAsync(new ModelRegistration(folder, null, "bf16"), Admin);

        Assert.Equal("tiny", model.Name);
        Assert.Equal("gpt2", model.Family);
        Assert.Equal("bfloat16", model.ComputeDtype);
        Assert.Equal(folder, model.FolderPath);
        Assert.True(model.Parameters > 0);
        Assert.Equal("bfloat16", Registry().ComputeDtypeOf(folder));
        Assert.Equal("float32", Registry().ComputeDtypeOf(_root));
        await using var ctx = _db.CreateDbContext();
        var audit = await ctx.AuditLog.SingleAsync(a => a.Action == ModelRegistry.RegisterAction);
        Assert.Equal(model.Id.ToString(), audit.EntityId);
        Assert.Equal(Admin.UserId, audit.UserId);

        var again = await Assert.ThrowsAsync<ModelRegistrationException>(() => Registry().RegisterAsync(new ModelRegistration(folder + "/", "tiny"), Admin));
        Assert.Equal(["name: a model named 'tiny' is already registered.", "path: this folder is already registered as 'tiny'."], again.Problems);
    }

    [Fact]
    public async Task Usage_names_dictionaries_and_jobs_and_unregistering_is_refused_while_in_use()
    {
        var folder = SaveTinyModel(Path.Combine(_root, "tiny"));
        var registry = Registry();
        var model = await registry.RegisterAsync(new ModelRegistration(folder), Admin);
        long dictionaryId, jobId;
        await using (var ctx = _db.CreateDbContext())
        {
            var dictionary = new SaeDictionary { Name = "on tiny", ModelName = "tiny", ModelPath = folder, HookName = "blocks.0.hook_resid_post", Architecture = "topk", SaePath = "/x" };
            var job = new Job { Kind = "sae-train", ParametersJson = $$"""{"model":"{{folder}}/","hook":"blocks.0.hook_resid_post"}""" };
            ctx.AddRange(dictionary, job, new Job { Kind = "sae-train", ParametersJson = """{"model":"elsewhere"}""" });
            await ctx.SaveChangesAsync();
            (dictionaryId, jobId) = (dictionary.Id, job.Id);
        }

        var usage = await registry.UsageAsync(folder);
        Assert.Equal([new DictionaryUse(dictionaryId, "on tiny", "blocks.0.hook_resid_post")], usage.Dictionaries);
        Assert.Equal([new JobUse(jobId, "sae-train", "Queued")], usage.Jobs);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => registry.UnregisterAsync(model.Id, Admin));
        Assert.Equal($"'tiny' is in use by 1 dictionary (#{dictionaryId}) and 1 unfinished job (#{jobId}); it stays registered until nothing uses it.",
            refused.Message);

        await using (var ctx = _db.CreateDbContext())
        {
            await ctx.Dictionaries.Where(d => d.Id == dictionaryId).ExecuteDeleteAsync();
            await ctx.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Succeeded));
        }
        await Assert.ThrowsAsync<RefusedException>(() => registry.UnregisterAsync(model.Id, Labeler));
        await registry.UnregisterAsync(model.Id, Admin);
        Assert.Empty(await registry.ListAsync());
        Assert.True(Directory.Exists(folder)); // the folder itself is never touched
    }

    [Fact]
    public async Task The_model_host_loads_each_folder_in_the_dtype_its_registration_says_and_reloads_when_it_changes()
    {
        var folder = SaveTinyModel(Path.Combine(_root, "tiny"));
        var registry = Registry();
        var model = await registry.RegisterAsync(new ModelRegistration(folder), Admin);
        using var host = new SaeWorkbench.Research.Inference.ModelHost(registry);
        Assert.Equal("float32", await host.RunAsync(folder, (m, ct) => { ct.ThrowIfCancellationRequested(); return m.Model is null ? null : m.ComputeDtype; }));
        if (ComputeDtypes.Unsupported("bfloat16", CPU) is not null) return;
        await registry.SetComputeDtypeAsync(model.Id, "bfloat16", Admin);
        var hooked = await host.RunAsync(folder, (m, _) =>
        {
            using var scope = NewDisposeScope();
            return m.Model.Model.RunToHook(tensor(new long[] { 1, 2, 3 }).unsqueeze(0), "blocks.0.hook_resid_post").dtype;
        });
        Assert.Equal(ScalarType.BFloat16, hooked);
    }
}
