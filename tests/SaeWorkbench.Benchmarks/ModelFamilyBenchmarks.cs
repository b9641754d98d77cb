using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Benchmarks;

/// <summary>Random Llama-family models built from a config.json object (no checkpoint on disk).</summary>
internal static class LlamaConfigs
{
    public static JsonObject Json(int d, int layers, int heads, int kvHeads, int mlp, int vocab, int context) => new()
    {
        ["model_type"] = "llama", ["vocab_size"] = vocab, ["hidden_size"] = d, ["num_hidden_layers"] = layers,
        ["num_attention_heads"] = heads, ["num_key_value_heads"] = kvHeads, ["intermediate_size"] = mlp,
        ["max_position_embeddings"] = context, ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 500000.0,
        ["tie_word_embeddings"] = true, ["torch_dtype"] = "bfloat16",
    };

    public static DecoderConfig Config(JsonObject json) => HuggingFaceConfig.ParseDecoder(json, "benchmark config");
}

/// <summary>Forward tokens/s of a GPT-2-small-sized Llama-family model as a share of dense matmul throughput.</summary>
public sealed class LlamaForwardBenchmark : IBenchmark
{
    public string Name => "lm-llama-forward";
    public string Description => "forward tokens/s of a random 12-layer d=768 Llama-family model at 8x128, f32, vs dense matmul GFLOP/s (goal >= 0.6)";

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        Measure.ApplyThreads(args);
        const int d = 768, layers = 12, heads = 12, mlp = 3072, vocab = 32000, batch = 8, pos = 128;
        var config = LlamaConfigs.Config(LlamaConfigs.Json(d, layers, heads, heads, mlp, vocab, 1024));
        using var model = DecoderModel.Random(config, 1);
        using var tokens = randint(0, vocab, [batch, pos], ScalarType.Int64);
        using var a = randn(batch * pos, d);
        using var b = randn(d, mlp);
        using var noGrad = no_grad();
        var times = Measure.Interleaved(Measure.IntArg(args, "--iters", 5), 1,
            () => model.Forward(tokens),
            () => matmul(a, b));
        double tokensPerStep = batch * pos;
        // Matmul FLOPs per token: q, k, v, o (4 d²), gate, up, down (3 d·mlp), the head (d·vocab), and attention's
        // q·kᵀ and p·v over every key (the mask does not skip work): 2 · 2 · pos · d per layer.
        var flopsPerToken = 2.0 * (layers * (4.0 * d * d + 3.0 * d * mlp) + (double)d * vocab) + layers * 4.0 * pos * d;
        var modelGflops = flopsPerToken * tokensPerStep / times[0].Wall / 1e9;
        var matmulGflops = 2.0 * batch * pos * d * mlp / times[1].Wall / 1e9;
        output.WriteLine($"forward: {tokensPerStep / times[0].Wall:F0} tokens/s, {modelGflops:F1} GFLOP/s; dense matmul {matmulGflops:F1} GFLOP/s; " +
                         $"ratio {modelGflops / matmulGflops:F2} (goal >= 0.6: {(modelGflops / matmulGflops >= 0.6 ? "met" : "missed")}); {Measure.Threads()}");
    }
}

