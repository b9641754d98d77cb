using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Tests.Events;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Tests.Crowd;

namespace SaeWorkbench.Research.Tests.Features;

/// <summary>The feature list's totals are cached per dictionary and filter, and labelling clears them.</summary>
public sealed class FeatureCountCacheTests
{
    private static readonly FeatureQuery Accepted = new() { Status = LabelStatus.Accepted, Sort = FeatureSort.MaxActivation, Descending = true };

    [Fact]
    public async Task A_total_is_kept_until_a_label_is_accepted_and_then_counts_again()
    {
        await using var s = await CrowdDatabase.StartAsync();
        // As the web host has it (a count cache on the labelling services' event bus), with a clock that only moves when told.
        using var cache = new FeatureCountCache(s.Get<WorkbenchEventBus>(), new StepClock());
        var catalog = new FeatureCatalog(s.Factory, cache);
        Assert.Equal(0, (await catalog.QueryAsync(s.DictionaryId, Accepted, s.Reviewer)).Total);

        // A change without an event (as another tool writing to the file would make) is not seen while the count is fresh …
        await using (var db = s.Db())
            await db.Latents.Where(l => l.Id == s.Latents[5]).ExecuteUpdateAsync(u => u.SetProperty(l => l.LabelStatus, LabelStatus.Accepted));
        var stale = await catalog.QueryAsync(s.DictionaryId, Accepted, s.Reviewer);
        Assert.Equal(0, stale.Total);
        Assert.Equal([5], stale.Rows.Select(r => r.Index));   // the rows themselves are always read fresh

        // … and a reviewer accepting an interpretation clears it: both latents are counted.
        var draft = (await s.Labelling.CreateInterpretationAsync(s.Labellers[0], s.Latents[2], new InterpretationDraft("calendar years", "", 3, "entity"))).Value!;
        await s.Labelling.ReviewAsync(s.Reviewer, draft.Id, ReviewStatus.Accepted, null);
        var fresh = await catalog.QueryAsync(s.DictionaryId, Accepted, s.Reviewer);
        Assert.Equal(2, fresh.Total);
        Assert.Equal([2, 5], fresh.Rows.Select(r => r.Index).Order());
        // Sort and page do not matter to the count: another order of the same filter reuses it.
        Assert.Equal(2, (await catalog.QueryAsync(s.DictionaryId, Accepted with { Sort = FeatureSort.Index, Page = 1 }, s.Reviewer)).Total);
    }

    [Fact]
    public async Task Blind_mode_totals_are_kept_per_viewer()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await s.ScopeAsync(blind: true, kind: "List", definition: "2");
        var catalog = s.Get<FeatureCatalog>();
        var (ann, ben) = (s.Labellers[0], s.Labellers[1]);
        var years = (await s.Labelling.CreateInterpretationAsync(ann, s.Latents[2], new InterpretationDraft("calendar years", "", 3, "entity"))).Value!;
        await s.Labelling.VoteAsync(s.Labellers[2], years.Id, 1);
        var search = new FeatureQuery { Search = "calendar" };

        Assert.Equal(1, (await catalog.QueryAsync(s.DictionaryId, search, s.Reviewer)).Total);
        Assert.Equal(0, (await catalog.QueryAsync(s.DictionaryId, search, ben)).Total);   // not the reviewer's cached 1
        Assert.Equal(1, (await catalog.QueryAsync(s.DictionaryId, search, ann)).Total);   // her own work
        Assert.Equal(0, (await catalog.QueryAsync(s.DictionaryId, search, ben)).Total);
    }

    [Fact]
    public async Task A_count_expires_after_its_lifetime_and_irrelevant_events_keep_it()
    {
        var bus = new WorkbenchEventBus(NullLogger<WorkbenchEventBus>.Instance);
        var clock = new StepClock();
        using var cache = new FeatureCountCache(bus, clock);
        var counted = 0;
        Task<int> Count(CancellationToken _) => Task.FromResult(++counted);

        Assert.Equal(1, await cache.GetOrCountAsync("k", Count, default));
        Assert.Equal(1, await cache.GetOrCountAsync("k", Count, default));
        Assert.Equal(2, await cache.GetOrCountAsync("other", Count, default));   // another key counts on its own
        bus.Publish(new PresenceChanged(["ann"]));
        bus.Publish(new JobMetricLogged(1, 10, new Dictionary<string, double> { ["loss"] = 1 }));
        Assert.Equal(1, await cache.GetOrCountAsync("k", Count, default));

        clock.Advance(FeatureCountCache.Lifetime - TimeSpan.FromMilliseconds(10));
        Assert.Equal(1, await cache.GetOrCountAsync("k", Count, default));
        clock.Advance(TimeSpan.FromMilliseconds(20));
        Assert.Equal(3, await cache.GetOrCountAsync("k", Count, default));

        bus.Publish(new ConsensusChanged(1, "Accepted", 2, "years"));
        Assert.Equal(0, cache.Count);
        Assert.Equal(4, await cache.GetOrCountAsync("k", Count, default));
        bus.Publish(new InterpretationCreated(1, 3, "u"));
        Assert.Equal(5, await cache.GetOrCountAsync("k", Count, default));
    }

    [Fact]
    public async Task Concurrent_requests_share_one_count_and_a_failed_count_is_not_kept()
    {
        var bus = new WorkbenchEventBus(NullLogger<WorkbenchEventBus>.Instance);
        using var cache = new FeatureCountCache(bus, new StepClock());
        var started = 0;
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> Slow(CancellationToken _) { Interlocked.Increment(ref started); return gate.Task; }

        var waiting = Enumerable.Range(0, 5).Select(_ => cache.GetOrCountAsync("k", Slow, default)).ToList();
        gate.SetResult(42);
        Assert.All(await Task.WhenAll(waiting), n => Assert.Equal(42, n));
        Assert.Equal(1, started);

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetOrCountAsync("bad", _ => Task.FromException<int>(new InvalidOperationException("db gone")), default));
        Assert.Equal(7, await cache.GetOrCountAsync("bad", _ => Task.FromResult(7), default));
    }
}
