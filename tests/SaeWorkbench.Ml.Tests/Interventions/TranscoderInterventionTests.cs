using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Ml.Tests.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Interventions;

public sealed class TranscoderInterventionTests : IDisposable
{
    private readonly Gpt2Model _model = TinyTranscoderModel.Create();
    private readonly SparseAutoencoder _tc = TinyTranscoderModel.RandomTranscoder(skip: true);

    public void Dispose()
    {
        _model.Dispose();
        _tc.Dispose();
    }

    private Tensor Tokens() => tensor(TinyTranscoderModel.Windows(2, 8, seed: 4).SelectMany(w => w).ToArray(), [2, 8]);

    /// <summary>The output hook's activation after the intervention, read by a hook registered after it.</summary>
    private Tensor OutputWith(InterventionSet set, Tensor tokens)
    {
        using var noGrad = no_grad();
        Tensor? seen = null;
        using var attached = new InterventionHook(_tc, set).Attach(_model, TinyTranscoderModel.In, TinyTranscoderModel.Out);
        using var read = _model.AddHook(TinyTranscoderModel.Out, a => { seen = a.detach().clone(); return a; });
        _model.Forward(tokens);
        return seen!;
    }

    [Fact]
    public void Ablating_a_transcoder_latent_subtracts_its_decoder_contribution_at_the_output_hook()
    {
        using var scope = NewDisposeScope();
        var tokens = Tokens();
        var x = TinyTranscoderModel.Read(_model, tokens, TinyTranscoderModel.In);          // [2, 8, 32]
        var y = TinyTranscoderModel.Read(_model, tokens, TinyTranscoderModel.Out);         // [2, 8, 32]
        var f = _tc.Encode(x.reshape(-1, 32)).reshape(2, 8, -1);                           // latents from the input hook
        var latent = (int)(f[.., 1..] > 0).sum([0, 1]).argmax().item<long>();
        Assert.True(f[.., 1.., latent].gt(0).any().item<bool>(), "the chosen latent must fire for the test to mean anything");

        var ablated = OutputWith(new InterventionSet { Latents = [new LatentIntervention(latent, InterventionKind.Ablate)] }, tokens);
        var expected = -f[.., .., latent].unsqueeze(-1) * _tc.WDec[latent];               // −a_i·W_dec[i] at every position
        Assert.True((ablated - y)[.., 1..].allclose(expected[.., 1..], rtol: 1e-4, atol: 1e-5));
        Assert.True(ablated[.., 0].eq(y[.., 0]).all().item<bool>(), "BOS is left alone by default");
    }

    [Fact]
    public void Steering_a_transcoder_latent_adds_alpha_times_its_decoder_row_at_the_output_hook()
    {
        using var scope = NewDisposeScope();
        var tokens = Tokens();
        var y = TinyTranscoderModel.Read(_model, tokens, TinyTranscoderModel.Out);
        var steered = OutputWith(new InterventionSet { Latents = [new LatentIntervention(3, InterventionKind.Add, 2.5)] }, tokens);
        Assert.True((steered - y)[.., 1..].allclose((2.5 * _tc.WDec[3]).expand(2, 7, 32), rtol: 1e-4, atol: 1e-5));
        Assert.True(steered[.., 0].eq(y[.., 0]).all().item<bool>());
    }

    [Fact]
    public void A_transcoder_intervention_needs_a_later_output_hook_of_its_width()
    {
        var set = new InterventionSet { Latents = [new LatentIntervention(1, InterventionKind.Ablate)] };
        Assert.Contains("output hook", Assert.Throws<ArgumentException>(() => new InterventionHook(_tc, set).Attach(_model, TinyTranscoderModel.In, null)).Message);
        Assert.Contains("does not come after",
            Assert.Throws<ArgumentException>(() => new InterventionHook(_tc, set).Attach(_model, TinyTranscoderModel.In, "blocks.0.hook_resid_pre")).Message);
        Assert.Contains("width", Assert.Throws<ArgumentException>(() => new InterventionHook(_tc, set).Attach(_model, TinyTranscoderModel.In, "blocks.0.mlp.hook_post")).Message);
    }

    [Fact]
    public void Attaching_to_an_unknown_hook_or_one_of_another_width_reads_as_every_other_hook_check()
    {
        var set = new InterventionSet { Latents = [new LatentIntervention(1, InterventionKind.Ablate)] };
        var valid = string.Join(", ", _model.HookNames);

        var unknown = Assert.Throws<ArgumentException>(() => new InterventionHook(_tc, set).Attach(_model, "blocks.9.hook_resid_post", TinyTranscoderModel.Out));
        var wide = Assert.Throws<ArgumentException>(() => new InterventionHook(_tc, set).Attach(_model, "blocks.0.mlp.hook_pre", TinyTranscoderModel.Out));
        var byModel = Assert.Throws<ArgumentException>(() => _model.HookWidth("blocks.9.hook_resid_post"));

        Assert.Equal($"unknown hook 'blocks.9.hook_resid_post'; valid hooks: {valid}", unknown.Message);
        Assert.Equal(unknown.Message, byModel.Message);
        Assert.Equal($"the SAE's d_in is 32 but hook 'blocks.0.mlp.hook_pre' has width {_model.HookWidth("blocks.0.mlp.hook_pre")}", wide.Message);
    }

    [Fact]
    public void Steering_generation_with_a_transcoder_edits_its_output_hook_and_strength_zero_reproduces_the_baseline()
    {
        using var w = new TinySteering();
        var sampled = new SteeringOptions { MaxNewTokens = 8, Temperature = 1.0, Seed = 3, Samples = 2, StopAtEndOfText = false };
        SteeringResult Run(double alpha, SteeringOptions options) => SteeringGenerator.Run(w.Model, TinySteering.Tokenizer, _tc, TinyTranscoderModel.In,
            "the union", new InterventionSet { Latents = [new LatentIntervention(2, InterventionKind.Add, alpha)] }, options,
            outputHookName: TinyTranscoderModel.Out);
        Assert.All(Run(0, sampled).Samples, s => Assert.Equal(s.Baseline.TokenIds, s.Steered.TokenIds));

        // The untrained model's next-token distributions are close to uniform, so two sides that share a random stream
        // often sample the same token however far apart their distributions are: judge the edit by the distributions
        // and by greedy decoding, whose choice follows them.
        var steered = Run(200, sampled with { Temperature = 0 });
        Assert.All(steered.Samples, s => Assert.All(s.Steps, step => Assert.True(step.Kl > 0)));
        Assert.All(steered.Samples, s => Assert.Contains(s.Steps, step => step.Baseline!.Top[0].TokenId != step.Steered!.Top[0].TokenId));
        Assert.Contains(steered.Samples, s => !s.Baseline.TokenIds.SequenceEqual(s.Steered.TokenIds));
    }

    [Fact]
    public void Text_ablation_of_a_transcoder_latent_changes_the_losses_after_the_output_hook()
    {
        var ids = TinyTranscoderModel.Windows(1, 8, seed: 6)[0].Skip(1).Select(t => (int)t).ToList();
        var result = TextAblation.Run(_model, _tc, TinyTranscoderModel.In, ids, [0, 1, 2, 3], _ => "t", outputHookName: TinyTranscoderModel.Out);
        Assert.Contains(result.Tokens, t => t.Change is { } c && Math.Abs(c) > 1e-6);
        Assert.Throws<ArgumentException>(() => TextAblation.Run(_model, _tc, TinyTranscoderModel.In, ids, [0], _ => "t"));
    }
}
