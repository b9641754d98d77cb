using SaeWorkbench.Ml.Interventions;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Interventions;

public sealed class SteeringGeneratorTests : IDisposable
{
    private readonly TinySteering _w = new();
    public void Dispose() => _w.Dispose();

    private SteeringResult Run(InterventionSet set, SteeringOptions options, string prompt = "the state of", Action<SteeringStep>? onStep = null) =>
        SteeringGenerator.Run(_w.Model, TinySteering.Tokenizer, _w.Sae, TinySteering.Hook, prompt, set, options, onStep);

    private static InterventionSet Add(int latent, double alpha) => new() { Latents = [new LatentIntervention(latent, InterventionKind.Add, alpha)] };

    private static readonly SteeringOptions Sampled = new() { MaxNewTokens = 20, Temperature = 1.0, Seed = 42, Samples = 3, StopAtEndOfText = false };

    [Fact]
    public void Strength_zero_reproduces_the_baseline_exactly_with_zero_kl()
    {
        var result = Run(Add(3, 0), Sampled);
        Assert.Equal(3, result.Samples.Count);
        foreach (var s in result.Samples)
        {
            Assert.Equal(20, s.Baseline.TokenIds.Length);
            Assert.Equal(s.Baseline.TokenIds, s.Steered.TokenIds);
            Assert.Equal(s.Baseline.Text, s.Steered.Text);
            Assert.All(s.Steps, step => Assert.Equal(0, step.Kl!.Value, 6));
        }
        // Different samples draw different streams.
        Assert.NotEqual(result.Samples[0].Baseline.TokenIds, result.Samples[1].Baseline.TokenIds);
    }

    [Fact]
    public void Ablating_a_dead_latent_reproduces_the_baseline_exactly()
    {
        var result = Run(new InterventionSet { Latents = [new LatentIntervention(TinySteering.DeadLatent, InterventionKind.Ablate)] }, Sampled);
        Assert.All(result.Samples, s => Assert.Equal(s.Baseline.TokenIds, s.Steered.TokenIds));
    }

    [Fact]
    public void The_same_seed_gives_the_same_text_and_a_strong_steer_changes_it()
    {
        var first = Run(Add(3, 40), Sampled);
        var again = Run(Add(3, 40), Sampled);
        for (var s = 0; s < 3; s++)
        {
            Assert.Equal(first.Samples[s].Baseline.TokenIds, again.Samples[s].Baseline.TokenIds);
            Assert.Equal(first.Samples[s].Steered.TokenIds, again.Samples[s].Steered.TokenIds);
        }
        Assert.Contains(first.Samples, s => !s.Baseline.TokenIds.SequenceEqual(s.Steered.TokenIds));
        Assert.True(first.Samples[0].Steps[0].Kl > 1e-3);
        var other = Run(Add(3, 40), Sampled with { Seed = 43 });
        Assert.NotEqual(first.Samples[0].Baseline.TokenIds, other.Samples[0].Baseline.TokenIds);
    }

    [Fact]
    public void Steps_stream_both_sides_with_top_tokens_and_texts_add_up()
    {
        var steps = new List<SteeringStep>();
        var result = Run(Add(3, 20), Sampled with { Samples = 1, TopTokens = 5 }, onStep: steps.Add);
        Assert.Equal(20, steps.Count);
        Assert.All(steps, s =>
        {
            Assert.Equal(5, s.Baseline!.Top.Count);
            Assert.True(s.Baseline.Top.Zip(s.Baseline.Top.Skip(1)).All(p => p.First.Probability >= p.Second.Probability));
            Assert.InRange(s.Baseline.Top.Sum(t => t.Probability), 0, 1.0001);
        });
        Assert.Equal(result.Samples[0].Baseline.Text, string.Concat(steps.Select(s => s.Baseline!.Text)));
        Assert.Equal(result.Samples[0].Steered.Text, string.Concat(steps.Select(s => s.Steered!.Text)));
    }

    [Fact]
    public void Greedy_steering_with_the_kv_cache_matches_a_full_forward_with_the_hook()
    {
        var set = Add(3, 15) with { Scope = PositionScope.Generated };
        var result = Run(set, new SteeringOptions { MaxNewTokens = 12, Temperature = 0, StopAtEndOfText = false });
        var prompt = result.PromptTokenIds;
        var steered = result.Samples[0].Steered.TokenIds;
        long[] sequence = [.. prompt.Select(t => (long)t), .. steered.Select(t => (long)t)];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var hook = new InterventionHook(_w.Sae, set, prompt.Length);
        using (_w.Model.AddHook(TinySteering.Hook, hook.Apply))
        {
            var predicted = _w.Model.Forward(tensor(sequence, [1, sequence.Length]))[0].argmax(-1).data<long>().ToArray();
            for (var i = 0; i < steered.Length; i++) Assert.Equal(steered[i], (int)predicted[prompt.Length - 1 + i]);
        }
    }

