using System.Diagnostics;
using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Benchmarks;

/// <summary>
/// The TopK trainer's speed goals at d = 256, m = 4,096, k = 32, B = 4,096: (a) a dense autograd TopK step as the Python
/// libraries write it, (b) our sparse hand-written step, (c) one dense encoder matmul; and the ReLU-L1 step's achieved
/// GFLOP/s against a dense fp32 matmul of the same shape. Args: --threads N, --iters N, --d, --latents, --k, --batch.
/// </summary>
public sealed class SaeTopKBenchmark : IBenchmark
{
    public string Name => "sae-topk";
    public string Description => "TopK SAE step: dense autograd vs sparse hand-written vs one encoder matmul; ReLU-L1 GFLOP/s";

    private static int Arg(IReadOnlyList<string> args, string name, int fallback)
    {
        for (var i = 0; i + 1 < args.Count; i++) if (args[i] == name) return int.Parse(args[i + 1]);
        return fallback;
    }

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        var threads = Arg(args, "--threads", 0);
        if (threads > 0) torch.set_num_threads(threads);
        var iters = Arg(args, "--iters", 10);
        int d = Arg(args, "--d", 256), m = Arg(args, "--latents", 4096), k = Arg(args, "--k", 32), b = Arg(args, "--batch", 4096);
        output.WriteLine($"d={d} latents={m} k={k} batch={b}; torch threads {torch.get_num_threads()}, logical processors {Environment.ProcessorCount}; median of {iters} interleaved runs after 2 warm-ups");
        output.WriteLine($"load average at start: {LoadAverage()}; AVX2+FMA kernels: {SparseLatents.UsesAvx2Fma}");

        using var gen = new Generator().manual_seed(0);
        using var x = randn(new long[] { b, d }, generator: gen).DetachFromDisposeScope();

        // (c) one dense encoder matmul.
        var cfg = new SaeTrainingConfig { Architecture = SaeArchitecture.TopK, Latents = m, K = k, BatchSize = b, TrainingTokens = (long)b * 1000, DeadWindowSteps = 1_000_000 };
        using var state = SaeTrainingState.Initialise(cfg, d, zeros(d), gen);
        Func<Tensor> encoder = () => addmm(state.BEnc, x, state.WEnc, 1, 1);

        // (a) dense autograd step with torch.optim.Adam.
        var p = state.Parameters.ToDictionary(kv => kv.Key, kv => new TorchSharp.Modules.Parameter(kv.Value.clone()));
        var adam = optim.Adam(p.Values, lr: 1e-4);
        Func<Tensor> dense = () =>
        {
            adam.zero_grad();
            var pre = matmul(x - p["b_dec"], p["W_enc"]) + p["b_enc"];
            var (v, i) = pre.topk(k, dim: 1, largest: true, sorted: false);
            var f = zeros_like(pre).scatter(1, i, nn.functional.relu(v));
            var loss = (matmul(f, p["W_dec"]) + p["b_dec"] - x).square().sum(1).mean();
            loss.backward();
            adam.step();
            return loss;
        };

        // (b) ours: sparse hand-written step + Adam update.
        Func<Tensor> ours = () =>
        {
            var r = SaeTrainingStep.Compute(state, x, 0);
            SaeOptimizer.Apply(state, r.Gradients, 1e-4);
            return r.Loss;
        };
        // Interleaved, so load from other processes hits all three alike; CPU time is reported beside wall time.
        var times = Medians(iters, dense, ours, encoder);
        var (tDense, tOurs, tEnc) = (times[0].Wall, times[1].Wall, times[2].Wall);
        output.WriteLine($"CPU time per call: (a) {times[0].Cpu * 1e3:F1} ms, (b) {times[1].Cpu * 1e3:F1} ms, (c) {times[2].Cpu * 1e3:F1} ms; " +
                         $"CPU ratios (a)/(b) {times[0].Cpu / times[1].Cpu:F2}, (b)/(c) {times[1].Cpu / times[2].Cpu:F2}");

        Report(output, "(a) dense autograd TopK step", tDense, b);
        Report(output, "(b) sparse TopK step (ours)", tOurs, b);
        Report(output, "(c) one dense encoder matmul", tEnc, b);
        output.WriteLine($"goal (b) >= 2x tokens/s of (a): {tDense / tOurs:F2}x  {(tDense / tOurs >= 2 ? "MET" : "MISSED")}");
        output.WriteLine($"goal (b) step <= 2.2x (c):      {tOurs / tEnc:F2}x  {(tOurs / tEnc <= 2.2 ? "MET" : "MISSED")}");

        if (args.Contains("--profile")) Profile(output, state, x, k, iters);

