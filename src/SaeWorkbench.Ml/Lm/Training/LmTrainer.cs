using System.Diagnostics;
using System.Text.Json;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm.Training;

/// <summary>
/// Trains a GPT-2-architecture model with AdamW, warm-up + cosine learning rate and gradient clipping.
/// Checkpoints (model, optimiser state, step, options) go to <c>{output}/checkpoint</c>; calling
/// <see cref="Train"/> again with the same options resumes from there and reaches the same weights as an
/// uninterrupted run, because the window order is a pure function of the seed and the step. The final
/// model is written to <c>{output}</c> in the Hugging Face layout with the tokenizer.
/// </summary>
public static class LmTrainer
{
    public const string CheckpointFolder = "checkpoint";
    private const string StateFile = "trainer_state.json";
    private const string OptimizerFile = "optimizer.bin";

    public static LmTrainingResult Train(LmTrainingData data, Gpt2Tokenizer tokenizer, LmTrainingOptions options,
        string outputFolder, IProgress<LmTrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        var config = options.Model with { VocabSize = tokenizer.VocabSize, BosTokenId = tokenizer.EndOfTextId };
        if (data.WindowLength != config.ContextLength + 1)
            throw new ArgumentException($"Windows must be context + 1 = {config.ContextLength + 1} tokens, got {data.WindowLength}");
        options = options with { Model = config };
        Directory.CreateDirectory(outputFolder);
        var checkpoint = Path.Combine(outputFolder, CheckpointFolder);

        using var model = new Gpt2Model(config);
        InitialiseWeights(model, options.Seed);
        var parameters = model.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, options.LearningRate, Beta1, Beta2, Epsilon, options.WeightDecay);

        var state = new TrainerState(0, 0, 0, double.NaN, double.NaN, JsonSerializer.Serialize(options));
        var resumed = false;
        if (TryLoadCheckpoint(checkpoint, model, optimizer) is { } saved)
        {
            if (saved.OptionsJson != state.OptionsJson)
                throw new InvalidOperationException(
                    $"{Path.Combine(checkpoint, StateFile)}: the checkpoint was written with different options; " +
                    $"use another output folder or the same options.\nCheckpoint: {saved.OptionsJson}\nNow: {state.OptionsJson}");
            state = saved;
            resumed = true;
        }

