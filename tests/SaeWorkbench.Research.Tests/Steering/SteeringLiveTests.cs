using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Steering;

namespace SaeWorkbench.Research.Tests.Steering;

public class SteeringLiveTests
{
    private static SideToken Token(int id) => new(id, $" t{id}", FinishReason.None, []);

    [Fact]
    public void A_snapshot_being_enumerated_does_not_change_while_steps_arrive()
    {
        var live = new SteeringLive(samples: 1, variants: 2);
        live.Apply(new SweepStep(0, 0, Token(1), [Token(2), Token(3)], [0.1, 0.2]));
        var seen = new List<int>();
        // The renderer enumerates what it read while the inference thread appends: with lists that are appended to
        // in place this throws "Collection was modified"; a snapshot stays as it was.
        foreach (var token in live.Samples[0].Baseline)
        {
            live.Apply(new SweepStep(0, 1, Token(4), [Token(5), null], [0.3, null]));
            seen.Add(token.TokenId);
        }
        Assert.Equal([1], seen);
        var now = live.Samples[0];
        Assert.Equal([1, 4], now.Baseline.Select(t => t.TokenId));
        Assert.Equal([2, 5], now.Variants[0].Select(t => t.TokenId));
        Assert.Equal([3], now.Variants[1].Select(t => t.TokenId));   // a finished side adds nothing
        Assert.Equal(new double?[] { 0.2, null }, now.Kl[1]);
    }

    [Fact]
    public async Task Steps_from_another_thread_all_arrive_while_a_reader_enumerates()
    {
        var live = new SteeringLive(samples: 2, variants: 1);
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++) live.Apply(new SteeringStep(i % 2, i / 2, Token(i), Token(i), 0));
        });
        while (!writer.IsCompleted)
            foreach (var sample in live.Samples)
                _ = sample.Baseline.Sum(t => t.TokenId) + sample.Variants[0].Count + sample.Kl[0].Count;
        await writer;
        Assert.All(live.Samples, s => Assert.Equal(1000, s.Baseline.Count));
    }

    [Fact]
    public void The_queue_position_shows_until_the_first_step()
    {
        var live = new SteeringLive(1, 1);
        live.Queued(2);
        Assert.Equal(2, live.QueuePosition);
        live.Apply(new SteeringStep(0, 0, Token(1), Token(1), 0));
        Assert.Null(live.QueuePosition);
    }
}
