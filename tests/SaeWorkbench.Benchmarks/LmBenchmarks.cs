using System.Diagnostics;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Generation;
using static TorchSharp.torch;

namespace SaeWorkbench.Benchmarks;

/// <summary>Loads the demo model (or the folder given as first argument).</summary>
internal static class LmBenchmarkModel
{
    public static LoadedLanguageModel Load(IReadOnlyList<string> args, TextWriter output)
    {
        var folder = args.Count > 0 ? args[0] : Path.Combine("models", "demo-gpt2");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder} not found; pass a model folder (e.g. models/demo-gpt2) after --");
        var loaded = HuggingFaceGpt2.Load(folder);
        var c = loaded.Model.Config;
        output.WriteLine($"model {folder}: {c.NLayers} layers, d_model {c.DModel}, vocab {c.VocabSize}, context {c.ContextLength}, " +
                         $"{loaded.Model.ParameterCount:N0} parameters, {get_num_threads()} torch threads");
        return loaded;
    }

    public static double Seconds(Action action, int repeats)
    {
        action(); // warm-up
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < repeats; i++) action();
        return clock.Elapsed.TotalSeconds / repeats;
    }
}

/// <summary>Forward tokens/s at batch 32 × 128 and the achieved GFLOP/s against a dense fp32 matmul (goal ≥ 0.5).</summary>
public sealed class LmForwardBenchmark : IBenchmark
{
    public string Name => "lm-forward";
    public string Description => "GPT-2 forward tokens/s at 32 x 128 and GFLOP/s relative to a dense fp32 matmul";

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        using var loaded = LmBenchmarkModel.Load(args, output);
        var model = loaded.Model;
        var c = model.Config;
        const int batch = 32;
        var positions = Math.Min(128, c.ContextLength);
        using var noGrad = no_grad();
        using var tokens = randint(0, c.VocabSize, [batch, positions], dtype: ScalarType.Int64);
        var forward = LmBenchmarkModel.Seconds(() => { using var scope = NewDisposeScope(); model.Forward(tokens); }, 5);
        var tokenCount = (double)batch * positions;
        // Matmul FLOPs: 2 per weight per token (12 d² per block, d·V unembedding) + QKᵀ and AV (2 · 2 · T² · d per block and sequence).
        var flops = tokenCount * 2.0 * (12.0 * c.DModel * c.DModel * c.NLayers + (double)c.DModel * c.VocabSize)
                    + batch * c.NLayers * 4.0 * positions * positions * c.DModel;
        var modelGflops = flops / forward / 1e9;

        const int n = 1024;
        using var a = randn(n, n);
        using var b = randn(n, n);
        var dense = LmBenchmarkModel.Seconds(() => { using var scope = NewDisposeScope(); matmul(a, b); }, 10);
        var denseGflops = 2.0 * n * n * n / dense / 1e9;
        var ratio = modelGflops / denseGflops;
        output.WriteLine($"forward {batch}x{positions}: {forward * 1000:F1} ms, {tokenCount / forward:N0} tokens/s, {modelGflops:F1} GFLOP/s");
        output.WriteLine($"dense fp32 matmul {n}x{n}: {denseGflops:F1} GFLOP/s");
        output.WriteLine($"ratio {ratio:F2} (goal >= 0.5: {(ratio >= 0.5 ? "met" : "NOT met")})");
    }
}

/// <summary>Generation tokens/s with and without the KV cache.</summary>
public sealed class LmGenerationBenchmark : IBenchmark
{
    public string Name => "lm-generate";
    public string Description => "Greedy generation tokens/s with and without the KV cache";

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        using var loaded = LmBenchmarkModel.Load(args, output);
        var generator = new TextGenerator(loaded.Model, loaded.Tokenizer);
        var maxNew = Math.Min(100, loaded.Model.ContextLength - 16);
        foreach (var cache in new[] { true, false })
        {
            var options = new GenerationOptions { Temperature = 0, MaxNewTokens = maxNew, StopAtEndOfText = false, UseKvCache = cache };
            var produced = 0;
            var seconds = LmBenchmarkModel.Seconds(() => produced = generator.Generate(["The state of the Union"], options)[0].TokenIds.Length, 3);
            output.WriteLine($"{(cache ? "with" : "without")} KV cache: {produced / seconds:N0} tokens/s ({produced} tokens)");
        }
    }
}
