using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Models;
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

/// <summary>
/// The import options of <c>sae inspect</c>/<c>sae encode</c> (centring, norm scaling factor) from the app's import,
/// stored with the dictionary and used by every later load; and the check that the model a dictionary names is the model
/// it is imported on (docs/science.md §11).
/// </summary>
public sealed class ImportOptionsTests : IAsyncLifetime
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
        _model = SaveModel("model");
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private string SaveModel(string name, string? nameOrPath = null)
    {
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat", "a dog ran"], 270);
        manual_seed(3);
        using var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 16, 8, 1, 2, BosTokenId: tokenizer.EndOfTextId));
        var folder = Path.Combine(_root, name);
        HuggingFaceGpt2.Save(model, folder, tokenizer);
        if (nameOrPath is not null)
        {
            var config = Path.Combine(folder, HuggingFaceModels.ConfigFile);
            var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
            json["_name_or_path"] = nameOrPath;
            File.WriteAllText(config, json.ToJsonString());
        }
        return folder;
    }

    private DictionaryImporter Importer() =>
        new(new DictionaryRegistry(_db), new ServerPathPolicy(new WorkbenchPaths(_db.Folder, Path.Combine(_db.Folder, "data")), new WorkbenchSettings()));

    /// <summary>A random 8 → 6 SAELens dictionary naming <paramref name="modelName"/>, its cfg edited by <paramref name="edit"/>.</summary>
    private string SaveSae(string name, string modelName = "tiny", Action<JsonObject>? edit = null)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(4);
        using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 8, 6 }, generator: gen),
            randn(new long[] { 6 }, generator: gen) - 0.2, randn(new long[] { 6, 8 }, generator: gen), randn(new long[] { 8 }, generator: gen));
        var folder = Path.Combine(_root, name);
        SaeLensFolder.Save(folder, sae, new SaeLensMetadata { ModelName = modelName, HookName = Hook, ContextSize = 16 });
        if (edit is not null)
        {
            var cfgPath = Path.Combine(folder, SaeLensFolder.ConfigFile);
            var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
            edit(cfg);
            File.WriteAllText(cfgPath, cfg.ToJsonString());
        }
        return folder;
    }

    private async Task<int> DictionaryCount()
    {
        await using var ctx = _db.CreateDbContext();
        return await ctx.Dictionaries.CountAsync();
    }

    private static void AssertClose(Tensor want, Tensor got, string what)
    {
        var diff = (want - got).abs().max().item<float>();
        Assert.True(diff <= 1e-5f * Math.Max(1f, want.abs().max().item<float>()), $"{what}: max |difference| {diff:E3}");
    }

    [Fact]
    public async Task A_folder_that_needs_a_norm_scaling_factor_is_refused_naming_the_option_and_imports_with_it_encoding_as_sae_encode_does()
    {
        var plainFolder = SaveSae("plain");
        var folder = SaveSae("scaled", edit: c => c["normalize_activations"] = "expected_average_only_in");
        var before = await DictionaryCount();

        var refused = await Assert.ThrowsAsync<ImportValidationException>(() => Importer().ImportSaeLensAsync(new(folder, _model), Labeler));
        var why = Assert.Single(refused.Errors);
        Assert.Contains("normalize_activations", why);
        Assert.Contains("normScalingFactor", why);
        Assert.Equal(before, await DictionaryCount());

        var d = await Importer().ImportSaeLensAsync(new(folder, _model, NormScalingFactor: 2.5), Labeler);
        var info = ImportInfo.Parse(d.TrainingConfigJson)!;
        Assert.Equal(2.5, info.Options!.NormScalingFactor);
        Assert.Equal("norm scaling factor 2.5", info.OptionsText);
        Assert.Contains(info.Transforms, t => t.Contains("expected_average_only_in", StringComparison.Ordinal));

        // The registered dictionary, loaded as every service loads it, computes what `sae encode --norm-scaling-factor 2.5`
        // computes (SaeFolders.Load with the same options), which is the plain dictionary on 2.5·x with its reconstruction ÷ 2.5.
        using var registered = RegisteredSae.Load(d, d.SaePath);
        using var encode = SaeFolders.Load(folder, new SaeLoadOptions { NormScalingFactor = 2.5 });
        using var plain = SaeFolders.Load(plainFolder);
        using var scope = NewDisposeScope();
        var x = randn(5, 8);
        AssertClose(encode.Autoencoder.Encode(x), registered.Autoencoder.Encode(x), "latents against sae encode");
        AssertClose(plain.Autoencoder.Encode(x * 2.5), registered.Autoencoder.Encode(x), "latents against the unscaled dictionary");
        AssertClose(plain.Autoencoder.Reconstruct(x * 2.5) / 2.5, registered.Autoencoder.Reconstruct(x), "reconstruction");
    }

    [Fact]
    public async Task Centring_chosen_at_import_is_stored_and_every_later_load_centres_the_input()
    {
        var folder = SaveSae("centred");
        var d = await Importer().ImportSaeLensAsync(new(folder, _model, CentreWritingWeights: true), Labeler);
        var info = ImportInfo.Parse(d.TrainingConfigJson)!;
        Assert.True(info.Options!.CentreWritingWeights);
        Assert.Equal("center_writing_weights on", info.OptionsText);
        Assert.Contains(info.Transforms, t => t.StartsWith("center_writing_weights chosen at import", StringComparison.Ordinal));

        using var registered = RegisteredSae.Load(d, d.SaePath);
        using var plain = SaeFolders.Load(folder);
        using var scope = NewDisposeScope();
        var x = randn(5, 8) + 3;
        var mean = x.mean([1], keepdim: true);
        AssertClose(plain.Autoencoder.Encode(x - mean), registered.Autoencoder.Encode(x), "latents on the centred input");
        Assert.False(plain.Autoencoder.Encode(x).allclose(registered.Autoencoder.Encode(x)), "centring changed nothing, so the test proves nothing");
    }

    [Fact]
    public async Task A_norm_scaling_factor_that_is_not_positive_or_that_the_folder_does_not_use_is_refused()
    {
        var folder = SaveSae("no-norm");
        var before = await DictionaryCount();
        var bad = await Assert.ThrowsAsync<ImportValidationException>(() => Importer().ImportSaeLensAsync(new(folder, _model, NormScalingFactor: -1), Labeler));
        Assert.Contains(bad.Errors, e => e == "Norm scaling factor: -1 is not a positive number.");
        var unused = await Assert.ThrowsAsync<ImportValidationException>(() => Importer().ImportSaeLensAsync(new(folder, _model, NormScalingFactor: 2), Labeler));
        Assert.Contains(unused.Errors, e => e.Contains("normalize_activations") && e.Contains("applies only to \"expected_average_only_in\""));
        Assert.Equal(before, await DictionaryCount());
    }

    [Fact]
    public async Task A_dictionary_naming_the_models_recorded_id_or_a_TransformerLens_alias_of_it_imports()
    {
        var gpt2 = SaveModel("hub-gpt2", "openai-community/gpt2");
        var exact = await Importer().ImportSaeLensAsync(new(SaveSae("exact", "openai-community/gpt2"), gpt2), Labeler);
        Assert.Null(ImportInfo.Parse(exact.TrainingConfigJson)!.ModelMismatch);
        var alias = await Importer().ImportSaeLensAsync(new(SaveSae("alias", "gpt2-small"), gpt2), Labeler);
        Assert.Equal("gpt2-small", alias.ModelName);
        Assert.Null(ImportInfo.Parse(alias.TrainingConfigJson)!.ModelMismatch);
        Assert.True(ModelNames.Same("google/gemma-2-2b", "gemma-2-2b"));
        Assert.False(ModelNames.Same("pythia-70m", "pythia-70m-deduped"));
    }

    [Fact]
    public async Task A_dictionary_for_another_model_is_refused_with_the_registered_models_that_match_unless_imported_anyway()
    {
        var gpt2 = SaveModel("hub-gpt2", "openai-community/gpt2");
        var pythia = SaveModel("p70", "EleutherAI/pythia-70m");
        await using (var ctx = _db.CreateDbContext())
        {
            ctx.RegisteredModels.Add(new RegisteredModel { Name = "small pythia", FolderPath = pythia, Family = "gpt2", StoredDtype = "float32" });
            ctx.RegisteredModels.Add(new RegisteredModel { Name = "our gpt2", FolderPath = gpt2, Family = "gpt2", StoredDtype = "float32" });
            await ctx.SaveChangesAsync();
        }
        var folder = SaveSae("pythia-sae", "pythia-70m");
        var before = await DictionaryCount();

        var refused = await Assert.ThrowsAsync<ImportValidationException>(() => Importer().ImportSaeLensAsync(new(folder, gpt2), Labeler));
        var why = Assert.Single(refused.Errors);
        Assert.Contains("trained on model 'pythia-70m'", why);
        Assert.Contains("'our gpt2'", why);
        Assert.Contains($"Registered models that match: small pythia ({pythia})", why);
        Assert.DoesNotContain("our gpt2 (", why);
        Assert.Contains("import anyway: the model differs", why);
        Assert.Equal(before, await DictionaryCount());

        // On the model it names it imports; a renamed or fine-tuned copy imports with the override, which is recorded.
        await Importer().ImportSaeLensAsync(new(folder, pythia, "on pythia"), Labeler);
        var d = await Importer().ImportSaeLensAsync(new(folder, gpt2, "anyway", ImportDespiteModelMismatch: true), Labeler);
        var note = ImportInfo.Parse(d.TrainingConfigJson)!.ModelMismatch;
        Assert.NotNull(note);
        Assert.StartsWith("Imported anyway: the model differs.", note);
        Assert.Contains("'pythia-70m'", note);
    }

    [Fact]
    public async Task A_release_with_a_dictionary_for_another_model_writes_nothing()
    {
        var gpt2 = SaveModel("hub-gpt2", "gpt2");
        var release = Path.Combine(_root, "release");
        Directory.CreateDirectory(release);
        SaveSae(Path.Combine("release", "a"), "gpt2");
        SaveSae(Path.Combine("release", "b"), "gemma-2-2b");
        var before = await DictionaryCount();
        var refused = await Assert.ThrowsAsync<ImportValidationException>(() => Importer().ImportReleaseAsync(new(release, gpt2), Labeler));
        Assert.Contains(refused.Errors, e => e.Contains("trained on model 'gemma-2-2b'"));
        Assert.Equal(before, await DictionaryCount());
        var factor = await Assert.ThrowsAsync<ImportValidationException>(() => Importer().ImportReleaseAsync(new(release, gpt2, NormScalingFactor: 2), Labeler));
        Assert.Contains(factor.Errors, e => e.StartsWith("Norm scaling factor: each of the 2 dictionaries", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_release_job_takes_the_options_by_their_API_names_and_stores_them_with_every_member()
    {
        var release = Path.Combine(_root, "centred-release");
        SaveSae(Path.Combine("centred-release", "a"));
        SaveSae(Path.Combine("centred-release", "b"));
        var json = System.Text.Json.JsonSerializer.Serialize(new { saeFolder = release, modelFolder = _model, centreWritingWeights = true, importDespiteModelMismatch = true });
        using var parameters = System.Text.Json.JsonDocument.Parse(json);
        Assert.Empty(new DictionaryImportJob().Validate(parameters.RootElement));
        var request = System.Text.Json.JsonSerializer.Deserialize<SaeImportRequest>(parameters.RootElement,
            new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
        Assert.Equal(new SaeImportRequest(release, _model, null, true, null, true), request);

        var imported = await Importer().ImportReleaseAsync(request, Labeler);
        Assert.Equal(2, imported.Count);
        Assert.All(imported, d => Assert.True(RegisteredSae.OptionsOf(d).CentreWritingWeights));
    }
}
