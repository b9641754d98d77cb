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

/// <summary>A dictionary trained here and written as a SAELens folder comes back through the importer with its metrics and dead latents.</summary>
public sealed class SaeLensRoundTripTests : IAsyncLifetime
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

    [Fact]
    public async Task A_trained_dictionary_saved_as_SAELens_imports_back_with_its_final_metrics_and_dead_latents()
    {
        var folder = Path.Combine(_root, "trained");
        double[] density = [0, 0.5, 0.01, 0.002, 0, 0.25];
        using (var scope = NewDisposeScope())
        {
            using var gen = new Generator().manual_seed(4);
            var sae = new SparseAutoencoder(SaeArchitecture.TopK, 2, randn(new long[] { 8, 6 }, generator: gen), randn(new long[] { 6 }, generator: gen),
                randn(new long[] { 6, 8 }, generator: gen), zeros(8));
            var metrics = new SaeMetrics(8192, 2, 0.4, 0.2, 0.9, 0.93, density.Select(d => (float)d).ToArray());
            var result = new SaeTrainingResult(sae, 1.5, 10, 40_960, new SaeTrainingProgress(10, 10, 40_960, 1, 1, 0, 0, 2, 0.2, 0, 0, 0));
            SaeDictionaryExport.Save(folder, result, new SaeTrainingConfig { Latents = 6, K = 2 },
                new SaeLensMetadata { ModelName = "tiny", HookName = Hook, ContextSize = 16 }, metrics);
            sae.Dispose();
        }

        var importer = new DictionaryImporter(new DictionaryRegistry(_db), new ServerPathPolicy(new WorkbenchPaths(_db.Folder, Path.Combine(_db.Folder, "data")), new WorkbenchSettings()));
        var d = await importer.ImportSaeLensAsync(new SaeImportRequest(folder, _model, "back"), Labeler);

        var stored = JsonNode.Parse(d.MetricsJson)!;
        Assert.Equal(0.2, stored["fvu"]!.GetValue<double>());
        Assert.Equal(2, stored["l0"]!.GetValue<double>());
        Assert.Equal(2.0 / 6, stored["dead_fraction"]!.GetValue<double>(), 9);
        await using var ctx = _db.CreateDbContext();
        var latents = await ctx.Latents.Where(l => l.DictionaryId == d.Id).OrderBy(l => l.Index).ToListAsync();
        Assert.Equal([true, false, false, false, true, false], latents.Select(l => l.IsDead));
        for (var i = 0; i < density.Length; i++) Assert.Equal(density[i], latents[i].Density!.Value, 6);
    }
}