        var order = new WindowOrder(data.TrainWindows, options.Seed);
        var clock = Stopwatch.StartNew();
        var elapsedBefore = TimeSpan.FromSeconds(state.ElapsedSeconds);
        var lastLoss = state.LastTrainLoss;
        var lastValidation = state.LastValidationLoss;
        var tokensSeen = state.TokensSeen;
        var tokensPerStep = (long)options.BatchSize * config.ContextLength;
        var rateClock = Stopwatch.StartNew();
        model.train();
        for (var step = state.Step; step < options.Steps; step++)
        {
            if (cancellation.IsCancellationRequested)
            {
                SaveCheckpoint(checkpoint, model, optimizer, state with { Step = step, TokensSeen = tokensSeen,
                    ElapsedSeconds = (elapsedBefore + clock.Elapsed).TotalSeconds, LastTrainLoss = lastLoss, LastValidationLoss = lastValidation });
                cancellation.ThrowIfCancellationRequested();
            }
            using (var scope = NewDisposeScope())
            {
                var lr = LearningRateSchedule.At(step, options);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                using var batch = Batch(data.Train, data.WindowLength, order.Windows(step, options.BatchSize));
                var inputs = batch[.., ..^1];                                    // [batch, context]
                var targets = batch[.., 1..];                                     // [batch, context]
                var logits = model.Forward(inputs);                              // [batch, context, vocab]
                var loss = nn.functional.cross_entropy(logits.reshape(-1, config.VocabSize), targets.reshape(-1));
                optimizer.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, options.GradientClip);
                ExplicitScalarAdamW.Step(optimizer);
                lastLoss = loss.item<float>();
                tokensSeen += tokensPerStep;

                double? validation = null;
                if ((step + 1) % options.EvalEvery == 0 || step + 1 == options.Steps)
                {
                    validation = lastValidation = ValidationLoss(model, data, options.EvalWindows);
                    model.train();
                }
                var rate = tokensPerStep / Math.Max(1e-9, rateClock.Elapsed.TotalSeconds);
                rateClock.Restart();
                progress?.Report(new LmTrainingProgress(step + 1, options.Steps, lastLoss, validation, lr, rate,
                    tokensSeen, elapsedBefore + clock.Elapsed));
            }
            if ((step + 1) % options.CheckpointEvery == 0 && step + 1 < options.Steps)
                SaveCheckpoint(checkpoint, model, optimizer, state with { Step = step + 1, TokensSeen = tokensSeen,
                    ElapsedSeconds = (elapsedBefore + clock.Elapsed).TotalSeconds, LastTrainLoss = lastLoss, LastValidationLoss = lastValidation });
        }

        // The reported loss covers every validation window, the same targets as the n-gram baselines.
        lastValidation = ValidationLoss(model, data);
        var wall = elapsedBefore + clock.Elapsed;
        SaveCheckpoint(checkpoint, model, optimizer, state with { Step = options.Steps, TokensSeen = tokensSeen,
            ElapsedSeconds = wall.TotalSeconds, LastTrainLoss = lastLoss, LastValidationLoss = lastValidation });
        HuggingFaceGpt2.Save(model, outputFolder, tokenizer);
        return new LmTrainingResult(options.Steps, tokensSeen, wall, lastLoss, lastValidation,
            data.TrainWindows, data.ValidationWindows, resumed);
    }

    /// <summary>Mean next-token cross-entropy (nats/token) over the first <paramref name="maxWindows"/> windows.</summary>
    public static double ValidationLoss(IHookedLanguageModel model, LmTrainingData data, int maxWindows = int.MaxValue, int batchSize = 16)
    {
        if (model is nn.Module module) module.eval();
        using var noGrad = no_grad();
        var windows = Math.Min(maxWindows, data.ValidationWindows);
        double total = 0;
        long count = 0;
        for (var start = 0; start < windows; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var indices = Enumerable.Range(start, Math.Min(batchSize, windows - start)).ToArray();
            var batch = Batch(data.Validation, data.WindowLength, indices);
            var logits = model.Forward(batch[.., ..^1]);                          // [batch, context, vocab]
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), batch[.., 1..].reshape(-1),
                reduction: nn.Reduction.Sum);
            total += loss.item<float>();
            count += batch[.., 1..].numel();
        }
        return total / count;
    }

    /// <summary>GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/√(2 · layers) (Radford et al. 2019 §2.3).</summary>
    public static void InitialiseWeights(Gpt2Model model, int seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        using var noGrad = no_grad();
        var residualStd = 0.02 / Math.Sqrt(2.0 * model.Config.NLayers);
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.Contains(".ln_") || name.StartsWith("ln_f", StringComparison.Ordinal)) continue; // LayerNorm: 1 and 0
            if (name.EndsWith(".bias", StringComparison.Ordinal)) parameter.zero_();
            else
            {
                // randn with the generator, not nn.init.normal_: TorchSharp 0.107's normal_ ignores its generator and draws
                // from the process-wide one, so the weights depended on whatever else in the process drew before.
                using var draw = randn(parameter.shape, generator: generator);
                using var scaled = draw.Times(name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? residualStd : 0.02);
                parameter.copy_(scaled);
            }
        }
    }

    private const double Beta1 = 0.9, Beta2 = 0.95, Epsilon = 1e-8;

    private static Tensor Batch(int[] flat, int windowLength, int[] windowIndices)
    {
        var tokens = new long[windowIndices.Length * windowLength];
        for (var b = 0; b < windowIndices.Length; b++)
            for (var t = 0; t < windowLength; t++)
                tokens[b * windowLength + t] = flat[windowIndices[b] * windowLength + t];
        return tensor(tokens, [windowIndices.Length, windowLength]);            // [batch, window]
    }

    private sealed record TrainerState(int Step, long TokensSeen, double ElapsedSeconds, double LastTrainLoss,
        double LastValidationLoss, string OptionsJson);

    private static void SaveCheckpoint(string folder, Gpt2Model model, OptimizerHelper optimizer, TrainerState state)
    {
        var temporary = folder + ".tmp";
        var previous = folder + ".old";
        if (Directory.Exists(temporary)) Directory.Delete(temporary, true);
        HuggingFaceGpt2.Save(model, temporary);
        optimizer.save_state_dict(Path.Combine(temporary, OptimizerFile));
        File.WriteAllText(Path.Combine(temporary, StateFile), JsonSerializer.Serialize(state, StateJson));
        if (Directory.Exists(previous)) Directory.Delete(previous, true);
        if (Directory.Exists(folder)) Directory.Move(folder, previous);
        Directory.Move(temporary, folder);
        if (Directory.Exists(previous)) Directory.Delete(previous, true);
    }

    private static readonly JsonSerializerOptions StateJson = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static TrainerState? TryLoadCheckpoint(string folder, Gpt2Model model, OptimizerHelper optimizer)
    {
        // A crash between the two moves of SaveCheckpoint leaves only the ".old" copy.
        if (!Directory.Exists(folder) && Directory.Exists(folder + ".old")) folder += ".old";
        var statePath = Path.Combine(folder, StateFile);
        if (!File.Exists(statePath)) return null;
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), StateJson)
                    ?? throw new InvalidOperationException($"{statePath}: empty trainer state");
        using var saved = HuggingFaceGpt2.LoadModel(folder);
        using (no_grad())
        {
            var source = saved.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in model.named_parameters()) parameter.copy_(source[name]);
        }
        optimizer.load_state_dict(Path.Combine(folder, OptimizerFile));
        return state;
    }

    /// <summary>The training windows in a fresh seeded permutation each epoch; window i of step s is fixed.</summary>
    private sealed class WindowOrder(int windows, int seed)
    {
        private int _epoch = -1;
        private int[] _permutation = [];

        public int[] Windows(int step, int batchSize)
        {
            var result = new int[batchSize];
            for (var j = 0; j < batchSize; j++)
            {
                var sample = (long)step * batchSize + j;
                var epoch = (int)(sample / windows);
                if (epoch != _epoch) Shuffle(epoch);
                result[j] = _permutation[sample % windows];
            }
            return result;
        }

        private void Shuffle(int epoch)
        {
            _epoch = epoch;
            _permutation = Enumerable.Range(0, windows).ToArray();
            new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(_permutation); // seeded Random is stable across runs
        }
    }
}