/// <summary>Generation tokens/s with and without the KV cache.</summary>
public sealed class LlamaGenerationBenchmark : IBenchmark
{
    public string Name => "lm-llama-generate";
    public string Description => "greedy generation tokens/s of a random 12-layer d=768 Llama-family model, with and without the KV cache";

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        Measure.ApplyThreads(args);
        var config = LlamaConfigs.Config(LlamaConfigs.Json(768, 12, 12, 4, 3072, 32000, 1024));
        using var model = DecoderModel.Random(config, 2);
        const int prompt = 32, steps = 32;
        using var noGrad = no_grad();
        using var start = randint(0, 32000, [1, prompt], ScalarType.Int64);
        var withCache = Time(() =>
        {
            using var cache = model.CreateKvCache();
            var next = model.Forward(start, cache)[.., -1].argmax(-1, true);             // [1, 1]
            for (var i = 1; i < steps; i++)
            {
                using var scope = NewDisposeScope();
                next = model.Forward(next, cache)[.., -1].argmax(-1, true).MoveToOuterDisposeScope();
            }
        });
        var without = Time(() =>
        {
            var context = start.clone();
            for (var i = 0; i < steps; i++)
            {
                using var scope = NewDisposeScope();
                var next = model.Forward(context)[.., -1].argmax(-1, true);               // [1, 1]
                context = cat([context, next], 1).MoveToOuterDisposeScope();               // [1, pos + 1]
            }
        });
        output.WriteLine($"generation of {steps} tokens after a {prompt}-token prompt: {steps / withCache:F1} tokens/s with the KV cache, " +
                         $"{steps / without:F1} tokens/s without ({without / withCache:F1}x); {Measure.Threads()}");
    }

    private static double Time(Action action)
    {
        using (NewDisposeScope()) action(); // warm-up
        var clock = Stopwatch.StartNew();
        using (NewDisposeScope()) action();
        return clock.Elapsed.TotalSeconds;
    }
}

/// <summary>Load time and peak RSS of a random 1B-parameter bf16 checkpoint written to a temporary folder.</summary>
public sealed class CheckpointLoadBenchmark : IBenchmark
{
    public string Name => "lm-load-1b";
    public string Description => "load time and peak RSS of a random ~1B-parameter bf16 Llama checkpoint (goal: peak RSS growth <= 1.3x file size)";

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        var folder = Path.Combine(Path.GetTempPath(), "sae-bench-1b-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var json = LlamaConfigs.Json(2048, 16, 32, 8, 8192, 32000, 2048);
            File.WriteAllText(Path.Combine(folder, "config.json"), json.ToJsonString());
            var config = LlamaConfigs.Config(json);
            var bytes = WriteRandomCheckpoint(Path.Combine(folder, "model.safetensors"), config);
            GC.Collect();
            var before = Rss();
            var clock = Stopwatch.StartNew();
            using var model = HuggingFaceModels.LoadModel(folder, ScalarType.BFloat16);
            var seconds = clock.Elapsed.TotalSeconds;
            var growth = PeakRss() - before;
            output.WriteLine($"{config.ParameterCount:N0} parameters, file {bytes / 1e9:F2} GB: loaded as bf16 in {seconds:F1} s " +
                             $"({bytes / 1e9 / seconds:F2} GB/s); peak RSS grew {growth / 1e9:F2} GB = {growth / (double)bytes:F2}x the file " +
                             $"(goal <= 1.3x: {(growth <= 1.3 * bytes ? "met" : "missed")})");
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    /// <summary>Streams a safetensors file of small random bf16 values without holding it in memory.</summary>
    private static long WriteRandomCheckpoint(string path, DecoderConfig config)
    {
        var header = new JsonObject();
        long offset = 0;
        foreach (var (name, shape) in config.WeightShapes())
        {
            var size = shape.Aggregate(2L, (x, y) => x * y);
            header[name] = new JsonObject
            {
                ["dtype"] = "BF16", ["shape"] = new JsonArray(shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var raw = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (raw.Length + 7) / 8 * 8;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        file.Write(BitConverter.GetBytes((long)padded));
        file.Write(raw);
        for (var i = raw.Length; i < padded; i++) file.WriteByte((byte)' ');
        var buffer = new byte[1 << 20];
        var rng = new Random(3);
        for (var i = 0; i < buffer.Length; i += 2)
        {
            // bf16 with exponent around 2^-6: |x| < 0.03, never NaN or infinity.
            buffer[i] = (byte)rng.Next(256);
            buffer[i + 1] = (byte)(0x3C | (rng.Next(2) << 7));
        }
        for (long left = offset; left > 0; left -= buffer.Length) file.Write(buffer, 0, (int)Math.Min(left, buffer.Length));
        return file.Length;
    }

    private static long Rss() => StatusKb("VmRSS:");
    private static long PeakRss() => StatusKb("VmHWM:");

    private static long StatusKb(string key) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(key, StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
}
