using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Settings;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Analysis;

/// <summary>End to end on a tiny real GPT-2 folder, a random SAE saved as SAELens and a small corpus.</summary>
public class FeatureAnalysisPipelineTests
{
    private const string Hook = "blocks.0.hook_resid_post";

    private static (string Model, string Sae, string Corpus) TinyWorld(string root)
    {
        string[] sentences = ["the cat sat on the mat", "a dog ran in the park", "the sun is hot and the sea is blue"];
        var corpus = Directory.CreateDirectory(Path.Combine(root, "corpus")).FullName;
        var random = new Random(5);
        for (var f = 0; f < 3; f++)
            File.WriteAllText(Path.Combine(corpus, $"doc{f}.txt"), string.Join(". ", Enumerable.Range(0, 20).Select(_ => sentences[random.Next(3)])) + ".");
        var tokenizer = BpeTrainer.Train(sentences, 280);
        manual_seed(3);
        using var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 16, 8, 1, 2, BosTokenId: tokenizer.EndOfTextId));
        var modelFolder = Path.Combine(root, "model");
        HuggingFaceGpt2.Save(model, modelFolder, tokenizer);
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(4);
        using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 8, 6 }, generator: gen),
            randn(new long[] { 6 }, generator: gen) - 0.3, randn(new long[] { 6, 8 }, generator: gen), zeros(8));
        var saeFolder = Path.Combine(root, "sae");
        SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = Hook, ContextSize = 16 });
        return (modelFolder, saeFolder, corpus);
    }

    [Fact]
    public async Task Analysing_a_dictionary_stores_a_dashboard_per_latent_and_test_text_answers()
    {
        await using var db = await new AnalysisDatabase().InitializeAsync();
        var root = Path.Combine(db.Folder, "world");
        var (modelFolder, saeFolder, corpus) = TinyWorld(root);
        var dictionary = await new DictionaryRegistry(db).RegisterAsync(saeFolder, "tiny", modelFolder, "{}", "{}", 0, null, null);
        var store = new FeatureAnalysisStore(db);
        var reports = new List<double>();
        var outcome = FeatureAnalysisPipeline.Run(new FeatureAnalysisRequest { DictionaryId = dictionary.Id, Corpus = corpus, Tokens = 160, WindowsPerBatch = 3 },
            modelFolder, saeFolder, corpus, store, null, (p, _) => reports.Add(p), CancellationToken.None);

        Assert.Equal(6, outcome.Latents);
        Assert.Equal(10 * 15, outcome.TokensAnalysed);     // 10 windows of 16, BOS not counted
        Assert.Equal(1.0, reports[^1]);
        // The held-out metrics a training run measures, for a dictionary that has none of its own.
        Assert.InRange(outcome.Metrics["l0"]!.GetValue<double>(), 0, 6);
        Assert.True(double.IsFinite(outcome.Metrics["explained_variance"]!.GetValue<double>()));
        Assert.True(double.IsFinite(outcome.Metrics["ce_loss_recovered"]!.GetValue<double>()));
        var reader = new FeatureDashboardReader(db);
        using var loaded = HuggingFaceGpt2.Load(modelFolder);
        using var sae = SaeLensFolder.Load(saeFolder);
        using var unembedding = Unembedding.Of(loaded.Model);
        using var scope = NewDisposeScope();
        var wDec = sae.Autoencoder.WDec;                                                   // centred, as ln_f centres (docs/science.md §6)
        var direct = matmul((wDec - wDec.mean(new long[] { 1 }, keepdim: true)) * unembedding.LnScale, unembedding.WU); // [m, vocab]
        await using var ctx = db.CreateDbContext();
        for (var i = 0; i < 6; i++)
        {
            var view = await reader.GetAsync(dictionary.Id, i);
            Assert.NotNull(view);
            var latent = await ctx.Latents.SingleAsync(l => l.DictionaryId == dictionary.Id && l.Index == i);
            Assert.Equal(view.Density, latent.Density);
            Assert.Equal(view.IsDead, latent.IsDead);
            Assert.Equal(view.ActiveCount, view.Histogram.Sum());
            var best = direct[i].argmax().item<long>();
            Assert.Equal(best, view.LogitPositive[0].TokenId);
            Assert.Equal(direct[i, best].item<float>(), view.LogitPositive[0].Effect, 4);
            Assert.Equal(Math.Min(20, view.ActiveCount), view.TopExamples.Count);
        }

        var paths = new WorkbenchPaths(root, root);
        using var host = new SaeWorkbench.Research.Inference.ModelHost(SaeWorkbench.Research.Models.FixedComputeDtype.Float32);
        var testText = new TestTextService(db, paths, host, new SaeWorkbench.Research.Limits.UserRateLimiter(new SaeWorkbench.Research.Limits.RateLimits(), TimeProvider.System));
        var answer = await testText.RunAsync(dictionary.Id, "the cat sat", new TestTextOptions { Latent = 2, Count = 3 });
        Assert.Equal(loaded.Tokenizer.Encode("the cat sat").Length + 1, answer.Tokens.Count);
        Assert.All(answer.Tokens, t => Assert.NotNull(t.LatentActivation));
        var tooLong = string.Join(" ", Enumerable.Repeat("the cat sat on the mat", 10));
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => testText.RunAsync(dictionary.Id, tooLong, new TestTextOptions()));
        Assert.Contains("context of 16 tokens", refused.Message);
    }

    [Fact]
    public async Task Cancelling_an_analysis_during_its_passes_keeps_the_previous_analysis()
    {
        await using var db = await new AnalysisDatabase().InitializeAsync();
        var (modelFolder, saeFolder, corpus) = TinyWorld(Path.Combine(db.Folder, "world"));
        var dictionary = await new DictionaryRegistry(db).RegisterAsync(saeFolder, "tiny", modelFolder, "{}", "{}", 0, null, null);
        var store = new FeatureAnalysisStore(db);
        var request = new FeatureAnalysisRequest { DictionaryId = dictionary.Id, Corpus = corpus, Tokens = 96, WindowsPerBatch = 2 };
        var first = FeatureAnalysisPipeline.Run(request, modelFolder, saeFolder, corpus, store, null, (_, _) => { }, CancellationToken.None);

        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => FeatureAnalysisPipeline.Run(request with { Seed = 1 }, modelFolder, saeFolder, corpus, store, null,
            (p, _) => { if (p > 0.2) cts.Cancel(); }, cts.Token));

        await using var ctx = db.CreateDbContext();
        var analysis = Assert.Single(await ctx.LatentAnalyses.ToListAsync());
        Assert.Equal(first.AnalysisId, analysis.Id);
        Assert.True(analysis.IsCurrent);
        Assert.Equal(6, await ctx.FeatureDashboards.CountAsync(d => d.AnalysisId == first.AnalysisId));
        Assert.NotNull(await new FeatureDashboardReader(db).GetAsync(dictionary.Id, 0));
    }
}
