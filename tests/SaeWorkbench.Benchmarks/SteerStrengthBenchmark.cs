using System.Text.Json;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Research.Steering;
using static TorchSharp.torch;

namespace SaeWorkbench.Benchmarks;

/// <summary>
/// Chooses the steering page's default strength (<see cref="SteeringDefaults.MaxActivationMultiple"/>): for a random
/// sample of alive latents and a few prompts, the share whose greedy continuation changes when α is a multiple of the
/// latent's max activation, per multiple, with α also given as a share of the mean residual norm at the hook. Every
/// multiple of one latent and prompt runs as one sweep (same batch, one baseline).
/// Arguments: [model folder] [SAE folder] [analysis JSON Lines from `sae analyze`] [latents] (defaults: models/demo-gpt2,
/// data/runs/demo-sae, data/runs/demo-sae-analysis.jsonl, 24).
/// </summary>
public sealed class SteerStrengthBenchmark : IBenchmark
{
    public string Name => "steer-strength";
    public string Description => "Share of latents whose greedy continuation changes, per strength (multiple of max activation)";

    private static readonly string[] Prompts = ["The state of the union is", "Our nation must"];
    private static readonly double[] Multiples = [1, 2, 3, 4, 6, 8];
    private const int NewTokens = 16;
    private const int ShownLatents = 6;   // continuations printed for the first sampled latents, to judge fluency by eye
    private static readonly Random Sampler = new(1);   // the same latents on every run

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        using var loaded = LmBenchmarkModel.Load(args, output);
        var saeFolder = args.Count > 1 ? args[1] : Path.Combine("data", "runs", "demo-sae");
        var analysis = args.Count > 2 ? args[2] : Path.Combine("data", "runs", "demo-sae-analysis.jsonl");
        var count = args.Count > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 24;
        using var sae = SaeLensFolder.Load(saeFolder, loaded.Model);
        var hook = sae.Metadata.HookName;
        var alive = File.ReadLines(analysis).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => !e.GetProperty("dead").GetBoolean() && e.GetProperty("maxActivation").GetDouble() > 0)
            .Select(e => (Index: e.GetProperty("index").GetInt32(), Max: e.GetProperty("maxActivation").GetDouble())).ToList();
        var chosen = alive.OrderBy(_ => Sampler.Next()).Take(count).ToList();
        output.WriteLine($"SAE {saeFolder}: {sae.Autoencoder.DSae} latents at {hook}, {alive.Count} alive; {chosen.Count} sampled; " +
                         $"median max activation {Median(chosen.Select(c => c.Max)):G3}");

        // Mean ‖x‖ at the hook over the prompts' tokens (BOS excluded): the scale of the residual stream α adds to.
        var norms = new List<double>();
        foreach (var prompt in Prompts)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var ids = SteeringGenerator.EncodePrompt(loaded.Tokenizer, prompt).Select(t => (long)t).ToArray();
            var x = loaded.Model.RunToHook(tensor(ids, [1, ids.Length]), hook)[0, 1..];                   // [pos, d]
            norms.AddRange(x.norm(1).data<float>().ToArray().Select(v => (double)v));
        }
        var residual = norms.Average();
        output.WriteLine($"mean residual norm at {hook}: {residual:G3}; greedy, {NewTokens} new tokens, prompts: {string.Join(" | ", Prompts)}");

        var changed = new int[Multiples.Length];
        var changedOnMost = new int[Multiples.Length];
        var changedTokens = new double[Multiples.Length];
        var options = new SteeringOptions { MaxNewTokens = NewTokens, Temperature = 0, StopAtEndOfText = false };
        var shown = new List<string>();
        foreach (var (index, max) in chosen)
        {
            var perLatent = new int[Multiples.Length];
            foreach (var prompt in Prompts)
            {
                var variants = Multiples.Select(m => new InterventionSet { Latents = [new LatentIntervention(index, InterventionKind.Add, m * max)] }).ToList();
                var sample = SteeringGenerator.RunSweep(loaded.Model, loaded.Tokenizer, sae.Autoencoder, hook, prompt, variants, options).Samples[0];
                if (shown.Count < ShownLatents * (Multiples.Length + 1) && prompt == Prompts[0])
                {
                    shown.Add(FormattableString.Invariant($"latent {index} (max {max:G3}), \"{prompt}\"\n  baseline: {Quote(sample.Baseline.Text)}"));
                    for (var j = 0; j < Multiples.Length; j++)
                        shown.Add(FormattableString.Invariant($"  ×{Multiples[j],-2:G3} (α {Multiples[j] * max,6:G3}): {Quote(sample.Variants[j].Text)}"));
                }
                for (var j = 0; j < Multiples.Length; j++)
                {
                    var diff = TokenDiff.Changed(sample.Baseline.TokenIds, sample.Variants[j].TokenIds);
                    if (diff.Any(c => c)) { changed[j]++; perLatent[j]++; }
                    changedTokens[j] += diff.Count(c => c) / (double)Math.Max(1, diff.Length);
                }
            }
            for (var j = 0; j < Multiples.Length; j++) if (2 * perLatent[j] > Prompts.Length) changedOnMost[j]++;
        }
        foreach (var line in shown) output.WriteLine(line);
        var pairs = chosen.Count * Prompts.Length;
        output.WriteLine("multiple of max | median α | α / mean ‖x‖ | continuations changed | latents changed on most prompts | tokens changed");
        for (var j = 0; j < Multiples.Length; j++)
        {
            var alpha = Median(chosen.Select(c => Multiples[j] * c.Max));
            output.WriteLine(FormattableString.Invariant(
                $"{Multiples[j],15:G3} | {alpha,8:G3} | {alpha / residual,12:P0} | {changed[j] / (double)pairs,21:P0} | {changedOnMost[j] / (double)chosen.Count,31:P0} | {changedTokens[j] / pairs,14:P0}"));
        }
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text, QuoteOptions);

    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
