using System.Diagnostics;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Benchmarks;

/// <summary>
/// Feature-dashboard analysis wall time against the bare model-forward + SAE-encode pass over the same
/// tokens (goal ≤ 2.5×), peak memory, and test-text latency for 128 tokens. Arguments:
/// [model folder] [SAE folder or "random"] [tokens] [--threads N] — the trained demo dictionary data/dictionaries/job-1
/// when present, else (saying so) a random 4,096-latent TopK SAE (k 32) on the middle layer's
/// residual stream stands in when no SAE is given; token windows are random ids (the cost does not depend on text).
/// </summary>
public sealed class FeatureAnalysisBenchmark : IBenchmark
{
    public string Name => "sae-analyze";
    public string Description => "feature dashboards: wall time vs bare forward + encode (goal <= 2.5x), peak memory, test-text latency";

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        Measure.ApplyThreads(args);
        args = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        using var loaded = LmBenchmarkModel.Load(args, output);
        var model = loaded.Model;
        var c = ((SaeWorkbench.Ml.Lm.Gpt2Model)model).Config;
        var tokens = args.Count > 2 ? long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        // The trained demo dictionary when present (or the folder given); a random TopK SAE only when asked ("random")
        // or when there is no dictionary, and then it says so.
        var demoDictionary = Path.Combine("data", "dictionaries", "job-1");
        var saeFolder = args.Count > 1 ? args[1] : Directory.Exists(demoDictionary) ? demoDictionary : "random";
        if (saeFolder == "random" && args.Count <= 1)
            output.WriteLine($"NOTE: no trained dictionary at {demoDictionary}; using a RANDOM TopK SAE (numbers are not the demo dictionary's)");
        SaeLensSae? imported = saeFolder != "random" ? SaeLensFolder.Load(saeFolder) : null;
        var hook = imported?.Metadata.HookName ?? $"blocks.{c.NLayers / 2}.hook_resid_post";
        using var sae = imported?.Autoencoder ?? RandomTopK(c.DModel, 4096, 32);
        var length = Math.Min(128, c.ContextLength);
        var rng = new Random(1);
        var windows = Enumerable.Range(0, (int)Math.Ceiling((double)tokens / length))
            .Select(_ => new long[] { model.BosTokenId }.Concat(Enumerable.Range(1, length - 1).Select(_ => (long)rng.Next(c.VocabSize))).ToArray())
            .ToList();
        output.WriteLine($"{Measure.Threads()}; {Measure.LoadAverage()} before");
        output.WriteLine($"SAE {(imported is null ? "random topk" : saeFolder)}: {sae.DSae} latents on {hook}; {windows.Count} windows x {length} = {windows.Count * length:N0} tokens");
        const int perBatch = 32;

        var clock = new Stopwatch();
        double BarePass()
        {
            clock.Restart();
            for (var i = 0; i < windows.Count; i += perBatch)
            {
                using var scope = NewDisposeScope();
                var batch = windows.Skip(i).Take(perBatch).ToList();
                FeatureDashboardRun.Encode(model, hook, sae, tensor(batch.SelectMany(w => w).ToArray(), new long[] { batch.Count, length }));
            }
            return clock.Elapsed.TotalSeconds;
        }
        // The bare pass runs before and after the analysis and the ratio uses their mean, so a change in the machine's
        // load during the run weighs on both sides.
        var bareBefore = BarePass();

        clock.Restart();
        var builder = FeatureDashboardRun.Compute(model, hook, sae, () => windows, tokens, windowsPerBatch: perBatch);
        {
            var passes = clock.Elapsed.TotalSeconds;
            using var unembedding = Unembedding.Of(model);
            LogitEffects.Compute(sae.WDec, unembedding.WU, unembedding.LnScale);
            DecoderNeighbours.Compute(sae.WDec);
            var analysis = clock.Elapsed.TotalSeconds;
            var bareAfter = BarePass();
            var bare = (bareBefore + bareAfter) / 2;
            var ratio = analysis / bare;
            output.WriteLine($"bare forward + encode: {bare:F1} s ({windows.Count * length / bare:N0} tokens/s; before {bareBefore:F1} s, after {bareAfter:F1} s)");
            output.WriteLine($"analysis: {analysis:F1} s (two passes {passes:F1} s, logit effects + neighbours {analysis - passes:F1} s) = {ratio:F2}x bare " +
                             (ratio <= 2.5 ? "(goal <= 2.5x met)" : "(goal <= 2.5x MISSED)"));
            output.WriteLine($"dead latents: {Enumerable.Range(0, sae.DSae).Count(i => builder.Dashboard(i).Statistics.IsDead)} of {sae.DSae}");
        }
        output.WriteLine(Measure.LoadAverage() + " after the analysis");
        output.WriteLine($"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20):N0} MiB");

        var text = Enumerable.Range(0, Math.Min(128, c.ContextLength) - 1).Select(_ => rng.Next(c.VocabSize)).ToArray();
        var latencies = new List<double>();
        for (var i = 0; i < 11; i++)
        {
            clock.Restart();
            TestText.Run(model, hook, sae, text, id => "", new TestTextOptions { Latent = 0 });
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
        latencies.Sort();
        output.WriteLine($"test text, {text.Length + 1} tokens: median {latencies[latencies.Count / 2]:F1} ms (after warm-up {latencies[0]:F1}–{latencies[^1]:F1} ms)");
    }

    private static SparseAutoencoder RandomTopK(int d, int m, int k)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(0);
        var wDec = nn.functional.normalize(randn(new long[] { m, d }, generator: gen), dim: 1);
        return new SparseAutoencoder(SaeArchitecture.TopK, k, wDec.t().clone(), zeros(m), wDec, zeros(d));
    }
}
