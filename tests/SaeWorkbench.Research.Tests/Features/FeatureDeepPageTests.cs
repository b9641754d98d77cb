using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Tests.Crowd;

namespace SaeWorkbench.Research.Tests.Features;

/// <summary>
/// The whole list in index order, which FeatureCatalog reads as a range of indices where a dictionary's latents are
/// exactly 0 … n − 1, against the same list read with OFFSET (a filter that keeps every latent takes that path).
/// </summary>
public sealed class FeatureDeepPageTests
{
    /// <summary>Keeps every latent of CrowdDatabase (densities are 0 or more), so the page is read with OFFSET.</summary>
    private static readonly FeatureQuery EveryLatentByOffset = new() { MinDensity = -1 };

    private static async Task AssertPagesEqualOffsetPagesAsync(CrowdDatabase s, IReadOnlyList<int> indices)
    {
        var catalog = s.Get<FeatureCatalog>();
        foreach (var descending in new[] { false, true })
        foreach (var size in new[] { 1, 5, 7, 50 })
        {
            var expected = descending ? indices.OrderDescending().ToList() : indices.Order().ToList();
            for (var page = 0; page <= expected.Count / size + 1; page++)
            {
                var whole = await catalog.QueryAsync(s.DictionaryId, new FeatureQuery { Descending = descending, Page = page, PageSize = size }, s.Reviewer);
                var offset = await catalog.QueryAsync(s.DictionaryId, EveryLatentByOffset with { Descending = descending, Page = page, PageSize = size }, s.Reviewer);
                Assert.Equal(expected.Skip(page * size).Take(size), whole.Rows.Select(r => r.Index));
                Assert.Equal(offset.Rows, whole.Rows);
                Assert.Equal(expected.Count, whole.Total);
            }
        }
    }

    [Fact]
    public async Task Every_page_of_the_whole_list_by_index_equals_the_offset_page_in_both_directions()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await AssertPagesEqualOffsetPagesAsync(s, Enumerable.Range(0, CrowdDatabase.LatentCount + 2).ToList());
    }

    [Fact]
    public async Task A_dictionary_whose_indices_have_a_gap_pages_like_the_offset_list()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await using (var db = s.Db())
            await db.Latents.Where(l => l.Id == s.Latents[3]).ExecuteDeleteAsync();
        await AssertPagesEqualOffsetPagesAsync(s, Enumerable.Range(0, CrowdDatabase.LatentCount + 2).Where(i => i != 3).ToList());
    }

    [Fact]
    public async Task A_page_that_comes_up_short_of_the_kept_count_is_read_again_by_offset()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var catalog = s.Get<FeatureCatalog>();
        Assert.Equal([0, 1, 2, 3, 4], (await catalog.QueryAsync(s.DictionaryId, new FeatureQuery { PageSize = 5 }, s.Reviewer)).Rows.Select(r => r.Index));
        // Removed without an event, as another tool writing to the file would: the kept count still says 0 … 11.
        await using (var db = s.Db())
            await db.Latents.Where(l => l.Id == s.Latents[3]).ExecuteDeleteAsync();
        Assert.Equal([0, 1, 2, 4, 5], (await catalog.QueryAsync(s.DictionaryId, new FeatureQuery { PageSize = 5 }, s.Reviewer)).Rows.Select(r => r.Index));
        Assert.Equal([11], (await catalog.QueryAsync(s.DictionaryId, new FeatureQuery { PageSize = 5, Page = 2 }, s.Reviewer)).Rows.Select(r => r.Index));
    }
}
