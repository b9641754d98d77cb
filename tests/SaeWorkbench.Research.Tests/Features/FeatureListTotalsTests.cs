using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Tests.Crowd;

namespace SaeWorkbench.Research.Tests.Features;

/// <summary>
/// The feature list's totals: told exactly by a page that is not full, otherwise kept a few seconds (ListTotals) until
/// an event or their lifetime ends, counted again when a page shows more rows than kept; per viewer under blind mode.
/// </summary>
public sealed class FeatureListTotalsTests
{
    private static readonly FeatureQuery Accepted = new() { Status = LabelStatus.Accepted, Sort = FeatureSort.MaxActivation, Descending = true };

    [Fact]
    public async Task A_total_follows_every_change_at_once_even_one_made_without_an_event()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var catalog = s.Get<FeatureCatalog>();
        Assert.Equal(0, (await catalog.QueryAsync(s.DictionaryId, Accepted, s.Reviewer)).Total);

        // A change without an event (as another tool writing to the file would make) is counted at once …
        await using (var db = s.Db())
            await db.Latents.Where(l => l.Id == s.Latents[5]).ExecuteUpdateAsync(u => u.SetProperty(l => l.LabelStatus, LabelStatus.Accepted));
        var page = await catalog.QueryAsync(s.DictionaryId, Accepted, s.Reviewer);
        Assert.Equal(1, page.Total);
        Assert.Equal([5], page.Rows.Select(r => r.Index));

        // … and so is a reviewer accepting an interpretation.
        var draft = (await s.Labelling.CreateInterpretationAsync(s.Labellers[0], s.Latents[2], new InterpretationDraft("calendar years", "", 3, "entity"))).Value!;
        await s.Labelling.ReviewAsync(s.Reviewer, draft.Id, ReviewStatus.Accepted, null);
        var fresh = await catalog.QueryAsync(s.DictionaryId, Accepted, s.Reviewer);
        Assert.Equal(2, fresh.Total);
        Assert.Equal([2, 5], fresh.Rows.Select(r => r.Index).Order());
        // Past the last page there are no rows, and the total is still told.
        var past = await catalog.QueryAsync(s.DictionaryId, Accepted with { Page = 4 }, s.Reviewer);
        Assert.Empty(past.Rows);
        Assert.Equal(2, past.Total);
    }

    [Fact]
    public async Task Blind_mode_totals_are_per_viewer()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await s.ScopeAsync(blind: true, kind: "List", definition: "2");
        var catalog = s.Get<FeatureCatalog>();
        var (ann, ben) = (s.Labellers[0], s.Labellers[1]);
        var years = (await s.Labelling.CreateInterpretationAsync(ann, s.Latents[2], new InterpretationDraft("calendar years", "", 3, "entity"))).Value!;
        await s.Labelling.VoteAsync(s.Labellers[2], years.Id, 1);
        var search = new FeatureQuery { Search = "calendar" };

        Assert.Equal(1, (await catalog.QueryAsync(s.DictionaryId, search, s.Reviewer)).Total);
        Assert.Equal(0, (await catalog.QueryAsync(s.DictionaryId, search, ben)).Total);
        Assert.Equal(1, (await catalog.QueryAsync(s.DictionaryId, search, ann)).Total);   // her own work
        Assert.Equal(0, (await catalog.QueryAsync(s.DictionaryId, search, ben)).Total);
        Assert.Equal("No latent matches the search \"calendar\" (it matches labels, interpretations, top tokens and top contexts). Remove a filter or widen a bound to see more; a shorter search word matches more.",
            (await catalog.QueryAsync(s.DictionaryId, search, ben)).EmptyReason);
    }

    [Fact]
    public async Task A_kept_total_stands_until_an_event_or_its_lifetime_and_a_page_with_more_rows_counts_again()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var clock = new ManualClock();
        using var totals = new ListTotals(s.Get<WorkbenchEventBus>(), clock);
        var catalog = new FeatureCatalog(s.Factory, totals);
        var alive = new FeatureQuery { Dead = false, PageSize = 2 }; // full pages: their total is the kept one
        await using var db = s.Db();
        var n = await db.Latents.CountAsync(l => l.DictionaryId == s.DictionaryId && !l.IsDead);
        Task SetDeadAsync(int index, bool dead) =>
            db.Latents.Where(l => l.Id == s.Latents[index]).ExecuteUpdateAsync(u => u.SetProperty(l => l.IsDead, dead));
        async Task<int> TotalAsync(int page = 0) => (await catalog.QueryAsync(s.DictionaryId, alive with { Page = page }, s.Reviewer)).Total;

        Assert.Equal(n, await TotalAsync());
        await SetDeadAsync(9, true); // without an event
        Assert.Equal(n, await TotalAsync());
        clock.Advance(ListTotals.Lifetime);
        Assert.Equal(n - 1, await TotalAsync());

        await SetDeadAsync(8, true);
        s.Get<WorkbenchEventBus>().Publish(new ConsensusChanged(s.Latents[8], "Unlabelled", null, null));
        Assert.Equal(n - 2, await TotalAsync());

        // Both come back without an event: the kept total (n − 2) is less than the full page at n − 2 shows.
        await SetDeadAsync(8, false);
        await SetDeadAsync(9, false);
        Assert.Equal(n, await TotalAsync((n - 2) / 2));
        Assert.Equal(n, await TotalAsync());
    }

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        public override long GetTimestamp() => _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
