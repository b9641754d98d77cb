using SaeWorkbench.Ml.Lm.Generation;

namespace SaeWorkbench.Ml.Tests.Lm;

public sealed class InferenceQueueTests
{
    private sealed class Recorder : IProgress<int>
    {
        public List<int> Positions { get; } = [];
        public void Report(int value) { lock (Positions) Positions.Add(value); }
    }

    [Fact]
    public async Task Requests_run_one_at_a_time_in_arrival_order_and_learn_their_position()
    {
        using var queue = new InferenceQueue(capacity: 4);
        using var gate = new ManualResetEventSlim(false);
        var order = new List<int>();
        var first = queue.EnqueueAsync(_ => { gate.Wait(); lock (order) order.Add(1); return 1; });
        var recorder = new Recorder();
        var second = queue.EnqueueAsync(_ => { lock (order) order.Add(2); return 2; }, recorder);
        var third = queue.EnqueueAsync(_ => { lock (order) order.Add(3); return 3; });
        gate.Set();
        var results = await Task.WhenAll(first, second, third);
        Assert.Equal(new[] { 1, 2, 3 }, results);
        Assert.Equal([1, 2, 3], order);
        Assert.Equal(0, recorder.Positions[^1]);
        Assert.True(recorder.Positions[0] >= 1);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once()
    {
        using var queue = new InferenceQueue(capacity: 1);
        using var started = new ManualResetEventSlim(false);
        using var gate = new ManualResetEventSlim(false);
        var running = queue.EnqueueAsync(_ => { started.Set(); gate.Wait(); return 0; });
        started.Wait();
        var waiting = queue.EnqueueAsync(_ => 1);
        var refused = Assert.Throws<InferenceQueueFullException>(() => { _ = queue.EnqueueAsync(_ => 2); });
        Assert.Equal(1, refused.Capacity);
        gate.Set();
        Assert.Equal(1, await waiting);
        await running;
    }

    [Fact]
    public async Task A_waiting_request_can_be_cancelled_and_never_runs()
    {
        using var queue = new InferenceQueue(capacity: 2);
        using var started = new ManualResetEventSlim(false);
        using var gate = new ManualResetEventSlim(false);
        var running = queue.EnqueueAsync(_ => { started.Set(); gate.Wait(); return 0; });
        started.Wait();
        using var cancel = new CancellationTokenSource();
        var ran = false;
        var waiting = queue.EnqueueAsync(_ => { ran = true; return 1; }, cancellation: cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, queue.Waiting);
        gate.Set();
        await running;
        Assert.False(ran);
    }

    [Fact]
    public async Task A_failing_request_reports_its_exception_and_the_queue_goes_on()
    {
        using var queue = new InferenceQueue(capacity: 2);
        var failing = queue.EnqueueAsync<int>(_ => throw new InvalidOperationException("boom"));
        var next = queue.EnqueueAsync(_ => 7);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.Equal(7, await next);
    }
}
