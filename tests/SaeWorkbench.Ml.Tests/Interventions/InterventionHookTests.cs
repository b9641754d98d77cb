using SaeWorkbench.Ml.Interventions;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Interventions;

public sealed class InterventionHookTests : IDisposable
{
    private readonly TinySteering _w = new();
    public void Dispose() => _w.Dispose();

    private Tensor Activation(int seed = 1)
    {
        using var g = new Generator().manual_seed(seed);
        return randn(new long[] { 2, 6, 32 }, generator: g);                               // [batch, pos, d]
    }

    private Tensor Apply(InterventionSet set, Tensor x, int start = 0, int promptLength = int.MaxValue, IReadOnlyList<long>? rows = null) =>
        new InterventionHook(_w.Sae, set, promptLength) { StartPosition = start, Rows = rows }.Apply(x);

    /// <summary>One latent's intervention at every position, position 0 included (these tests check the arithmetic).</summary>
    private static InterventionSet One(int latent, InterventionKind kind, double value = 0, bool unit = false) =>
        new() { Latents = [new LatentIntervention(latent, kind, value, unit)], IncludeBos = true };

    [Fact]
    public void With_no_intervention_the_sae_output_plus_error_term_is_the_activation_exactly()
    {
        using var scope = NewDisposeScope();
        var x = Activation();
        Assert.True(Apply(new InterventionSet(), x).eq(x).all().item<bool>());
        // Clamping every live latent to the value it already has changes nothing, bit for bit.
        Assert.True(Apply(One(TinySteering.DeadLatent, InterventionKind.Ablate), x).eq(x).all().item<bool>());
        Assert.True(Apply(One(3, InterventionKind.Add, 0), x).eq(x).all().item<bool>());
    }

