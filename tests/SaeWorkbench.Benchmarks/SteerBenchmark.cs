using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Ml.Lm.Generation;

namespace SaeWorkbench.Benchmarks;

/// <summary>
/// Tokens/s of a baseline + steered comparison generated as one batch of 2 (SteeringGenerator) against the same two
/// continuations generated one after the other (TextGenerator without, then with the intervention hook).
/// Arguments: [model folder] [SAE folder] (default models/demo-gpt2 and data/dictionaries/job-1).
/// </summary>
public sealed class SteerBenchmark : IBenchmark
{
    public string Name => "steer";
    public string Description => "Baseline + steered continuation: one batch of 2 vs two sequential generations (tokens/s)";

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        using var loaded = LmBenchmarkModel.Load(args, output);
        var saeFolder = args.Count > 1 ? args[1] : Path.Combine("data", "dictionaries", "job-1");
        using var sae = SaeLensFolder.Load(saeFolder, loaded.Model);
        var hook = sae.Metadata.HookName;
        output.WriteLine($"SAE {saeFolder}: {sae.Autoencoder.Architecture}, {sae.Autoencoder.DSae} latents at {hook}");
        const string prompt = "The state of the union is";
        var maxNew = Math.Min(128, loaded.Model.ContextLength - 16);
        var set = new InterventionSet { Latents = [new LatentIntervention(0, InterventionKind.Add, 20)] };
        var steering = new SteeringOptions { MaxNewTokens = maxNew, Temperature = 0.5, Seed = 1, StopAtEndOfText = false };
        var generation = new GenerationOptions { MaxNewTokens = maxNew, Temperature = 0.5, Seed = 1, StopAtEndOfText = false };
        var generator = new TextGenerator(loaded.Model, loaded.Tokenizer);

        var batched = LmBenchmarkModel.Seconds(() =>
            SteeringGenerator.Run(loaded.Model, loaded.Tokenizer, sae.Autoencoder, hook, prompt, set, steering), 3);
        var sequential = LmBenchmarkModel.Seconds(() =>
        {
            generator.Generate([prompt], generation);
            using (loaded.Model.AddHook(hook, new InterventionHook(sae.Autoencoder, set).Apply)) generator.Generate([prompt], generation);
        }, 3);
        var tokens = 2.0 * maxNew;
        output.WriteLine($"{maxNew} new tokens per side, temperature 0.5, KV cache on, top-5 and KL per position in the batched run");
        output.WriteLine($"batch of 2 (baseline + steered): {batched * 1000:F0} ms, {tokens / batched:F1} tokens/s");
        output.WriteLine($"two sequential generations:      {sequential * 1000:F0} ms, {tokens / sequential:F1} tokens/s");
        output.WriteLine($"speed-up {sequential / batched:F2}x");
    }
}
