using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Data.Tests;

public sealed class LabellingSchemaTests
{
    /// <summary>Both migration sets describe today's model (scripts/add-migration.sh keeps them in step).</summary>
    [Theory]
    [MemberData(nameof(SaeWorkbench.Tests.Shared.TestServers.Providers), MemberType = typeof(SaeWorkbench.Tests.Shared.TestServers))]
    public async Task The_migrations_of_each_provider_match_the_model(string provider)
    {
        await using var t = new TestDatabase(provider);
        await using var db = t.Create();
        Assert.False(db.Database.HasPendingModelChanges(), $"the {provider} migrations are behind the model: run scripts/add-migration.sh <Name>");
        Assert.Equal(provider == "Sqlite" ? "SaeWorkbench.Data" : "SaeWorkbench.Data.Postgres",
            db.Database.GetMigrations().Select(_ => db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrationsAssembly>().Assembly.GetName().Name).Distinct().Single());
    }

    [Theory]
    [MemberData(nameof(SaeWorkbench.Tests.Shared.TestServers.Providers), MemberType = typeof(SaeWorkbench.Tests.Shared.TestServers))]
    public async Task Migrations_create_a_database_with_the_default_taxonomy(string provider)
    {
        await using var t = await new TestDatabase(provider).InitializeAsync();
        await using var db = t.Create();
        if (provider == "Sqlite")
        {
            var mode = await db.Database.SqlQueryRaw<string>("PRAGMA journal_mode").ToListAsync();
            Assert.Equal("wal", mode.Single());
        }
        else
        {
            Assert.True(db.Database.IsNpgsql());
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            Assert.Contains(await db.Database.GetAppliedMigrationsAsync(), m => m.EndsWith("_ScaleOut", StringComparison.Ordinal));
        }
        var settings = await db.WorkspaceSettings.SingleAsync();
        Assert.Contains("polysemantic", settings.TaxonomyJson);
        Assert.Equal(15, settings.ClaimMinutes);
    }

    [Theory]
    [MemberData(nameof(SaeWorkbench.Tests.Shared.TestServers.Providers), MemberType = typeof(SaeWorkbench.Tests.Shared.TestServers))]
    public async Task A_second_vote_by_the_same_user_on_the_same_interpretation_is_rejected_by_the_database(string provider)
    {
        await using var t = await new TestDatabase(provider).InitializeAsync();
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

    [Theory]
    [MemberData(nameof(SaeWorkbench.Tests.Shared.TestServers.Providers), MemberType = typeof(SaeWorkbench.Tests.Shared.TestServers))]
    public async Task Saving_an_interpretation_edited_meanwhile_by_someone_else_is_a_conflict(string provider)
    {
        await using var t = await new TestDatabase(provider).InitializeAsync();
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
