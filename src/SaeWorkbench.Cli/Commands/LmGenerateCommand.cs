using System.CommandLine;
using System.Text.Json;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Generation;

namespace SaeWorkbench.Cli.Commands;

public static partial class LmCommands
{
    private static Command Generate()
    {
        var modelDir = ModelDirArgument();
        var prompts = new Option<string[]>("--prompt") { Description = "Prompt text; repeat for a batch.", Required = true, AllowMultipleArgumentsPerToken = false };
        var seed = new Option<long?>("--seed") { Description = "Sampling seed; the same seed gives the same text." };
        var maxTokens = new Option<int>("--max-tokens") { DefaultValueFactory = _ => 64 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy.", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int>("--top-k") { DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { DefaultValueFactory = _ => 1.0 };
        var stops = new Option<string[]>("--stop") { Description = "Stop sequence; repeatable." };
        var noCache = new Option<bool>("--no-kv-cache") { Description = "Recompute every position at every step." };
        var json = JsonOption();
        var command = new Command("generate", "Sample a continuation of one or more prompts (streamed).")
            { modelDir, prompts, seed, maxTokens, temperature, topK, topP, stops, noCache, json };
        command.SetAction(async (parse, cancellation) => await GuardedAsync(async () =>
        {
            using var loaded = HuggingFaceModels.Load(parse.GetValue(modelDir)!);
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
                StopSequences = parse.GetValue(stops) ?? [],
                UseKvCache = !parse.GetValue(noCache),
            };
            var texts = parse.GetValue(prompts)!;
            var generator = new TextGenerator(loaded.Model, loaded.Tokenizer);
            var quiet = parse.GetValue(json);
            var outputs = texts.Select(_ => new System.Text.StringBuilder()).ToArray();
            var finish = new FinishReason[texts.Length];
            var tokens = new int[texts.Length];
            var single = texts.Length == 1;
            var started = false;
            await foreach (var token in generator.GenerateAsync(texts, options, cancellation))
            {
                if (!quiet && single && !started) Console.Write(texts[0]);
                started = true;
                outputs[token.PromptIndex].Append(token.Text);
                if (token.TokenId >= 0) tokens[token.PromptIndex]++;
                if (token.IsLast) finish[token.PromptIndex] = token.Finish;
                if (!quiet && single) Console.Write(token.Text);
            }
            if (quiet)
                Console.WriteLine(JsonSerializer.Serialize(texts.Select((p, i) => new
                {
                    prompt = p, completion = outputs[i].ToString(), tokens = tokens[i], finish = finish[i].ToString(),
                }), Json));
            else if (single) Console.WriteLine();
            else
                for (var i = 0; i < texts.Length; i++) Console.WriteLine($"[{i}] {texts[i]}{outputs[i]}");
            return 0;
        }));
        return command;
    }
}
