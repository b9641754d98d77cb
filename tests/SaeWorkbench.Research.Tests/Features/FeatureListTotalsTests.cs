using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Tests.Crowd;

namespace SaeWorkbench.Research.Tests.Features;

/// <summary>The feature list's totals come from the same query as its rows, so they are never stale and are per viewer under blind mode.</summary>
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
}