    [Fact]
    public void A_sweep_runs_every_strength_beside_one_baseline_with_the_same_seed()
    {
        var options = Sampled with { Samples = 2 };
        var steps = new List<SweepStep>();
        var sweep = SteeringGenerator.RunSweep(_w.Model, TinySteering.Tokenizer, _w.Sae, TinySteering.Hook, "the state of",
            [Add(3, 0), Add(3, 20), Add(3, 40)], options, steps.Add);
        var single = Run(Add(3, 40), options);
        Assert.Equal(2, sweep.Samples.Count);
        Assert.Equal(40, steps.Count);
        foreach (var s in sweep.Samples)
        {
            Assert.Equal(3, s.Variants.Count);
            // α = 0 is the baseline token for token: each variant samples from the baseline's random stream.
            Assert.Equal(s.Baseline.TokenIds, s.Variants[0].TokenIds);
            Assert.All(s.Steps, step => Assert.Equal(0, step.Kl[0]!.Value, 6));
            // The baseline and the α = 40 column are those of a two-sided comparison with the same seed.
            Assert.Equal(single.Samples[s.Sample].Baseline.TokenIds, s.Baseline.TokenIds);
            Assert.Equal(single.Samples[s.Sample].Steered.TokenIds, s.Variants[2].TokenIds);
        }
        Assert.Contains(sweep.Samples, s => !s.Baseline.TokenIds.SequenceEqual(s.Variants[2].TokenIds));
        // A stronger push moves the next-token distribution further at the first generated position.
        Assert.True(sweep.Samples[0].Steps[0].Kl[2] > sweep.Samples[0].Steps[0].Kl[1]);
        var asComparison = sweep.Comparison(2);
        Assert.Equal(single.Samples[0].Steered.Text, asComparison.Samples[0].Steered.Text);
        Assert.Equal(sweep.Samples[0].Steps.Count, asComparison.Samples[0].Steps.Count);
    }

    [Fact]
    public void A_sweep_without_variants_is_refused()
    {
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => SteeringGenerator.RunSweep(_w.Model, TinySteering.Tokenizer, _w.Sae,
            TinySteering.Hook, "the", [], Sampled)).Message);
    }

    [Fact]
    public void A_prompt_longer_than_the_context_or_a_missing_hook_is_refused_before_anything_runs()
    {
        var longPrompt = string.Join(" ", Enumerable.Repeat("the state of the union", 20));
        Assert.Contains("context", Assert.Throws<ArgumentException>(() => Run(Add(3, 1), Sampled, longPrompt)).Message);
        Assert.StartsWith("unknown hook 'blocks.9.hook_resid_post'; valid hooks: ", Assert.Throws<ArgumentException>(() =>
            SteeringGenerator.Run(_w.Model, TinySteering.Tokenizer, _w.Sae, "blocks.9.hook_resid_post", "the", Add(3, 1), Sampled)).Message);
        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => Run(Add(99, 1), Sampled)).Message);
    }

    [Fact]
    public void Ablating_on_fixed_text_changes_loss_only_when_the_latent_is_alive()
    {
        var ids = TinySteering.Tokenizer.Encode("the state of the union is strong");
        string Text(int id) => TinySteering.Tokenizer.Decode([id]);
        var dead = TextAblation.Run(_w.Model, _w.Sae, TinySteering.Hook, ids, [TinySteering.DeadLatent], Text, nextTokenPosition: 2);
        Assert.Equal(ids.Length + 1, dead.Tokens.Count);
        Assert.Null(dead.Tokens[0].Change);
        Assert.All(dead.Tokens.Skip(1), t => Assert.Equal(0f, t.Change));
        Assert.Equal(0, dead.Next!.Kl, 6);
        using var scope = NewDisposeScope();
        var f = _w.Sae.Encode(_w.Model.RunToHook(tensor(new long[] { 299 }.Concat(ids.Select(i => (long)i)).ToArray(), [1, ids.Length + 1]), TinySteering.Hook)[0]);
        var live = (int)f.sum(0, keepdim: false).argmax().item<long>();
        var alive = TextAblation.Run(_w.Model, _w.Sae, TinySteering.Hook, ids, [live], Text, nextTokenPosition: 2);
        Assert.Contains(alive.Tokens.Skip(1), t => Math.Abs(t.Change!.Value) > 1e-5);
        Assert.Equal(5, alive.Next!.Baseline.Count);
    }

    [Fact]
    public void Fixed_text_ablation_leaves_BOS_alone_by_default_so_the_first_token_keeps_its_loss()
    {
        var ids = TinySteering.Tokenizer.Encode("the state of the union is strong");
        string Text(int id) => TinySteering.Tokenizer.Decode([id]);
        int atBos;
        using (var scope = NewDisposeScope())
        {
            var f = _w.Sae.Encode(_w.Model.RunToHook(tensor(new long[] { 299 }.Concat(ids.Select(i => (long)i)).ToArray(), [1, ids.Length + 1]), TinySteering.Hook)[0]);
            atBos = (int)f[0].argmax().item<long>();                                        // the latent most active at BOS
            Assert.True(f[0, atBos].item<float>() > 0);
        }
        // Token 1 is predicted from position 0 alone: untouched BOS, unchanged loss.
        var leftAlone = TextAblation.Run(_w.Model, _w.Sae, TinySteering.Hook, ids, [atBos], Text);
        Assert.Equal(0f, leftAlone.Tokens[1].Change);
        var included = TextAblation.Run(_w.Model, _w.Sae, TinySteering.Hook, ids, [atBos], Text, includeBos: true);
        Assert.NotEqual(0f, included.Tokens[1].Change);
    }
}
