using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Ml.Sae.Synthetic;

namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// Sparse-autoencoder jobs. The executable is named <c>sae</c>, so they sit on the root (<c>sae synthetic</c>, not
/// <c>sae sae synthetic</c>): System.CommandLine refuses a subcommand named like the root.
/// </summary>
public static class SaeCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Synthetic());
    }

    /// <summary><c>sae synthetic</c>: trains on toy superposition (docs/science.md §5) and prints MMCS and the fraction recovered.</summary>
    private static Command Synthetic()
    {
        var arch = new Option<string>("--arch") { Description = "relu | topk | batchtopk | jumprelu", DefaultValueFactory = _ => "topk" };
        arch.AcceptOnlyFromAmong("relu", "topk", "batchtopk", "jumprelu");
        var d = new Option<int>("--d") { Description = "Activation width d", DefaultValueFactory = _ => 32 };
        var features = new Option<int>("--features") { Description = "Ground-truth directions n (n > d for superposition)", DefaultValueFactory = _ => 64 };
        var probability = new Option<double>("--p") { Description = "Firing probability of each direction", DefaultValueFactory = _ => 0.05 };
        var magnitude = new Option<string>("--magnitude") { Description = "uniform (U(0,1)) | exp (Exp(1))", DefaultValueFactory = _ => "uniform" };
        magnitude.AcceptOnlyFromAmong("uniform", "exp");
        var latents = new Option<int>("--latents") { Description = "SAE latents m", DefaultValueFactory = _ => 128 };
        var k = new Option<int>("--k") { Description = "Latents per token (TopK), their mean (BatchTopK), the L0 a JumpReLU is steered to", DefaultValueFactory = _ => 4 };
        var l1 = new Option<double>("--l1") { Description = "λ of the decoder-norm-weighted L1 (ReLU)", DefaultValueFactory = _ => 1.5 };
        var defaults = new SaeTrainingConfig();
        var l0 = new Option<double>("--l0") { Description = "λ of the L0 loss (JumpReLU), in units of activations scaled to E‖x‖ = √d", DefaultValueFactory = _ => defaults.L0Coefficient };
        var targetK = new Option<bool>("--target-k") { Description = "JumpReLU: steer the thresholds so that the L0 settles at k (false: the L0 is what λ buys)", DefaultValueFactory = _ => defaults.JumpReluTargetsK };
        var bandwidth = new Option<double>("--bandwidth") { Description = "Bandwidth ε of the JumpReLU straight-through estimator", DefaultValueFactory = _ => defaults.JumpReluBandwidth };
        var threshold = new Option<double>("--initial-threshold") { Description = "Initial JumpReLU threshold θ₀; 0 sets it from the data so the SAE starts at L0 ≈ k", DefaultValueFactory = _ => defaults.JumpReluInitialThreshold };
        var tokens = new Option<long>("--tokens") { Description = "Training tokens", DefaultValueFactory = _ => 512L * 2000 };
        var batch = new Option<int>("--batch") { Description = "Tokens per step", DefaultValueFactory = _ => 512 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 3e-3 };
        var seed = new Option<int>("--seed") { Description = "Seed of the data and the initialisation", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0: torch default)", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "Also save the SAE as a SAELens folder here" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };

        var command = new Command("synthetic", "Train an SAE on synthetic superposed features and score how well it recovers them (MMCS, fraction with cosine > 0.9).")
        {
            arch, d, features, probability, magnitude, latents, k, l1, l0, targetK, bandwidth, threshold, tokens, batch, lr, seed, threads, output, json,
        };
        command.SetAction(parse =>
        {
            var asJson = parse.GetValue(json);
            try
            {
                var config = new SaeTrainingConfig
                {
                    Architecture = SaeArchitectureNames.Parse(parse.GetValue(arch)!),
                    Latents = parse.GetValue(latents),
                    K = parse.GetValue(k),
                    L1Coefficient = parse.GetValue(l1),
                    L0Coefficient = parse.GetValue(l0),
                    JumpReluTargetsK = parse.GetValue(targetK),
                    JumpReluBandwidth = parse.GetValue(bandwidth),
                    JumpReluInitialThreshold = parse.GetValue(threshold),
                    TrainingTokens = parse.GetValue(tokens),
                    BatchSize = parse.GetValue(batch),
                    LearningRate = parse.GetValue(lr),
                    Seed = parse.GetValue(seed),
                    Threads = parse.GetValue(threads),
                    DeadWindowSteps = 200,
                    ScalingBatches = 20,
                    GeometricMedianSamples = 4096,
                    CheckpointEvery = 0,
                    LogEvery = 200,
                };
                var sw = Stopwatch.StartNew();
                using var data = new ToySuperposition(parse.GetValue(d), parse.GetValue(features), parse.GetValue(probability),
                    parse.GetValue(magnitude) == "exp" ? FeatureMagnitude.Exponential1 : FeatureMagnitude.Uniform01, parse.GetValue(seed));
                var progress = asJson ? null : new ConsoleProgress();
                var result = SaeTrainingRun.Train(data, config, checkpointDirectory: null, progress);
                using var trained = result.Autoencoder;
                var recovery = DictionaryRecovery.Score(data.Directions, trained.WDec);
                var seconds = sw.Elapsed.TotalSeconds;
                if (parse.GetValue(output) is { } folder)
                {
                    var metrics = SaeMetrics.Evaluate(trained, data, 16_384, config.BatchSize);
                    SaeDictionaryExport.Save(folder, result, config,
                        new SaeLensMetadata { ModelName = "synthetic", HookName = "synthetic", DatasetPath = "toy-superposition" }, metrics);
                }
                var last = result.LastProgress;
                if (asJson)
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        architecture = config.Architecture.CliName(), mmcs = recovery.Mmcs, fraction_recovered = recovery.FractionRecovered,
                        l0 = last.L0, fvu = last.Fvu, dead_fraction = last.DeadFraction, steps = result.Steps, seconds,
                    }));
                else
                    Console.WriteLine($"{config.Architecture.CliName()}: MMCS {recovery.Mmcs:F4}, recovered (cos > 0.9) {recovery.FractionRecovered:P1}, " +
                                      $"L0 {last.L0:F2}, FVU {last.Fvu:F4}, dead {last.DeadFraction:P1}, {result.Steps} steps in {seconds:F1} s");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or SaeTrainingDivergedException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private sealed class ConsoleProgress : IProgress<SaeTrainingProgress>
    {
        public void Report(SaeTrainingProgress p) => Console.Error.WriteLine(
            $"step {p.Step}/{p.TotalSteps}  loss {p.Loss:F4}  mse {p.Mse:F4}  L0 {p.L0:F2}  FVU {p.Fvu:F4}  dead {p.DeadFraction:P1}  {p.TokensPerSecond:N0} tok/s");
    }
}
