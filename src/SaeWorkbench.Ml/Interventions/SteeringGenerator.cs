using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Interventions;

/// <summary>How to sample a baseline/intervened comparison (Neuronpedia's defaults: 256 tokens, temperature 0.5).</summary>
public sealed record SteeringOptions
{
    /// <summary>New tokens per continuation (fewer when the context fills up).</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>0 = greedy.</summary>
    public double Temperature { get; init; } = 0.5;

    public double TopP { get; init; } = 1.0;

    /// <summary>Sample s of both continuations samples from its own generator seeded with Seed + s.</summary>
    public long Seed { get; init; }

    /// <summary>Pairs of continuations (each pair shares a seed).</summary>
    public int Samples { get; init; } = 1;

    public bool StopAtEndOfText { get; init; } = true;

    /// <summary>Most likely next tokens reported per generated position.</summary>
    public int TopTokens { get; init; } = 5;

    public void Validate()
    {
        if (MaxNewTokens < 1) throw new ArgumentException("generate at least one token");
        if (!double.IsFinite(Temperature) || Temperature < 0) throw new ArgumentException("temperature must be a finite number ≥ 0");
        if (!double.IsFinite(TopP) || TopP is <= 0 or > 1) throw new ArgumentException("top-p must be in (0, 1]");
        if (Samples < 1) throw new ArgumentException("ask for at least one sample");
        if (TopTokens < 1) throw new ArgumentException("report at least one top token");
    }
}

/// <summary>A candidate next token with its probability under the model (temperature 1, before top-p).</summary>
public sealed record TokenProbability(int TokenId, string Text, float Probability);

/// <summary>One side's token at a generated position: the sampled id, the text it completes, the top next tokens.</summary>
public sealed record SideToken(int TokenId, string Text, FinishReason Finish, IReadOnlyList<TokenProbability> Top);

/// <summary>
/// One generated position of one sample. A side is null once it has finished. <see cref="Kl"/> is
/// KL(baseline ‖ intervened) of the two next-token distributions (natural log), each given its own continuation so far;
/// null when a side has finished.
/// </summary>
public sealed record SteeringStep(int Sample, int Step, SideToken? Baseline, SideToken? Steered, double? Kl);

public sealed record SteeringContinuation(int[] TokenIds, string Text, FinishReason Finish);

public sealed record SteeringSample(int Sample, long Seed, SteeringContinuation Baseline, SteeringContinuation Steered, IReadOnlyList<SteeringStep> Steps);

public sealed record SteeringResult(int[] PromptTokenIds, IReadOnlyList<SteeringSample> Samples);

/// <summary>
/// One generated position of one sample of a sweep: the baseline's token and each variant's (null once that side has
/// finished), and KL(baseline ‖ variant j) per variant (null when either side has finished).
/// </summary>
public sealed record SweepStep(int Sample, int Step, SideToken? Baseline, IReadOnlyList<SideToken?> Variants, IReadOnlyList<double?> Kl)
{
    /// <summary>This step as a baseline/variant comparison, or null when both of those sides have finished.</summary>
    public SteeringStep? Comparison(int variant) =>
        Baseline is null && Variants[variant] is null ? null : new SteeringStep(Sample, Step, Baseline, Variants[variant], Kl[variant]);
}

public sealed record SweepSample(int Sample, long Seed, SteeringContinuation Baseline, IReadOnlyList<SteeringContinuation> Variants, IReadOnlyList<SweepStep> Steps);

/// <summary>A baseline and several intervened continuations per sample, all from one batch with one seed per sample.</summary>
public sealed record SweepResult(int[] PromptTokenIds, IReadOnlyList<SweepSample> Samples)
{
    /// <summary>The baseline against variant <paramref name="variant"/>, as a two-sided comparison.</summary>
    public SteeringResult Comparison(int variant) => new(PromptTokenIds, Samples.Select(s => new SteeringSample(s.Sample, s.Seed, s.Baseline,
        s.Variants[variant], s.Steps.Select(step => step.Comparison(variant)).OfType<SteeringStep>().ToList())).ToList());
}

/// <summary>
/// Baseline and intervened continuations of one prompt in one batch: row 2s is sample s without the
/// intervention, row 2s + 1 the same sample with it. Both rows of a sample draw from their own generator seeded
/// with the same seed, so the two sides see the same random stream and an intervention that changes nothing
/// (strength 0, a dead latent ablated) reproduces the baseline token for token. The prompt runs once through the
/// model (KV cache); then one position per step. Not thread-safe: run it on the model's inference queue.
/// </summary>
public static class SteeringGenerator
{
    /// <summary>Token ids of <paramref name="prompt"/> with BOS first, as the comparison runs it.</summary>
    public static int[] EncodePrompt(ITokenizer tokenizer, string prompt) => [tokenizer.EndOfTextId, .. tokenizer.Encode(prompt)];

