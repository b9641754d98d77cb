using Microsoft.Extensions.Logging.Abstractions;
using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Research.Tests.Events;

/// <summary>The per-page caches (unread counts, workspace settings, list totals) trust events first and a lifetime second.</summary>
public sealed class EventInvalidatedCacheTests
{
    private readonly WorkbenchEventBus _bus = new(NullLogger<WorkbenchEventBus>.Instance);
    private readonly StepClock _clock = new();

    private EventInvalidatedCache<int> Cache() =>
        new(_bus, _clock, TimeSpan.FromSeconds(30), e => e is NotificationsRead);

    [Fact]
    public async Task A_value_is_kept_until_its_event_or_its_lifetime_and_other_events_leave_it()
    {
        using var cache = Cache();
        var stored = 1;
        Task<int> Load(CancellationToken _) => Task.FromResult(stored);
        Assert.Equal(1, await cache.GetAsync("ann", Load));
        stored = 2; // changed without an event
        _bus.Publish(new PresenceChanged(["ann"]));
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1, await cache.GetAsync("ann", Load));
        _clock.Advance(TimeSpan.FromSeconds(2)); // past the lifetime
        Assert.Equal(2, await cache.GetAsync("ann", Load));
        stored = 3;
        _bus.Publish(new NotificationsRead("ann"));
        Assert.Equal(0, cache.Count);
        Assert.Equal(3, await cache.GetAsync("ann", Load));
    }

    [Fact]
    public async Task Peeking_answers_only_a_fresh_loaded_value_and_never_loads()
    {
        using var cache = Cache();
        Assert.False(cache.TryGet("ann", out _));
        var loading = new TaskCompletionSource<int>();
        var pending = cache.GetAsync("ann", _ => loading.Task);
        Assert.False(cache.TryGet("ann", out _)); // still loading
        loading.SetResult(4);
        Assert.Equal(4, await pending);
        Assert.True(cache.TryGet("ann", out var kept));
        Assert.Equal(4, kept);
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.False(cache.TryGet("ann", out _)); // past the lifetime
        cache.Set("ann", 5);
        Assert.True(cache.TryGet("ann", out kept));
        Assert.Equal(5, kept);
        _bus.Publish(new NotificationsRead("ann"));
        Assert.False(cache.TryGet("ann", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task A_load_overtaken_by_an_event_answers_its_callers_but_is_not_kept()
    {
        using var cache = Cache();
        var gate = new TaskCompletionSource<int>();
        var loads = 0;
        var first = cache.GetAsync("ben", _ => { loads++; return gate.Task; });
        var second = cache.GetAsync("ben", _ => { loads++; return Task.FromResult(-1); }); // shares the first load
        _bus.Publish(new NotificationsRead("ben"));                                       // while it runs
        gate.SetResult(5);
        Assert.Equal((5, 5), (await first, await second));
        Assert.Equal(1, loads);
        Assert.Equal(6, await cache.GetAsync("ben", _ => Task.FromResult(6))); // loaded again: 5 may predate the change
    }
}
