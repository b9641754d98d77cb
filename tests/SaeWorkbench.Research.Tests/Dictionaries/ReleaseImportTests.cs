using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Research.Tests.Analysis;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Dictionaries;

/// <summary>Published dictionaries and whole releases import from the server's disk; a refused member writes nothing.</summary>
public sealed class ReleaseImportTests : IAsyncLifetime
{
    private static readonly Actor Labeler = new("u1", "lena", Role.Labeler);
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Formats", "Fixtures");
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
        // A 12-wide, 4-layer GPT-2: the fixtures read 12-wide hooks up to blocks.3.
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat", "a dog ran"], 270);
        manual_seed(3);
        using var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 16, 12, 4, 2, BosTokenId: tokenizer.EndOfTextId));
        _model = Path.Combine(_root, "model");
        HuggingFaceGpt2.Save(model, _model, tokenizer);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private DictionaryImporter Importer() =>
        new(new DictionaryRegistry(_db), new ServerPathPolicy(new WorkbenchPaths(_db.Folder, Path.Combine(_db.Folder, "data")), new WorkbenchSettings()));

    private string CopyFixture(string relative, string to)
    {
        var source = Path.Combine(Fixtures, relative);
        var target = Path.Combine(_root, to);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
        return target;
    }

    private async Task<int> DictionaryCount()
    {
        await using var ctx = _db.CreateDbContext();
        return await ctx.Dictionaries.CountAsync();
    }

    [Fact]
    public async Task A_release_imports_every_member_in_one_job_with_progress_and_groups_them()
    {
        // A sparsify run folder: one SAE per layer, named by the Hugging Face module.
        var release = CopyFixture("sparsify-run", "pythia-saes");
        Directory.Delete(Path.Combine(release, "layers.3.mlp"), recursive: true);   // GPT-2 here has no ln2 hook for the transcoder
        CopyFixture(Path.Combine("sparsify-run", "layers.3"), Path.Combine("pythia-saes", "layers.1"));
        var before = await DictionaryCount();
        var reports = new List<(double Fraction, string Message)>();
        var imported = await Importer().ImportReleaseAsync(new SaeImportRequest(release, _model), Labeler, new SyncProgress(reports.Add));

        Assert.Equal(2, imported.Count);
        Assert.Equal(before + 2, await DictionaryCount());
        Assert.Equal(["pythia-saes / layers.1", "pythia-saes / layers.3"], imported.Select(d => d.Name).Order(StringComparer.Ordinal));
        var infos = imported.Select(d => ImportInfo.Parse(d.TrainingConfigJson)!).ToList();
        Assert.All(infos, i => Assert.Equal("pythia-saes", i.Release));
        Assert.All(infos, i => Assert.Equal(SaeFormatNames.Sparsify, i.Format));
        Assert.All(infos, i => Assert.Equal(5, i.PublishedL0));   // k of a TopK dictionary
        Assert.Equal(["blocks.1.hook_resid_post", "blocks.3.hook_resid_post"], imported.Select(d => d.HookName).Order(StringComparer.Ordinal));
        Assert.Equal(1, reports[^1].Fraction);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.Fraction <= p.Second.Fraction), "progress only moves forward");
        Assert.Contains(reports, r => r.Message.Contains("importing 2/2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_release_with_one_refused_member_writes_nothing_and_names_the_file_and_field()
    {
        var release = CopyFixture("sparsify-run", "broken-release");
        var weights = Path.Combine(release, "layers.3.mlp", "sae.safetensors");
        var tensors = Safetensors.Load(weights);
        tensors["b_dec"] = tensors["b_dec"].clone().index_put_(float.NaN, 0);
        Safetensors.Save(weights, tensors);
        foreach (var t in tensors.Values) t.Dispose();
        var before = await DictionaryCount();

        var e = await Assert.ThrowsAsync<ImportValidationException>(() => Importer().ImportReleaseAsync(new SaeImportRequest(release, _model), Labeler));

        var message = Assert.Single(e.Errors);
        Assert.Contains("sae.safetensors", message);
        Assert.Contains("b_dec", message);
        Assert.Contains("NaN", message);
        Assert.Equal(before, await DictionaryCount());
    }

    [Fact]
    public async Task A_Gemma_Scope_folder_imports_with_what_was_transformed_and_its_published_L0()
    {
        var folder = CopyFixture("gemma-scope-2b-pt-res", "gemma-scope-2b-pt-res");
        var d = await Importer().ImportSaeLensAsync(new SaeImportRequest(Path.Combine(folder, "layer_3", "width_16k", "average_l0_12"), _model), Labeler);

        Assert.Equal("blocks.3.hook_resid_post", d.HookName);
        Assert.Equal("jumprelu", d.Architecture);
        var info = ImportInfo.Parse(d.TrainingConfigJson)!;
        Assert.Equal(SaeFormatNames.GemmaScope1, info.Format);
        Assert.Equal(12, info.PublishedL0);
        Assert.Null(info.Release);
        Assert.Contains(info.Transforms, t => t.Contains("not subtracted", StringComparison.Ordinal));
        Assert.Equal(DictionaryRegistry.Sha256Of(Path.Combine(folder, "layer_3", "width_16k", "average_l0_12", "params.npz")), d.WeightsSha256);
    }

    [Fact]
    public async Task A_dictionary_for_another_width_is_refused_with_the_hooks_that_would_fit()
    {
        var folder = CopyFixture("llama-scope", "llama");
        var before = await DictionaryCount();
        var e = await Assert.ThrowsAsync<ImportValidationException>(() =>
            Importer().ImportSaeLensAsync(new SaeImportRequest(Path.Combine(folder, "Llama3_1-8B-Base-L5R-8x"), _model), Labeler));
        // blocks.5 does not exist in a 4-layer model; the 12-wide hooks are the valid choices.
        Assert.Contains(e.Errors, m => m.Contains("'blocks.5.hook_resid_post' of the SAE is not a hook", StringComparison.Ordinal)
                                       && m.Contains("Hooks of width 12: hook_embed", StringComparison.Ordinal));
        Assert.Equal(before, await DictionaryCount());
    }

    [Fact]
    public void The_release_job_checks_its_parameters()
    {
        var job = new DictionaryImportJob();
        Assert.Empty(job.Validate(JsonDocument.Parse("""{"saeFolder":"a","modelFolder":"b"}""").RootElement));
        Assert.Equal(2, job.Validate(JsonDocument.Parse("""{"saeFolder":"","modelFolder":" "}""").RootElement).Count);
    }

    private sealed class SyncProgress(Action<(double, string)> report) : IProgress<(double Fraction, string Message)>
    {
        public void Report((double Fraction, string Message) value) => report(value);
    }
}
