using System.Collections.Immutable;
using SaeWorkbench.Ml.Interventions;

namespace SaeWorkbench.Research.Steering;

/// <summary>What a page shows of one sample while it streams: immutable, so a render may enumerate it while steps arrive.</summary>
public sealed record LiveSample(ImmutableList<SideToken> Baseline, IReadOnlyList<ImmutableList<SideToken>> Variants,
    IReadOnlyList<ImmutableList<double?>> Kl)
{
    public static LiveSample Empty(int variants) => new([], [.. Enumerable.Repeat(ImmutableList<SideToken>.Empty, variants)],
        [.. Enumerable.Repeat(ImmutableList<double?>.Empty, variants)]);

    public LiveSample With(SweepStep step) => new(
        step.Baseline is { } b ? Baseline.Add(b) : Baseline,
        Variants.Select((v, j) => step.Variants[j] is { } t ? v.Add(t) : v).ToArray(),
        Kl.Select((k, j) => k.Add(step.Kl[j])).ToArray());
}

/// <summary>
/// The streamed output of a comparison or sweep. Steps arrive on the inference thread while the renderer reads on the
/// circuit's: each step replaces <see cref="Samples"/> with a new immutable snapshot (one reference swap), so a reader
/// always enumerates a complete, unchanging state and never a list another thread is appending to.
/// </summary>
public sealed class SteeringLive
{
    private readonly Lock _writer = new();
    private volatile IReadOnlyList<LiveSample> _samples;
    private volatile object? _queuePosition;

    public SteeringLive(int samples, int variants)
    {
        if (samples < 1 || variants < 1) throw new ArgumentException("a live comparison has at least one sample and one variant");
        _samples = Enumerable.Range(0, samples).Select(_ => LiveSample.Empty(variants)).ToArray();
    }

    /// <summary>The samples as of the latest step (an immutable snapshot).</summary>
    public IReadOnlyList<LiveSample> Samples => _samples;

    /// <summary>The position in the model's queue while waiting, then null.</summary>
    public int? QueuePosition => (int?)_queuePosition;

    public void Apply(SweepStep step)
    {
        lock (_writer)
        {
            var current = _samples;
            if (step.Sample < 0 || step.Sample >= current.Count) return;
            var next = current.ToArray();
            next[step.Sample] = current[step.Sample].With(step);
            _samples = next;
            _queuePosition = null;
        }
    }

    public void Apply(SteeringStep step) =>
        Apply(new SweepStep(step.Sample, step.Step, step.Baseline, [step.Steered], [step.Kl]));

    public void Queued(int position) => _queuePosition = position;
}
