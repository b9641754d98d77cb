using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Explanations;

public sealed class SharedSamplesTests
{
    private static ScoringSample Sample(long latent, long seed) =>
        new(seed, [new SampledContext(latent * 100, true, 0, [1, 2], [0.5f, 0f])]);

    private sealed class CountingSampler
    {
        public List<(long Latent, long Seed)> Calls { get; } = [];
        public Func<long, long, CancellationToken, Task<Validated<ScoringSample>>>? Instead { get; set; }

        public Task<Validated<ScoringSample>> DrawAsync(long latent, long seed, CancellationToken ct)
        {
            lock (Calls) Calls.Add((latent, seed));
            return Instead?.Invoke(latent, seed, ct) ?? Task.FromResult(Validated<ScoringSample>.Ok(Sample(latent, seed)));
        }
    }

    [Fact]
    public async Task Both_scorers_of_an_interpretation_read_one_draw_and_other_seeds_draw_their_own()
    {
        var sampler = new CountingSampler();
        var samples = new SharedSamples(sampler.DrawAsync);

        var detection = await samples.DrawAsync(3, 11);
        var fuzzing = await samples.DrawAsync(3, 11);
        var otherRater = await samples.DrawAsync(3, 12);
        var otherLatent = await samples.DrawAsync(4, 11);

        Assert.Same(detection.Value, fuzzing.Value);
        Assert.Equal([(3L, 11L), (3L, 12L), (4L, 11L)], sampler.Calls);
        Assert.Equal((12L, 300L), (otherRater.Value!.Seed, otherRater.Value.Contexts[0].ExampleId));
        Assert.Equal(400L, otherLatent.Value!.Contexts[0].ExampleId);
        Assert.Equal(3, samples.Drawn);
    }

    [Fact]
    public async Task Requests_that_arrive_while_a_draw_runs_wait_for_it_instead_of_drawing_again()
    {
        var gate = new TaskCompletionSource<Validated<ScoringSample>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sampler = new CountingSampler { Instead = (_, _, _) => gate.Task };
        var samples = new SharedSamples(sampler.DrawAsync);

        var first = samples.DrawAsync(5, 1);
        var second = samples.DrawAsync(5, 1);
        Assert.False(first.IsCompleted || second.IsCompleted);
        gate.SetResult(Validated<ScoringSample>.Ok(Sample(5, 1)));

        Assert.Same((await first).Value, (await second).Value);
        Assert.Single(sampler.Calls);
    }

    [Fact]
    public async Task A_draw_that_failed_or_was_cancelled_is_forgotten_and_the_next_request_draws_again()
    {
        var sampler = new CountingSampler();
        var samples = new SharedSamples(sampler.DrawAsync);
        sampler.Instead = (_, _, _) => Task.FromException<Validated<ScoringSample>>(new IOException("the SAE file is gone"));
        await Assert.ThrowsAsync<IOException>(() => samples.DrawAsync(2, 9));
        sampler.Instead = (_, _, ct) => Task.FromCanceled<Validated<ScoringSample>>(new CancellationToken(true));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => samples.DrawAsync(2, 9));
        sampler.Instead = null;

        var drawn = await samples.DrawAsync(2, 9);

        Assert.True(drawn.IsValid);
        Assert.Equal(3, sampler.Calls.Count);
        Assert.Same(drawn.Value, (await samples.DrawAsync(2, 9)).Value);
    }

    [Fact]
    public async Task A_refused_draw_is_shared_like_any_other_answer()
    {
        var sampler = new CountingSampler
        {
            Instead = (_, _, _) => Task.FromResult(Validated<ScoringSample>.Fail("contexts", "This dictionary has no feature analysis yet; analyse it before rating.")),
        };
        var samples = new SharedSamples(sampler.DrawAsync);

        var detection = await samples.DrawAsync(1, 1);
        var fuzzing = await samples.DrawAsync(1, 1);

        Assert.False(detection.IsValid || fuzzing.IsValid);
        Assert.Single(sampler.Calls);
    }

    [Fact]
    public async Task Only_the_most_recent_draws_are_kept()
    {
        var sampler = new CountingSampler();
        var samples = new SharedSamples(sampler.DrawAsync, capacity: 2);

        await samples.DrawAsync(1, 1);
        await samples.DrawAsync(2, 1);
        await samples.DrawAsync(3, 1);   // latent 1's sample leaves
        await samples.DrawAsync(3, 1);
        await samples.DrawAsync(1, 1);

        Assert.Equal([1L, 2L, 3L, 1L], sampler.Calls.Select(c => c.Latent));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SharedSamples(sampler.DrawAsync, capacity: 0));
    }
}
