using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Lm.Training;

namespace SaeWorkbench.Ml.Tests.Lm;

[Collection(TorchThreadsCollection.Name)]
public sealed class LmTrainerTests : IDisposable
{
    private readonly string _dir = TinyModels.TempFolder();

    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly Gpt2Config Shape = new(VocabSize: 1, ContextLength: 16, DModel: 32, NLayers: 2, NHeads: 4);

    private (LmTrainingData Data, Gpt2Tokenizer Tokenizer) TinyCorpus()
    {
        var corpusDir = Path.Combine(_dir, "corpus");
        Directory.CreateDirectory(corpusDir);
        var sentences = new[] { "the cat sat on the mat.", "the dog sat on the log.", "a cat and a dog met on a mat." };
        for (var f = 0; f < 40; f++)
            File.WriteAllText(Path.Combine(corpusDir, $"doc{f:D2}.txt"),
                string.Join(" ", Enumerable.Range(0, 30).Select(i => sentences[(i * 7 + f) % 3])));
        var corpus = new TextCorpus(corpusDir, validationFraction: 0.2);
        var tokenizer = BpeTrainer.Train(corpus.Documents(CorpusSplit.Train).Select(d => d.Text), 300);
        return (LmTrainingData.FromCorpus(corpus, tokenizer, Shape.ContextLength + 1), tokenizer);
    }

    private static LmTrainingOptions Options(int steps) => new()
    {
        Model = Shape, Steps = steps, BatchSize = 8, LearningRate = 3e-3, WarmupSteps = 5,
        EvalEvery = 10, EvalWindows = 16, CheckpointEvery = 10, Seed = 5,
    };

    private sealed class Collect : IProgress<LmTrainingProgress>
    {
        public List<LmTrainingProgress> Reports { get; } = [];
        public Action<LmTrainingProgress>? Then { get; init; }
        public void Report(LmTrainingProgress value) { Reports.Add(value); Then?.Invoke(value); }
    }

    [Fact]
    public void Training_a_tiny_model_on_a_tiny_corpus_lowers_the_validation_loss()
    {
        var (data, tokenizer) = TinyCorpus();
        var progress = new Collect();
        var result = LmTrainer.Train(data, tokenizer, Options(60), Path.Combine(_dir, "run"), progress);
        var validation = progress.Reports.Where(r => r.ValidationLoss is not null).Select(r => r.ValidationLoss!.Value).ToList();
        Assert.True(validation[^1] < validation[0] - 0.5, $"validation loss went {string.Join(" → ", validation)}");
        Assert.True(result.ValidationLoss < Math.Log(tokenizer.VocabSize) - 1);
        Assert.Equal(60 * 8 * 16L, result.TokensSeen);
        Assert.True(progress.Reports.All(r => r.TokensPerSecond > 0));
        using var saved = HuggingFaceGpt2.Load(Path.Combine(_dir, "run"));
        Assert.Equal(tokenizer.VocabSize, saved.Model.VocabSize);
    }

    [Fact]
    public void A_run_killed_after_a_checkpoint_resumes_to_the_same_weights_as_an_uninterrupted_run()
    {
        var (data, tokenizer) = TinyCorpus();
        var whole = LmTrainer.Train(data, tokenizer, Options(30), Path.Combine(_dir, "whole"));

        // "Kill" at step 25: an exception escapes the loop, so only the step-20 checkpoint survives.
        var killed = Path.Combine(_dir, "killed");
        Assert.Throws<InvalidOperationException>(() => LmTrainer.Train(data, tokenizer, Options(30), killed,
            new Collect { Then = p => { if (p.Step == 25) throw new InvalidOperationException("killed"); } }));
        Assert.False(File.Exists(Path.Combine(killed, "model.safetensors")));
        var resumed = LmTrainer.Train(data, tokenizer, Options(30), killed);

        Assert.True(resumed.Resumed);
        Assert.Equal(whole.TokensSeen, resumed.TokensSeen);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "whole", "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(killed, "model.safetensors")));
        Assert.Equal(whole.ValidationLoss, resumed.ValidationLoss);
    }

    [Fact]
    public void A_cancelled_run_checkpoints_where_it_stopped_and_resumes_from_there()
    {
        var (data, tokenizer) = TinyCorpus();
        var whole = LmTrainer.Train(data, tokenizer, Options(24), Path.Combine(_dir, "whole"));
        using var cancel = new CancellationTokenSource();
        var folder = Path.Combine(_dir, "cancelled");
        Assert.ThrowsAny<OperationCanceledException>(() => LmTrainer.Train(data, tokenizer, Options(24), folder,
            new Collect { Then = p => { if (p.Step == 13) cancel.Cancel(); } }, cancel.Token));
        var steps = new Collect();
        LmTrainer.Train(data, tokenizer, Options(24), folder, steps);
        Assert.Equal(14, steps.Reports[0].Step);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "whole", "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
    }

    [Fact]
    public void Resuming_with_different_options_is_refused()
    {
        var (data, tokenizer) = TinyCorpus();
        var folder = Path.Combine(_dir, "run");
        LmTrainer.Train(data, tokenizer, Options(10), folder);
        var error = Assert.Throws<InvalidOperationException>(() => LmTrainer.Train(data, tokenizer, Options(10) with { Seed = 6 }, folder));
        Assert.Contains("different options", error.Message);
    }

    [Fact]
    public void The_initial_weights_are_a_function_of_the_seed_alone_whatever_else_drew_random_numbers()
    {
        static float[] Weights(int seed)
        {
            using var model = new Gpt2Model(Shape with { VocabSize = 50 });
            LmTrainer.InitialiseWeights(model, seed);
            return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        }
        var first = Weights(5);
        using (TorchSharp.torch.randn(1000)) { } // the process-wide generator moves on
        Assert.Equal(first, Weights(5));
        Assert.NotEqual(first, Weights(6));
    }

    [Fact]
    public void The_learning_rate_warms_up_linearly_then_decays_by_cosine_to_the_floor()
    {
        var options = Options(110) with { LearningRate = 1.0, WarmupSteps = 10, MinLearningRateRatio = 0.1 };
        Assert.Equal(0.1, LearningRateSchedule.At(0, options), 9);
        Assert.Equal(1.0, LearningRateSchedule.At(9, options), 9);
        Assert.Equal(0.55, LearningRateSchedule.At(60, options), 9);
        Assert.Equal(0.1, LearningRateSchedule.At(110, options), 9);
    }

    [Fact]
    public void Baselines_give_the_bigram_a_lower_loss_than_the_unigram_on_predictable_text()
    {
        int[] train = [9, 1, 2, 3, 1, 2, 3, 1, 2, 3, 9, 1, 2, 3, 1, 2, 3, 1, 2, 3];
        int[] validation = [9, 1, 2, 3, 1, 2, 3, 1, 2, 3];
        var baselines = NgramBaselines.Compute(train, validation, 10, 10);
        Assert.True(baselines.Bigram < baselines.Unigram - 0.5, $"{baselines}");
        Assert.Equal(18, baselines.TrainTargets);
        Assert.Equal(9, baselines.ValidationTargets);
        // Add-one unigram: token 1 seen 6 times of 18, so p = 7/28 on a vocabulary of 10.
        var expectedUnigram = -(3 * Math.Log(7.0 / 28) + 3 * Math.Log(7.0 / 28) + 3 * Math.Log(7.0 / 28)) / 9;
        Assert.Equal(expectedUnigram, baselines.Unigram, 9);
    }
}
