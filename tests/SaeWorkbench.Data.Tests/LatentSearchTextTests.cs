using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Data.Tests;

/// <summary>The stored search text of a latent (LatentSearchTexts): its rule, and its upkeep by both saves on both providers.</summary>
public sealed class LatentSearchTextTests
{
    private static string Tokens(params (string Token, int Count)[] tokens) =>
        string.Join(PreviewFormat.Entry, tokens.Select(t => $"{t.Token}{PreviewFormat.Field}{t.Count}"));

    [Fact]
    public void The_rule_joins_lower_cased_fields_with_token_texts_without_counts_and_the_context_as_it_reads()
    {
        var text = LatentSearchTexts.Of("Dates", Tokens((" 1865", 4), ("\"Émile\\", 2)), $"in the{PreviewFormat.Field} Year{PreviewFormat.Field} of",
            [("Years", "Fires on **YEARS**"), ("x\u001Fy", "")]);
        Assert.Equal(string.Join(LatentSearchTexts.Separator, "dates", " 1865", "\"émile\\", "in the year of", "years", "fires on **years**", "x y"), text);
        Assert.Equal("", LatentSearchTexts.Of(null, null, null, []));
        Assert.Equal("naïve", LatentSearchTexts.Needle("NAÏVE"));
        Assert.Null(LatentSearchTexts.Needle("a\u001Fb"));
    }

    [Theory]
    [MemberData(nameof(SaeWorkbench.Tests.Shared.TestServers.Providers), MemberType = typeof(SaeWorkbench.Tests.Shared.TestServers))]
    public async Task Both_saves_keep_the_search_text_of_a_new_latent_an_edited_preview_and_an_interpretation(string provider)
    {
        await using var t = await new TestDatabase(provider).InitializeAsync();
        string Stored(long id)
        {
            using var db = t.Create();
            return db.Latents.AsNoTracking().Single(l => l.Id == id).SearchText;
        }
        long dictionaryId;
        await using (var db = t.Create())
            dictionaryId = (await db.Latents.SingleAsync(l => l.Id == t.LatentId)).DictionaryId;

        // The synchronous save: a new latent with previews, then an interpretation of it.
        long added;
        using (var db = t.Create())
        {
            var latent = new Latent { DictionaryId = dictionaryId, Index = 4, TopTokens = Tokens((" King", 3)), ConsensusLabel = "Royals" };
            db.Latents.Add(latent);
            db.SaveChanges();
            added = latent.Id;
            Assert.Equal($"royals{LatentSearchTexts.Separator} king", Stored(added));
            db.Interpretations.Add(new Interpretation { LatentId = added, AuthorId = t.UserA, Label = "Crowns", Description = "Ä" });
            db.SaveChanges();
        }
        Assert.Equal(string.Join(LatentSearchTexts.Separator, "royals", " king", "crowns", "ä"), Stored(added));

        // The asynchronous save: an edited preview, and the interpretation moved to another latent.
        await using (var db = t.Create())
        {
            var latent = await db.Latents.SingleAsync(l => l.Id == added);
            latent.TopContext = $"the{PreviewFormat.Field} Queen{PreviewFormat.Field}";
            var interpretation = await db.Interpretations.SingleAsync(i => i.LatentId == added);
            interpretation.LatentId = t.LatentId;
            await db.SaveChangesAsync();
        }
        Assert.Equal(string.Join(LatentSearchTexts.Separator, "royals", " king", "the queen"), Stored(added));
        Assert.Equal(string.Join(LatentSearchTexts.Separator, "crowns", "ä"), Stored(t.LatentId));
    }
}
