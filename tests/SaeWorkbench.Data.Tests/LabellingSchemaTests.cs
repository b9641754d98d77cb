using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Data.Tests;

public sealed class LabellingSchemaTests
{
    [Fact]
    public async Task Migrations_create_a_WAL_database_with_the_default_taxonomy()
    {
        await using var t = await new TestDatabase().InitializeAsync();
        await using var db = t.Create();
        var mode = await db.Database.SqlQueryRaw<string>("PRAGMA journal_mode").ToListAsync();
        Assert.Equal("wal", mode.Single());
        var settings = await db.WorkspaceSettings.SingleAsync();
        Assert.Contains("polysemantic", settings.TaxonomyJson);
        Assert.Equal(15, settings.ClaimMinutes);
    }

    [Fact]
    public async Task A_second_vote_by_the_same_user_on_the_same_interpretation_is_rejected_by_the_database()
    {
        await using var t = await new TestDatabase().InitializeAsync();
        long id;
        await using (var db = t.Create())
        {
            var i = new Interpretation { LatentId = t.LatentId, AuthorId = t.UserA, Label = "numbers" };
            db.Interpretations.Add(i);
            await db.SaveChangesAsync();
            id = i.Id;
            db.Votes.Add(new Vote { InterpretationId = id, UserId = t.UserB, Value = 1 });
            await db.SaveChangesAsync();
        }
        await using (var db = t.Create())
        {
            db.Votes.Add(new Vote { InterpretationId = id, UserId = t.UserB, Value = -1 });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
        await using (var db = t.Create())
        {
            db.Votes.Add(new Vote { InterpretationId = id, UserId = t.UserA, Value = 2 });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
    }

    [Fact]
    public async Task Saving_an_interpretation_edited_meanwhile_by_someone_else_is_a_conflict()
    {
        await using var t = await new TestDatabase().InitializeAsync();
        long id;
        await using (var db = t.Create())
        {
            var i = new Interpretation { LatentId = t.LatentId, AuthorId = t.UserA, Label = "v1" };
            db.Interpretations.Add(i);
            await db.SaveChangesAsync();
            id = i.Id;
        }
        await using var first = t.Create();
        await using var second = t.Create();
        var a = await first.Interpretations.SingleAsync(i => i.Id == id);
        var b = await second.Interpretations.SingleAsync(i => i.Id == id);
        a.Label = "from first"; a.Version++;
        await first.SaveChangesAsync();
        b.Label = "from second"; b.Version++;
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => second.SaveChangesAsync());
        await using var check = t.Create();
        Assert.Equal("from first", (await check.Interpretations.SingleAsync(i => i.Id == id)).Label);
    }
}