    /// <summary>Checks the prompt fits the context with room for at least one token; returns the new-token count that fits.</summary>
    public static int FitNewTokens(int promptTokens, int contextLength, int requested)
    {
        if (promptTokens >= contextLength)
            throw new ArgumentException($"the prompt is {promptTokens} tokens long (BOS included); the model's context is {contextLength}, " +
                                        "so there is no room to generate. Shorten it.");
        return Math.Min(requested, contextLength - promptTokens);
    }

    /// <param name="outputHookName">A transcoder's output hook, where its latents are edited (docs/science.md §12); null for an SAE.</param>
    public static SteeringResult Run(IHookedLanguageModel model, ITokenizer tokenizer, SparseAutoencoder sae, string hookName, string prompt,
        InterventionSet interventions, SteeringOptions options, Action<SteeringStep>? onStep = null, CancellationToken cancellation = default,
        string? outputHookName = null) =>
        RunSweep(model, tokenizer, sae, hookName, prompt, [interventions], options,
            onStep is null ? null : step => { if (step.Comparison(0) is { } e) onStep(e); }, cancellation, outputHookName).Comparison(0);

    /// <summary>
    /// The baseline and one continuation per intervention set (a strength sweep: the same latents at several α) in one
    /// batch: per sample s, row s·(V+1) is the baseline and row s·(V+1)+1+j carries <paramref name="variants"/>[j]. Every
    /// row of a sample draws from its own generator seeded with seed + s, so each variant is compared with the baseline
    /// under the same random stream (docs/science.md §7). One variant is exactly <see cref="Run"/>.
    /// </summary>
    public static SweepResult RunSweep(IHookedLanguageModel model, ITokenizer tokenizer, SparseAutoencoder sae, string hookName, string prompt,
        IReadOnlyList<InterventionSet> variants, SteeringOptions options, Action<SweepStep>? onStep = null, CancellationToken cancellation = default,
        string? outputHookName = null)
    {
        options.Validate();
        if (variants.Count == 0) throw new ArgumentException("give at least one intervention set to compare with the baseline");
        foreach (var v in variants) v.Validate(sae);
        var promptIds = EncodePrompt(tokenizer, prompt);
        var maxNew = FitNewTokens(promptIds.Length, model.ContextLength, options.MaxNewTokens);

        var samples = options.Samples;
        var width = variants.Count + 1;                   // rows per sample: the baseline, then one per variant
        var rows = width * samples;
        var sampling = new GenerationOptions { Temperature = options.Temperature, TopP = options.TopP };
        var ids = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var texts = Enumerable.Range(0, rows).Select(_ => new TextDeltas(tokenizer)).ToArray();
        var finish = new FinishReason[rows];
        var steps = Enumerable.Range(0, samples).Select(_ => new List<SweepStep>()).ToArray();
        var tokenTexts = new Dictionary<int, string>();   // the top tokens repeat from step to step: decode each once
        string TokenText(int id) => tokenTexts.TryGetValue(id, out var t) ? t : tokenTexts[id] = tokenizer.Decode([id]);
        var hooks = variants.Select((set, j) => new InterventionHook(sae, set, promptIds.Length)
        {
            Rows = Enumerable.Range(0, samples).Select(s => (long)(width * s + 1 + j)).ToArray(),
        }).ToArray();
        var registrations = new List<IDisposable>();
        var generators = new List<Generator>();
        try
        {
            // Attach (which checks the hooks) before any generator or cache is made, so a refusal allocates nothing.
            foreach (var hook in hooks) registrations.Add(hook.Attach(model, hookName, outputHookName));
            generators.AddRange(Enumerable.Range(0, rows).Select(r => new Generator((ulong)(options.Seed + r / width), CPU)));
            (model as nn.Module)?.eval();
            using var noGrad = no_grad();
            using var cache = model.CreateKvCache();
            using var outer = NewDisposeScope();
            var nextInput = tensor(Enumerable.Range(0, rows).SelectMany(_ => promptIds.Select(t => (long)t)).ToArray(),
                [rows, promptIds.Length], device: model.Device);                                          // [rows, prompt]
            for (var step = 0; step < maxNew; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                foreach (var hook in hooks) hook.StartPosition = cache.Length;
                var logits = model.Forward(nextInput, cache)[.., -1, ..].to(ScalarType.Float32).cpu();  // [rows, vocab]
                var logProbs = logits.log_softmax(-1);                                                    // [rows, vocab]
                var (topP, topI) = logProbs.exp().topk(Math.Min(options.TopTokens, (int)logits.shape[1]), -1); // [rows, k]
                var topProbs = topP.data<float>().ToArray();
                var topIds = topI.data<long>().ToArray();
                var k = (int)topP.shape[1];
                // KL(P_base ‖ P_variant) = Σ p_base (log p_base − log p_variant), per sample and variant.
                var grouped = logProbs.view(samples, width, -1);                                          // [samples, width, vocab]
                var baseLog = grouped.narrow(1, 0, 1);                                                    // [samples, 1, vocab]
                var klRows = (baseLog.exp() * (baseLog - grouped.narrow(1, 1, width - 1))).sum(-1)
                    .data<float>().ToArray();                                                             // [samples, V] flattened
                var next = new long[rows];
                for (var r = 0; r < rows; r++)
                    next[r] = finish[r] == FinishReason.None
                        ? TextGenerator.Sample(logits.narrow(0, r, 1), sampling, generators[r]).data<long>()[0]
                        : tokenizer.EndOfTextId;
                var sides = new SideToken?[rows];
                for (var r = 0; r < rows; r++)
                {
                    if (finish[r] != FinishReason.None) continue;
                    var id = (int)next[r];
                    string text;
                    FinishReason f;
                    if (options.StopAtEndOfText && id == tokenizer.EndOfTextId) (text, f) = (texts[r].Flush(), FinishReason.EndOfText);
                    else
                    {
                        ids[r].Add(id);
                        text = texts[r].Add(id);
                        f = step + 1 == maxNew
                            ? (maxNew < options.MaxNewTokens ? FinishReason.ContextFull : FinishReason.MaxTokens)
                            : FinishReason.None;
                        if (f != FinishReason.None) text += texts[r].Flush();
                    }
                    finish[r] = f;
                    var top = Enumerable.Range(0, k).Select(j => new TokenProbability((int)topIds[r * k + j],
                        TokenText((int)topIds[r * k + j]), topProbs[r * k + j])).ToArray();
                    sides[r] = new SideToken(id, text, f, top);
                }
                for (var s = 0; s < samples; s++)
                {
                    var b = sides[width * s];
                    var others = Enumerable.Range(1, width - 1).Select(j => sides[width * s + j]).ToArray();
                    if (b is null && others.All(o => o is null)) continue;
                    var kl = others.Select((o, j) => b is not null && o is not null ? Math.Max(0, klRows[s * (width - 1) + j]) : (double?)null).ToArray();
                    var e = new SweepStep(s, step, b, others, kl);
                    steps[s].Add(e);
                    onStep?.Invoke(e);
                }
                if (finish.All(f => f != FinishReason.None)) break;
                nextInput = tensor(next, [rows, 1], device: model.Device).MoveToOuterDisposeScope();     // [rows, 1]
            }
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
            foreach (var g in generators) g.Dispose();
        }
        SteeringContinuation Continuation(int r) => new([.. ids[r]], texts[r].Text, finish[r]);
        return new SweepResult(promptIds, Enumerable.Range(0, samples).Select(s => new SweepSample(s, options.Seed + s,
            Continuation(width * s), Enumerable.Range(1, width - 1).Select(j => Continuation(width * s + j)).ToList(), steps[s])).ToList());
    }

    /// <summary>Text deltas of a growing id sequence, holding back an incomplete UTF-8 character.</summary>
    private sealed class TextDeltas(ITokenizer tokenizer)
    {
        private readonly List<int> _ids = [];
        private int _emitted;

        public string Text { get; private set; } = "";

        public string Add(int id)
        {
            _ids.Add(id);
            Text = tokenizer.Decode(_ids);
            var safe = Math.Max(_emitted, Text.EndsWith('\uFFFD') ? Text.TrimEnd('\uFFFD').Length : Text.Length);
            var delta = Text[_emitted..safe];
            _emitted = safe;
            return delta;
        }

        public string Flush()
        {
            var delta = Text.Length > _emitted ? Text[_emitted..] : "";
            _emitted = Math.Max(_emitted, Text.Length);
            return delta;
        }
    }
}
