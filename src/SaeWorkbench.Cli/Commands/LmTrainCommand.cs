using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Lm.Training;

namespace SaeWorkbench.Cli.Commands;

public static partial class LmCommands
{
    /// <summary>Name of the run summary written next to the trained model.</summary>
    public const string SummaryFile = "training_summary.json";

    private static Command Train()
    {
        var corpus = new Option<string>("--corpus") { Description = "Corpus folder (.txt / .jsonl).", Required = true };
        var output = new Option<string>("--out") { Description = "Output folder: model, tokenizer, checkpoint. Re-running resumes.", Required = true };
        var tokenizerDir = new Option<string?>("--tokenizer") { Description = "Folder with vocab.json + merges.txt; without it a BPE tokenizer is trained on the training split." };
        var vocabSize = new Option<int>("--vocab-size") { Description = "BPE vocabulary size when training a tokenizer.", DefaultValueFactory = _ => 8192 };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 4 };
        var dModel = new Option<int>("--d-model") { DefaultValueFactory = _ => 256 };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 8 };
        var context = new Option<int>("--context") { DefaultValueFactory = _ => 128 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 2000 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 16 };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 1e-3 };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 100 };
        var evalEvery = new Option<int>("--eval-every") { DefaultValueFactory = _ => 100 };
        var evalWindows = new Option<int>("--eval-windows") { DefaultValueFactory = _ => 256 };
        var checkpointEvery = new Option<int>("--checkpoint-every") { DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1234 };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads (0: library default).", DefaultValueFactory = _ => 0 };
        var json = JsonOption();
        var command = new Command("train", "Train a GPT-2-architecture model on a corpus (AdamW, warm-up + cosine, resumable).")
        {
            corpus, output, tokenizerDir, vocabSize, layers, dModel, heads, context, steps, batch, lr, warmup,
            evalEvery, evalWindows, checkpointEvery, seed, threads, json,
        };
        command.SetAction(async (parse, cancellation) => await GuardedAsync(() =>
        {
            var quiet = parse.GetValue(json);
            void Say(string line) { if (!quiet) Console.WriteLine(line); }
            if (parse.GetValue(threads) > 0) TorchSharp.torch.set_num_threads(parse.GetValue(threads));
            var outFolder = parse.GetValue(output)!;
            Directory.CreateDirectory(outFolder);
            var textCorpus = new TextCorpus(parse.GetValue(corpus)!);
            var clock = Stopwatch.StartNew();

            Gpt2Tokenizer tokenizer;
            if (parse.GetValue(tokenizerDir) is { } dir) tokenizer = Gpt2Tokenizer.Load(dir);
            else if (Gpt2Tokenizer.ExistsIn(outFolder)) tokenizer = Gpt2Tokenizer.Load(outFolder);
            else
            {
                Say($"training a {parse.GetValue(vocabSize)}-token BPE on the training split");
                tokenizer = BpeTrainer.Train(textCorpus.Documents(CorpusSplit.Train).Select(d => d.Text), parse.GetValue(vocabSize),
                    quiet ? null : new SynchronousProgress<string>(Console.WriteLine));
                tokenizer.Save(outFolder);
                Say($"tokenizer: {tokenizer.VocabSize} tokens ({Elapsed(clock)})");
            }

            var options = new LmTrainingOptions
            {
                Model = new Gpt2Config(tokenizer.VocabSize, parse.GetValue(context), parse.GetValue(dModel), parse.GetValue(layers),
                    parse.GetValue(heads), BosTokenId: tokenizer.EndOfTextId),
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                WarmupSteps = parse.GetValue(warmup),
                EvalEvery = parse.GetValue(evalEvery),
                EvalWindows = parse.GetValue(evalWindows),
                CheckpointEvery = parse.GetValue(checkpointEvery),
                Seed = parse.GetValue(seed),
            };
            var data = LmTrainingData.FromCorpus(textCorpus, tokenizer, options.Model.ContextLength + 1);
            foreach (var s in textCorpus.Skipped) Say($"skipped {s.RelativePath}: {s.Reason}");
            Say($"{data.TrainWindows} training windows, {data.ValidationWindows} validation windows of {data.WindowLength} tokens ({Elapsed(clock)})");
            var baselines = NgramBaselines.Compute(data.Train, data.Validation, data.WindowLength, tokenizer.VocabSize);
            Say($"baselines on the validation split: unigram {baselines.Unigram:F4}, bigram {baselines.Bigram:F4} nats/token");

            var progress = new SynchronousProgress<LmTrainingProgress>(p =>
            {
                if (quiet || (p.ValidationLoss is null && p.Step % 10 != 0)) return;
                Console.WriteLine($"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4}" +
                                  (p.ValidationLoss is { } v ? $" val {v:F4}" : "") +
                                  $" lr {p.LearningRate:E2} {p.TokensPerSecond:F0} tok/s {p.Elapsed:hh\\:mm\\:ss}");
            });
            var result = LmTrainer.Train(data, tokenizer, options, outFolder, progress, cancellation);
            var summary = new
            {
                corpus = Path.GetFullPath(textCorpus.Folder),
                options,
                result,
                validation_loss = result.ValidationLoss,
                unigram_loss = baselines.Unigram,
                bigram_loss = baselines.Bigram,
                baseline_smoothing = "unigram add-one; bigram Witten-Bell interpolated with that unigram",
                validation_targets = baselines.ValidationTargets,
                skipped = textCorpus.Skipped,
            };
            File.WriteAllText(Path.Combine(outFolder, SummaryFile), JsonSerializer.Serialize(summary, Json));
            File.WriteAllText(Path.Combine(outFolder, "MODEL_CARD.md"),
                ModelCard(textCorpus, options, result, baselines, Environment.GetCommandLineArgs().Skip(1)));
            if (quiet) Console.WriteLine(JsonSerializer.Serialize(summary, Json));
            else Console.WriteLine($"done: val loss {result.ValidationLoss:F4} (unigram {baselines.Unigram:F4}, bigram {baselines.Bigram:F4}), " +
                                   $"{result.TokensSeen:N0} tokens, {result.WallTime:hh\\:mm\\:ss}; model in {outFolder}");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static string ModelCard(TextCorpus corpus, LmTrainingOptions options, LmTrainingResult result,
        NgramBaselineLosses baselines, IEnumerable<string> commandLine)
    {
        var m = options.Model;
        var meetsBar = result.ValidationLoss <= baselines.Unigram - 1.0 && result.ValidationLoss < baselines.Bigram;
        var source = Path.Combine(corpus.Folder, "SOURCE.json");
        return $"""
            # GPT-2-architecture model trained by SaeWorkbench

            | | |
            |---|---|
            | Architecture | GPT-2: {m.NLayers} layers, d_model {m.DModel}, {m.NHeads} heads, context {m.ContextLength}, gelu_new, tied unembedding |
            | Vocabulary | {m.VocabSize} byte-level BPE tokens (trained on the training split), `<|endoftext|>` = {m.BosTokenId} as BOS/EOS |
            | Corpus | `{Path.GetFileName(Path.GetFullPath(corpus.Folder))}`{(File.Exists(source) ? ": " + File.ReadAllText(source).ReplaceLineEndings(" ") : "")} |
            | Split | files by SHA-256 of their relative path, {options.ValidationFraction:P0} validation: {result.TrainWindows} train / {result.ValidationWindows} validation windows of {m.ContextLength + 1} tokens |
            | Optimiser | AdamW (β 0.9/0.95, weight decay {options.WeightDecay}), peak lr {options.LearningRate}, {options.WarmupSteps} warm-up steps, cosine to {options.MinLearningRateRatio}×, grad clip {options.GradientClip} |
            | Steps × batch | {result.Steps} × {options.BatchSize} windows |
            | Seed | {options.Seed} |
            | Tokens seen | {result.TokensSeen:N0} |
            | Wall time | {result.WallTime:hh\:mm\:ss} |
            | Validation loss | **{result.ValidationLoss:F4}** nats/token on all {result.ValidationWindows} validation windows |
            | Unigram baseline | {baselines.Unigram:F4} (add-one smoothing, fitted on the training split) |
            | Bigram baseline | {baselines.Bigram:F4} (Witten-Bell, interpolated with the unigram) |
            | Bar (≥ 1.0 below unigram and below bigram) | {(meetsBar ? "met" : "NOT met")} |

            Reproduce: `scripts/train-demo-model.sh` (this run: `sae {string.Join(' ', commandLine)}`).
            The model and both baselines are scored on the same targets; `lm eval` recomputes all three numbers.
            """;
    }

    /// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