        // ReLU-L1: 5 matmuls of 2·B·d·m FLOPs each (encoder, decoder, ∂f, ∂W_dec, ∂W_enc).
        var reluCfg = cfg with { Architecture = SaeArchitecture.Relu };
        using var relu = SaeTrainingState.Initialise(reluCfg, d, zeros(d), gen);
        var reluTimes = Medians(iters, () =>
        {
            var r = SaeTrainingStep.Compute(relu, x, 1.0);
            SaeOptimizer.Apply(relu, r.Gradients, 1e-4);
            return r.Loss;
        }, encoder);
        var tRelu = reluTimes[0].Wall;
        tEnc = reluTimes[1].Wall;
        var flop = 2.0 * b * d * m;
        var reluGflops = 5 * flop / tRelu / 1e9;
        var mmGflops = flop / tEnc / 1e9;
        output.WriteLine($"ReLU-L1 step {tRelu * 1e3:F1} ms = {reluGflops:F1} GFLOP/s; dense fp32 matmul {mmGflops:F1} GFLOP/s; " +
                         $"ratio {reluGflops / mmGflops:F2} {(reluGflops / mmGflops >= 0.7 ? "MET" : "MISSED")} (goal >= 0.7)");
        var parameterBytes = 4.0 * (2.0 * d * m + m + d);
        output.WriteLine($"load average at end: {LoadAverage()}");
        output.WriteLine($"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB; parameters {parameterBytes / 1e6:F1} MB " +
                         $"(goal: buffer + 4x parameters + 1 GB = {(4 * parameterBytes + 1e9) / 1e6:F0} MB + buffer)");
        adam.Dispose();
        foreach (var t in p.Values) t.Dispose();
    }

    /// <summary>The pieces of our TopK step alone, at the step's shapes, interleaved (wall and CPU medians).</summary>
    private static void Profile(TextWriter output, SaeTrainingState state, Tensor x, int k, int iters)
    {
        var m = state.Config.Latents;
        using var pre = addmm(state.BEnc, x, state.WEnc, 1, 1);
        var (rawVals, idx) = SparseLatents.TopKRaw(pre, k);
        using var vals = rawVals.relu().DetachFromDisposeScope();
        using var indices = idx.DetachFromDisposeScope();
        using var g = randn(x.shape[0], x.shape[1]);
        var grads = SaeTrainingStep.Compute(state, x, 0).Gradients;
        var buckets = SparseLatents.Buckets(indices, m);
        // The update changes only the W_dec gradient in place (its component along each row, removed again): re-applying
        // the same gradients costs what a fresh update costs, without timing gradient copies.
        var pieces = new (string Name, Action Run)[]
        {
            ("encoder addmm", () => addmm(state.BEnc, x, state.WEnc, 1, 1)),
            ("top-k selection", () => SparseLatents.TopKRaw(pre, k)),
            ("decode + error (k rows)", () => SparseLatents.DecodeError(indices, vals, state.WDec, state.BDec, x, 1.0)),
            ("gather dots", () => SparseLatents.GatherDot(indices, state.WDec, g)),
            ("group by latent", () => SparseLatents.Buckets(indices, m)),
            ("transposed product", () => SparseLatents.TransposedProduct(buckets, vals, g)),
            ("whole step, no update", () => SaeTrainingStep.Compute(state, x, 0)),
            ("optimizer update", () => SaeOptimizer.Apply(state, grads, 1e-4)),
        };
        var times = Measure.Interleaved(iters, 1, pieces.Select(p => p.Run).ToArray());
        for (var i = 0; i < pieces.Length; i++)
            output.WriteLine($"  {pieces[i].Name,-24} {times[i].Wall * 1e3,8:F1} ms (CPU {times[i].Cpu * 1e3:F1} ms)");
        foreach (var t in grads.Values) t.Dispose();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static void Report(TextWriter output, string name, double seconds, int batch) =>
        output.WriteLine($"{name,-32} {seconds * 1e3,8:F1} ms/step  {batch / seconds,12:N0} tokens/s");

    /// <summary>Median wall and process-CPU seconds of each step, running the steps in turn each iteration.</summary>
    private static (double Wall, double Cpu)[] Medians(int iters, params Func<Tensor>[] steps)
    {
        var wall = steps.Select(_ => new List<double>()).ToArray();
        var cpu = steps.Select(_ => new List<double>()).ToArray();
        var process = Process.GetCurrentProcess();
        for (var i = 0; i < iters + 2; i++)
        {
            for (var s = 0; s < steps.Length; s++)
            {
                using var scope = NewDisposeScope();
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                steps[s]().sum().item<float>();  // forces completion (matters on CUDA)
                sw.Stop();
                process.Refresh();
                if (i < 2) continue;
                wall[s].Add(sw.Elapsed.TotalSeconds);
                cpu[s].Add((process.TotalProcessorTime - cpu0).TotalSeconds);
            }
        }
        static double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
        return steps.Select((_, s) => (Median(wall[s]), Median(cpu[s]))).ToArray();
    }
}
