using System.CommandLine;
using System.Text.Json;
using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Dictionaries;

namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae train</c> and <c>sae eval</c>: the web app's training pipeline and docs/science.md §4 evaluation, headless.
/// Both sit on the root because the executable itself is named <c>sae</c>.
/// </summary>
public static class DictionaryCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Train());
        root.Subcommands.Add(Eval());
    }

    private static Command Train()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face GPT-2 folder", Required = true };
        var hook = new Option<string>("--hook") { Description = "Hook name, e.g. blocks.2.hook_resid_post", Required = true };
        var corpus = new Option<string>("--corpus") { Description = "Folder of .txt / .jsonl files", Required = true };
        var hookOut = new Option<string>("--hook-out") { Description = "A transcoder's output hook, after --hook (e.g. blocks.2.hook_mlp_out for blocks.2.ln2.hook_normalized)", DefaultValueFactory = _ => "" };
        var defaults = new SaeTrainingRequest();
        // Any spelling is passed on: the request names the valid ones, and says why a TopK transcoder is refused.
        var arch = new Option<string>("--arch")
        {
            Description = "relu | topk | batchtopk | jumprelu (SAE); transcoder | skip-transcoder | {relu,jumprelu,batchtopk}-[skip-]transcoder (with --hook-out)",
            DefaultValueFactory = _ => defaults.Arch,
        };
        var latents = new Option<int>("--latents") { Description = "Number of latents", DefaultValueFactory = _ => defaults.Latents };
        var k = new Option<int>("--k") { Description = "Latents per token (TopK), their mean (BatchTopK), the L0 a JumpReLU is steered to", DefaultValueFactory = _ => defaults.K };
        var l1 = new Option<double>("--l1") { Description = "λ of the decoder-norm-weighted L1 (ReLU)", DefaultValueFactory = _ => defaults.L1 };
        var l0 = new Option<double>("--l0") { Description = "λ of the L0 loss (JumpReLU), in units of activations scaled to E‖x‖ = √d (with --target-k it only sets how thresholds differ between latents)", DefaultValueFactory = _ => defaults.L0 };
        var targetK = new Option<bool>("--target-k") { Description = "JumpReLU: steer the thresholds so that the L0 settles at k (false: the L0 is what λ buys)", DefaultValueFactory = _ => defaults.TargetK };
        var bandwidth = new Option<double>("--bandwidth") { Description = "Bandwidth ε of the JumpReLU straight-through estimator", DefaultValueFactory = _ => defaults.Bandwidth };
        var threshold = new Option<double>("--initial-threshold") { Description = "Initial JumpReLU threshold θ₀; 0 sets it from the data so the SAE starts at L0 ≈ k", DefaultValueFactory = _ => defaults.InitialThreshold };
        var tokens = new Option<long>("--tokens") { Description = "Training tokens", DefaultValueFactory = _ => defaults.Tokens };
        var batch = new Option<int>("--batch") { Description = "Tokens per step", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var buffer = new Option<int>("--buffer") { Description = "Shuffle buffer (tokens)", DefaultValueFactory = _ => defaults.BufferTokens };
        var seed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => defaults.Seed };
        var output = new Option<string>("--out") { Description = "Output SAELens folder (checkpoints go to <out>.checkpoints; re-running resumes)", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };
        var command = new Command("train", "Train an SAE on a model's activations at a hook point (or a transcoder from --hook to --hook-out) and save it as a SAELens folder.")
        {
            model, hook, hookOut, corpus, arch, latents, k, l1, l0, targetK, bandwidth, threshold, tokens, batch, lr, buffer, seed, output, json,
        };
        command.SetAction((parse, ct) => Guarded(parse.GetValue(json), () =>
        {
            var request = new SaeTrainingRequest
            {
                Model = parse.GetValue(model)!, Hook = parse.GetValue(hook)!, Corpus = parse.GetValue(corpus)!, Arch = parse.GetValue(arch)!, HookOut = parse.GetValue(hookOut)!,
                Latents = parse.GetValue(latents), K = parse.GetValue(k), L1 = parse.GetValue(l1), L0 = parse.GetValue(l0), TargetK = parse.GetValue(targetK),
                Bandwidth = parse.GetValue(bandwidth), InitialThreshold = parse.GetValue(threshold), Tokens = parse.GetValue(tokens),
                BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(lr), BufferTokens = parse.GetValue(buffer), Seed = parse.GetValue(seed),
            };
            // The operator on their own machine may name any folder (OperatorPaths) and run for as long as they like;
            // only the memory estimate still applies, because running out of memory helps nobody. The server confines.
            var errors = request.Validate(Research.Settings.OperatorPaths.Instance,
                new Research.Jobs.JobLimits { MaxFlop = double.PositiveInfinity, MaxTrainingTokens = long.MaxValue });
            if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
            var outFolder = Path.GetFullPath(parse.GetValue(output)!);
            var quiet = parse.GetValue(json);
            var progress = quiet ? null : new LineProgress<SaeTrainingProgress>(p =>
                Console.WriteLine($"step {p.Step}/{p.TotalSteps}  loss {p.Loss:G4}  L0 {p.L0:F1}  FVU {p.Fvu:F3}  dead {p.DeadFraction:P1}  {p.TokensPerSecond:N0} tok/s"));
            var outcome = SaeTrainingPipeline.Run(request, Path.GetFullPath(request.Model), Path.GetFullPath(request.Corpus), outFolder,
                outFolder + ".checkpoints", progress, quiet ? null : Console.WriteLine, ct);
            outcome.Result.Autoencoder.Dispose();
            var metrics = SaeTrainingPipeline.MetricsJson(outcome.Metrics, outcome.LanguageModelMetrics);
            if (quiet) Console.WriteLine(new System.Text.Json.Nodes.JsonObject { ["sae"] = outFolder, ["metrics"] = metrics }.ToJsonString(Json));
            else Console.WriteLine($"saved {outFolder}\n{metrics.ToJsonString(Json)}");
        }));
        return command;
    }

    private static Command Eval()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face GPT-2 folder", Required = true };
        var sae = new Option<string>("--sae") { Description = "SAELens folder (cfg.json, sae_weights.safetensors)", Required = true };
        var corpus = new Option<string>("--corpus") { Description = "Folder of .txt / .jsonl files (its validation split is used)", Required = true };
        var tokens = new Option<long>("--tokens") { Description = "Held-out tokens for the reconstruction metrics", DefaultValueFactory = _ => SaeTrainingDefaults.EvalTokens };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };
        var command = new Command("eval", "Every docs/science.md §4 metric of an SAE on held-out tokens: L0, MSE, FVU, explained variance, cosine, L2 ratio, CE loss recovered, ΔLM loss, KL, dead and dense fractions.")
        {
            model, sae, corpus, tokens, json,
        };
        command.SetAction((parse, ct) => Guarded(parse.GetValue(json), () =>
        {
            using var loaded = HuggingFaceModels.Load(Path.GetFullPath(parse.GetValue(model)!), device: TorchRuntime.BestDevice());
            using var saeFolder = SaeLensFolder.Load(Path.GetFullPath(parse.GetValue(sae)!), loaded.Model);
            var hook = saeFolder.Metadata.HookName;
            var context = saeFolder.Metadata.ContextSize > 0 ? Math.Min(saeFolder.Metadata.ContextSize, loaded.Model.ContextLength) : loaded.Model.ContextLength;
            var (metrics, lm) = SaeTrainingPipeline.Evaluate(loaded.Model, loaded.Tokenizer, new TextCorpus(Path.GetFullPath(parse.GetValue(corpus)!)),
                hook, saeFolder.Autoencoder, context, parse.GetValue(tokens), SaeTrainingDefaults.BufferTokens, 0, saeFolder.Autoencoder.IsTranscoder ? saeFolder.Metadata.HookNameOut : null);
            var result = SaeTrainingPipeline.MetricsJson(metrics, lm);
            result["hook"] = hook;
            if (saeFolder.Autoencoder.IsTranscoder) result["hook_out"] = saeFolder.Metadata.HookNameOut;
            Console.WriteLine(result.ToJsonString(Json));
        }));
        return command;
    }

    /// <summary>Runs an action, turning expected failures into one clear line on stderr and exit code 1.</summary>
    private static Task<int> Guarded(bool json, Action action)
    {
        try
        {
            action();
            return Task.FromResult(0);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or InvalidOperationException
                                       or LanguageModelFolderException or SafetensorsFormatException or OperationCanceledException)
        {
            if (json) Console.Error.WriteLine(JsonSerializer.Serialize(new { error = e.Message }));
            else Console.Error.WriteLine($"error: {e.Message}");
            return Task.FromResult(1);
        }
    }

    private sealed class LineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
