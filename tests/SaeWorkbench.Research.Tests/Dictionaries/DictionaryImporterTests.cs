using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Research.Tests.Analysis;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Dictionaries;

/// <summary>Importing SAELens and model folders from the server's disk, with clear refusals.</summary>
public sealed class DictionaryImporterTests : IAsyncLifetime
{
    private const string Hook = "blocks.0.hook_resid_post";
    private static readonly Actor Labeler = new("u1", "lena", Role.Labeler);
    private AnalysisDatabase _db = null!;
    private string _root = "";
    private string _model = "";

    public async Task InitializeAsync()
    {
        _db = await new AnalysisDatabase().InitializeAsync();
        _root = Path.Combine(_db.Folder, "disk");
        await using (var ctx = _db.CreateDbContext())
        {
            ctx.Users.Add(new SaeWorkbench.Data.Accounts.WorkbenchUser { Id = Labeler.UserId, UserName = Labeler.UserName });
            await ctx.SaveChangesAsync();
        }
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat", "a dog ran"], 270);
        manual_seed(3);
        using var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 16, 8, 1, 2, BosTokenId: tokenizer.EndOfTextId));
        _model = Path.Combine(_root, "model");
        HuggingFaceGpt2.Save(model, _model, tokenizer);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private DictionaryImporter Importer(params string[] roots) =>
        new(new DictionaryRegistry(_db), new ServerPathPolicy(new WorkbenchPaths(_db.Folder, Path.Combine(_db.Folder, "data")), new WorkbenchSettings { ImportRoots = [.. roots] }));

    /// <summary>A random SAE with <paramref name="dIn"/> inputs and 6 latents saved as SAELens, with a sparsity file.</summary>
    private string SaveSae(string name, int dIn, string hook = Hook)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(4);
        using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { dIn, 6 }, generator: gen),
            randn(new long[] { 6 }, generator: gen), randn(new long[] { 6, dIn }, generator: gen), zeros(dIn));
        var folder = Path.Combine(_root, name);
        SaeLensFolder.Save(folder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = hook, ContextSize = 16 },
            [-1f, -2f, -3f, -0.5f, -4f, float.NegativeInfinity]);
        return folder;
    }

    [Fact]
    public async Task Imports_an_old_style_SAELens_folder_registers_its_latents_and_audits_the_import()
    {
        var folder = SaveSae("old-sae", 8);
        // Old SAELens cfgs: metadata at the top level, hook_point instead of hook_name, activation_fn_str.
        var cfgPath = Path.Combine(folder, SaeLensFolder.ConfigFile);
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
        cfg.Remove("metadata");
        cfg.Remove("architecture");
        cfg["hook_point"] = Hook;
        cfg["model_name"] = "tiny-old";
        cfg["activation_fn_str"] = "relu";
        File.WriteAllText(cfgPath, cfg.ToJsonString());

        var d = await Importer().ImportSaeLensAsync(new SaeImportRequest(folder, _model, "  mine  "), Labeler);

        Assert.Equal("mine", d.Name);
        Assert.Equal(Hook, d.HookName);
        Assert.Equal("tiny-old", d.ModelName);
        Assert.Equal(Path.GetFullPath(_model), d.ModelPath);
        await using var ctx = _db.CreateDbContext();
        var latents = await ctx.Latents.Where(l => l.DictionaryId == d.Id).OrderBy(l => l.Index).ToListAsync();
        Assert.Equal(6, latents.Count);
        Assert.Equal(0.1, latents[0].Density!.Value, 6);
        Assert.True(latents[5].IsDead);
        var audit = await ctx.AuditLog.SingleAsync(a => a.Action == DictionaryImporter.AuditAction);
        Assert.Equal("u1", audit.UserId);
        Assert.Equal(d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), audit.EntityId);
    }

    [Fact]
    public async Task A_d_in_that_does_not_fit_the_hook_names_the_hooks_that_would_fit()
    {
        var folder = SaveSae("wide", 32); // d_mlp of an 8-wide model is 32
        var e = await Assert.ThrowsAsync<ImportValidationException>(() => Importer().ImportSaeLensAsync(new(folder, _model), Labeler));
        var message = Assert.Single(e.Errors);
        Assert.Contains("d_in is 32", message);
        Assert.Contains($"hook '{Hook}' of the model has width 8", message);
        Assert.Contains("blocks.0.mlp.hook_post", message);
        Assert.DoesNotContain("blocks.0.hook_resid_pre", message);
    }

    [Fact]
    public async Task An_unknown_hook_lists_the_models_valid_hooks()
    {
        var folder = SaveSae("far", 8, "blocks.7.hook_resid_post");
        var e = await Assert.ThrowsAsync<ImportValidationException>(() => Importer().ImportSaeLensAsync(new(folder, _model), Labeler));
        Assert.Contains(e.Errors, m => m.Contains("'blocks.7.hook_resid_post' of the SAE is not a hook") && m.Contains("Valid hooks: hook_embed") && m.Contains(Hook));
    }

    [Fact]
    public async Task Missing_files_pickle_only_weights_and_paths_outside_the_roots_are_all_reported()
    {
        var importer = Importer();
        var emptySae = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        var pickleModel = Directory.CreateDirectory(Path.Combine(_root, "pickle")).FullName;
        File.Copy(Path.Combine(_model, "config.json"), Path.Combine(pickleModel, "config.json"));
        File.WriteAllText(Path.Combine(pickleModel, "pytorch_model.bin"), "not read");
        var e = await Assert.ThrowsAsync<ImportValidationException>(() => importer.ImportSaeLensAsync(new(emptySae, pickleModel), Labeler));
        Assert.Contains(e.Errors, m => m.Contains("only pytorch_model.bin") && m.Contains("model.safetensors"));
        Assert.Contains(e.Errors, m => m.Contains("no tokenizer"));
        Assert.Contains(e.Errors, m => m.Contains("cfg.json is missing"));

        var weightless = SaveSae("weightless", 8);
        File.Delete(Path.Combine(weightless, SaeLensFolder.WeightsFile));
        e = await Assert.ThrowsAsync<ImportValidationException>(() => importer.ImportSaeLensAsync(new(weightless, _model), Labeler));
        Assert.Contains(e.Errors, m => m.Contains("sae_weights.safetensors is missing"));

        e = await Assert.ThrowsAsync<ImportValidationException>(() => importer.ImportSaeLensAsync(new(Path.Combine(_root, "nope"), ""), Labeler));
        Assert.Contains(e.Errors, m => m == $"SAE folder: {ServerPathPolicy.Refusal}.");
        Assert.Contains(e.Errors, m => m.StartsWith("Model folder: enter a path", StringComparison.Ordinal));

        // Only the configured roots may be read; ".." does not escape them.
        var narrow = Importer(Path.Combine(_root, "model"));
        var sae = SaveSae("ok", 8);
        e = await Assert.ThrowsAsync<ImportValidationException>(() => narrow.ImportSaeLensAsync(new(Path.Combine(_model, "..", "ok"), _model), Labeler));
        Assert.Contains(e.Errors, m => m == $"SAE folder: {ServerPathPolicy.Refusal}." && m.Contains("Workbench:ImportRoots"));
        Assert.Equal(8, narrow.InspectModel(_model).DModel);
        await using var ctx = _db.CreateDbContext();
        Assert.Equal(1, await ctx.Dictionaries.CountAsync()); // only the fixture's own dictionary
        Assert.True(Directory.Exists(sae));
    }

    [Fact]
    public async Task A_viewer_cannot_import()
    {
        var folder = SaveSae("v", 8);
        await Assert.ThrowsAsync<RefusedException>(() =>
            Importer().ImportSaeLensAsync(new(folder, _model), new Actor("v", "vic", Role.Viewer)));
    }

    [Fact]
    public void Inspecting_a_model_folder_reports_each_hook_with_its_width()
    {
        var report = Importer().InspectModel(_model);
        Assert.Equal(8, report.DModel);
        Assert.Equal(8, report.HookWidths[Hook]);
        Assert.Equal(32, report.HookWidths["blocks.0.mlp.hook_post"]);
        Assert.Equal(8, report.HookWidths["blocks.0.attn.hook_z"]);   // 2 heads · d_head 4, flattened
        var e = Assert.Throws<ImportValidationException>(() => Importer().InspectModel(Path.Combine(_root, "missing")));
        Assert.Contains("does not exist", e.Errors.Single());
    }
}