    [Fact]
    public void Ablation_is_the_reconstruction_with_the_latent_zeroed_plus_the_error_term()
    {
        using var scope = NewDisposeScope();
        var x = Activation();
        var flat = x.reshape(-1, 32);
        var f = _w.Sae.Encode(flat);
        var live = (int)(f > 0).sum(0, keepdim: false).argmax().item<long>();                             // the latent firing most often
        var zeroed = f.clone();
        zeroed[.., live] = tensor(0f);
        var saeLens = _w.Sae.Decode(zeroed) + (flat - _w.Sae.Decode(f));                   // SAELens use_error_term
        var ablated = Apply(One(live, InterventionKind.Ablate), x).reshape(-1, 32);
        Assert.True(ablated.allclose(saeLens, rtol: 1e-5, atol: 1e-5));
        // Only latent i's contribution is removed: x' − x = −f_i W_dec,i.
        var expected = -f[.., live].unsqueeze(1) * _w.Sae.WDec[live];
        Assert.True((ablated - flat).allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.False(ablated.eq(flat).all().item<bool>());
    }

    [Fact]
    public void Clamp_changes_only_the_targeted_latents_contribution()
    {
        using var scope = NewDisposeScope();
        var x = Activation(2);
        var flat = x.reshape(-1, 32);
        var f = _w.Sae.Encode(flat);
        var clamped = Apply(One(5, InterventionKind.Clamp, 4.0), x).reshape(-1, 32);
        var expected = (4f - f[.., 5]).unsqueeze(1) * _w.Sae.WDec[5];
        Assert.True((clamped - flat).allclose(expected, rtol: 1e-5, atol: 1e-6));
        // Re-encoding: latent 5 is now (about) 4 where the SAE reads it back linearly, the others barely move relative to it.
        var both = Apply(new InterventionSet { Latents = [new(5, InterventionKind.Clamp, 4.0), new(7, InterventionKind.Ablate)], IncludeBos = true }, x).reshape(-1, 32);
        var expectedBoth = expected - f[.., 7].unsqueeze(1) * _w.Sae.WDec[7];
        Assert.True((both - flat).allclose(expectedBoth, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Additive_steering_adds_alpha_times_the_decoder_row_optionally_unit_normalised()
    {
        using var scope = NewDisposeScope();
        var x = Activation(3);
        var row = _w.Sae.WDec[4];
        Assert.True((Apply(One(4, InterventionKind.Add, 2.5), x) - x).allclose((2.5 * row).expand_as(x), atol: 1e-5));
        var unit = Apply(One(4, InterventionKind.Add, 2.5, unit: true), x) - x;
        Assert.Equal(2.5, unit[0, 0].norm().item<float>(), 4);
    }

    [Fact]
    public void Orthogonal_decomposition_scales_only_the_component_along_the_direction()
    {
        using var scope = NewDisposeScope();
        var x = Activation(4).reshape(-1, 32);
        var v = _w.Sae.WDec[2];
        var p = matmul(x, v).unsqueeze(1) * v / v.dot(v);                                  // Px
        var y = Apply(One(2, InterventionKind.Orthogonal, 3.0), x.reshape(2, 6, 32)).reshape(-1, 32);
        var py = matmul(y, v).unsqueeze(1) * v / v.dot(v);
        Assert.True(py.allclose(3 * p, atol: 1e-4));
        Assert.True((y - py).allclose(x - p, atol: 1e-4));
    }

    [Fact]
    public void Positions_and_rows_left_out_are_returned_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        var x = Activation(5);
        var add = One(6, InterventionKind.Add, 10) with { Scope = PositionScope.Generated };
        // The activation covers absolute positions 3..8; the prompt is 5 tokens, so 3 and 4 are prompt positions.
        var y = Apply(add, x, start: 3, promptLength: 5, rows: [1]);
        Assert.True(y[0].eq(x[0]).all().item<bool>());
        Assert.True(y[1, ..2].eq(x[1, ..2]).all().item<bool>());
        Assert.False(y[1, 2].eq(x[1, 2]).all().item<bool>());
        var prompt = Apply(One(6, InterventionKind.Add, 10) with { Scope = PositionScope.Prompt }, x, start: 3, promptLength: 5);
        Assert.False(prompt[0, 1].eq(x[0, 1]).all().item<bool>());
        Assert.True(prompt[0, 2..].eq(x[0, 2..]).all().item<bool>());
        var listed = Apply(One(6, InterventionKind.Add, 10) with { Scope = PositionScope.Listed, Positions = [4, 7] }, x, start: 3);
        var changed = Enumerable.Range(0, 6).Where(p => !listed[0, p].eq(x[0, p]).all().item<bool>()).ToArray();
        Assert.Equal([1, 4], changed);
    }

    [Fact]
    public void The_BOS_position_is_left_alone_by_default_and_changed_only_when_asked()
    {
        using var scope = NewDisposeScope();
        var x = Activation(6);
        var add = One(6, InterventionKind.Add, 10) with { IncludeBos = false };
        var y = Apply(add, x);
        Assert.True(y[.., 0].eq(x[.., 0]).all().item<bool>());
        Assert.False(y[.., 1].eq(x[.., 1]).all().item<bool>());
        var ablate = One(3, InterventionKind.Ablate) with { IncludeBos = false };
        Assert.True(Apply(ablate, x)[.., 0].eq(x[.., 0]).all().item<bool>());
        // Asked for, BOS changes like any other position.
        Assert.False(Apply(add with { IncludeBos = true }, x)[.., 0].eq(x[.., 0]).all().item<bool>());
        // A KV-cached step starts past position 0: its first position is not BOS.
        Assert.False(Apply(add, x, start: 4)[.., 0].eq(x[.., 0]).all().item<bool>());
        // A sequence without BOS at position 0 is intervened on everywhere.
        var noBos = new InterventionHook(_w.Sae, add, bosAtStart: false).Apply(x);
        Assert.False(noBos[.., 0].eq(x[.., 0]).all().item<bool>());
    }

    [Fact]
    public void Listing_position_0_without_including_BOS_is_refused()
    {
        var listed = One(6, InterventionKind.Add, 10) with { IncludeBos = false, Scope = PositionScope.Listed, Positions = [0, 2] };
        Assert.Contains("BOS", Assert.Throws<ArgumentException>(() => new InterventionHook(_w.Sae, listed)).Message);
        _ = new InterventionHook(_w.Sae, listed with { IncludeBos = true });
    }

    [Fact]
    public void Unknown_latents_and_values_that_are_not_finite_are_refused()
    {
        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => new InterventionHook(_w.Sae, One(16, InterventionKind.Ablate))).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => new InterventionHook(_w.Sae, One(1, InterventionKind.Add, double.NaN))).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => new InterventionHook(_w.Sae, One(1, InterventionKind.Clamp, double.PositiveInfinity))).Message);
    }
}
