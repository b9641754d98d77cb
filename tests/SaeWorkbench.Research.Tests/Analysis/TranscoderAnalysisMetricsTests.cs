using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Dictionaries;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Analysis;

/// <summary>
/// The analysis job's held-out metrics of a transcoder (docs/science.md §4, §12) are measured on what it predicts: FVU
/// against the output hook's activations, and ŷ spliced in at the output hook for CE and KL. The transcoders here read
/// a tiny GPT-2's MLP hidden activations (mlp.hook_post, 64 wide) and write its MLP output (hook_mlp_out, 16 wide),
/// which is linear in them, so a transcoder can reproduce it exactly and every metric is known by hand.
/// </summary>
public sealed class TranscoderAnalysisMetricsTests
{
    private const string In = "blocks.0.mlp.hook_post";
    private const string Out = "blocks.0.hook_mlp_out";
    private const int Context = 16;

    /// <summary>A tiny GPT-2 (d_model 16, d_mlp 64) whose first MLP's output is scaled up so zeroing it moves CE clearly.</summary>
    private static (string Model, string Corpus) TinyWorld(string root)
    {
        string[] sentences = ["the cat sat on the mat", "a dog ran in the park", "the sun is hot and the sea is blue"];
        var corpus = Directory.CreateDirectory(Path.Combine(root, "corpus")).FullName;
        var random = new Random(5);
        for (var f = 0; f < 3; f++)
            File.WriteAllText(Path.Combine(corpus, $"doc{f}.txt"), string.Join(". ", Enumerable.Range(0, 20).Select(_ => sentences[random.Next(3)])) + ".");
        var tokenizer = BpeTrainer.Train(sentences, 280);
        manual_seed(3);
        using var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, Context, 16, 1, 2, BosTokenId: tokenizer.EndOfTextId));
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("h.0.mlp.c_proj.", StringComparison.Ordinal)) p.mul_(8);
        var folder = Path.Combine(root, "model");
        HuggingFaceGpt2.Save(model, folder, tokenizer);
        return (folder, corpus);
    }

    /// <summary>
    /// Latents ReLU(h) and ReLU(−h) of the MLP's hidden activations h, decoded by ±W_proj plus b_proj: exactly the MLP's
    /// output h·W_proj + b_proj, and every hidden unit (GELU is non-zero almost everywhere) fires one latent of its pair.
    /// </summary>
    private static SparseAutoencoder ExactTranscoder(string modelFolder)
    {
        var weights = Safetensors.Load(Path.Combine(modelFolder, HuggingFaceGpt2.WeightsFile));
        try
        {
            using var scope = NewDisposeScope();
            var wProj = weights["h.0.mlp.c_proj.weight"];                                      // Conv1D [d_mlp 64, d_model 16]
            var eye64 = eye(64);
            return new SparseAutoencoder(SaeArchitecture.Relu, 0, cat([eye64, -eye64], 1), zeros(128), cat([wProj, -wProj], 0),
                weights["h.0.mlp.c_proj.bias"].clone(), form: new SaeForm { ApplyBDecToInput = false, Transcoder = true });
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    private static SparseAutoencoder ZeroTranscoder() =>
        new(SaeArchitecture.Relu, 0, zeros(64, 8), zeros(8), zeros(8, 16), zeros(16), form: new SaeForm { ApplyBDecToInput = false, Transcoder = true });

    /// <summary>
    /// The same ReLU transcoder as a Gemma Scope 2 folder (docs/science.md §11): JumpReLU with threshold 0 is ReLU, the
    /// output hook named by its Hugging Face module (GPT-2's <c>transformer.h.0.mlp</c>).
    /// </summary>
    private static void SaveAsGemmaScope2(string folder, SparseAutoencoder transcoder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), new JsonObject
        {
            ["hf_hook_point_in"] = In, ["hf_hook_point_out"] = "transformer.h.0.mlp", ["width"] = transcoder.DSae,
            ["model_name"] = "tiny", ["architecture"] = "jump_relu", ["type"] = "transcoder",
        }.ToJsonString());
        using var scope = NewDisposeScope();
        Safetensors.Save(Path.Combine(folder, "params.safetensors"), new Dictionary<string, Tensor>
        {
            ["w_enc"] = transcoder.WEnc, ["w_dec"] = transcoder.WDec, ["b_enc"] = transcoder.BEnc, ["b_dec"] = transcoder.BDec,
            ["threshold"] = zeros(transcoder.DSae),
        });
    }

    private static async Task<JsonObject> AnalyseAsync(AnalysisDatabase db, string modelFolder, string corpus, SparseAutoencoder transcoder, string name,
        string format = SaeFormatNames.SaeLens)
    {
        var folder = Path.Combine(db.Folder, name);
        if (format == SaeFormatNames.GemmaScope2) SaveAsGemmaScope2(folder, transcoder);
        else SaeLensFolder.Save(folder, transcoder, new SaeLensMetadata { ModelName = "tiny", HookName = In, HookNameOut = Out, ContextSize = Context });
        using (var read = SaeFolders.Load(folder))
        {
            Assert.Equal(format, read.Format);
            Assert.Equal(Out, read.Metadata.HookNameOut);
        }
        var dictionary = await new DictionaryRegistry(db).RegisterAsync(folder, name, modelFolder, "{}", "{}", 0, null, null);
        var outcome = FeatureAnalysisPipeline.Run(new FeatureAnalysisRequest { DictionaryId = dictionary.Id, Corpus = corpus, Tokens = 160, WindowsPerBatch = 3 },
            modelFolder, folder, corpus, new FeatureAnalysisStore(db), null, (_, _) => { }, CancellationToken.None);
        Assert.Equal(transcoder.DSae, outcome.Latents);
        return outcome.Metrics;
    }

    private static double Metric(JsonObject metrics, string key) => metrics[key]!.GetValue<double>();

    /// <summary>
    /// CE by hand over the held-out windows the metrics use (the first 64 of the shuffled validation split), with the output hook
    /// replaced by <paramref name="replace"/> at every non-BOS position (none: the clean model); BOS inputs are not scored.
    /// </summary>
    private static double CrossEntropyByHand(string modelFolder, string corpusFolder, Func<Tensor, Tensor>? replace)
    {
        using var loaded = HuggingFaceGpt2.Load(modelFolder);
        var corpus = new TextCorpus(corpusFolder);
        // The evaluation's held-out windows are shuffled with the request's seed (docs/science.md §4).
        var windows = WindowOrder.HeldOutWindows(corpus, loaded.Tokenizer, Context, new FeatureAnalysisRequest().Seed).Take(64).ToList();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = tensor(windows.SelectMany(w => w.Select(t => (long)t)).ToArray(), new long[] { windows.Count, Context });
        var bos = tokens.eq(loaded.Model.BosTokenId).unsqueeze(-1);
        Tensor logits;
        using (replace is null ? null : loaded.Model.AddHook(Out, a => where(bos, a, replace(a))))
            logits = loaded.Model.Forward(tokens);
        var logp = logits[.., ..^1].to(float64).log_softmax(-1);
        var nll = -logp.gather(-1, tokens[.., 1..].unsqueeze(-1)).squeeze(-1);
        var scored = tokens[.., ..^1].ne(loaded.Model.BosTokenId).to(float64);
        return ((nll * scored).sum() / scored.sum()).item<double>();
    }

    [Theory]
    [InlineData(SaeFormatNames.SaeLens)]
    [InlineData(SaeFormatNames.GemmaScope2)]
    public async Task A_transcoder_that_reproduces_the_output_hook_exactly_has_fvu_0_and_recovers_all_of_the_ce_loss(string format)
    {
        await using var db = await new AnalysisDatabase().InitializeAsync();
        var (modelFolder, corpus) = TinyWorld(Path.Combine(db.Folder, "world"));
        using var exact = ExactTranscoder(modelFolder);
        var metrics = await AnalyseAsync(db, modelFolder, corpus, exact, "exact", format);

        // ŷ = y up to float rounding: nothing unexplained, the spliced model is the clean model.
        Assert.InRange(Metric(metrics, "fvu"), 0, 1e-9);
        Assert.InRange(Metric(metrics, "explained_variance"), 1 - 1e-9, 1);
        Assert.Equal(Metric(metrics, "ce_clean"), Metric(metrics, "ce_sae"), 1e-5);
        Assert.InRange(Metric(metrics, "kl"), -1e-7, 1e-7);
        Assert.Equal(1, Metric(metrics, "ce_loss_recovered"), 1e-4);
        // Each of the 64 hidden units fires exactly one latent of its ± pair.
        Assert.Equal(64, Metric(metrics, "l0"), 0.01);
        // The references by hand: the clean model, and zeros in place of the MLP's output (not of its input).
        var clean = CrossEntropyByHand(modelFolder, corpus, null);
        var zero = CrossEntropyByHand(modelFolder, corpus, a => zeros_like(a));
        Assert.Equal(clean, Metric(metrics, "ce_clean"), 1e-5);
        Assert.Equal(zero, Metric(metrics, "ce_zero"), 1e-5);
        Assert.True(zero - clean > 0.05, $"zeroing the MLP output moves CE by {zero - clean} only: the test would prove little");
    }

    [Fact]
    public async Task A_zero_transcoder_gives_the_zero_ablation_ce_and_recovers_none_of_it()
    {
        await using var db = await new AnalysisDatabase().InitializeAsync();
        var (modelFolder, corpus) = TinyWorld(Path.Combine(db.Folder, "world"));
        using var zero = ZeroTranscoder();
        var metrics = await AnalyseAsync(db, modelFolder, corpus, zero, "zero");

        var zeroByHand = CrossEntropyByHand(modelFolder, corpus, a => zeros_like(a));
        Assert.Equal(zeroByHand, Metric(metrics, "ce_sae"), 1e-5);
        Assert.Equal(zeroByHand, Metric(metrics, "ce_zero"), 1e-5);
        Assert.Equal(0, Metric(metrics, "ce_loss_recovered"), 1e-9);
        Assert.Equal(0, Metric(metrics, "l0"));
        // ŷ = 0 leaves all of Σ‖y‖² unexplained, which is more than the variance about the mean: FVU > 1.
        Assert.True(Metric(metrics, "fvu") > 1, $"FVU {Metric(metrics, "fvu")}");
    }
}
