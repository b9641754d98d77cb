using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Data.Tests;

/// <summary>
/// The search texts' trigram index (LatentSearchIndex): on SQLite an FTS5 table kept by triggers, on PostgreSQL a GIN
/// pg_trgm index; the search test in the form each serves against a plain substring test of the stored texts.
/// </summary>
public sealed class LatentSearchIndexTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>The latents whose entry in the FTS5 table holds <paramref name="needle"/>.</summary>
    private static List<long> FtsHits(WorkbenchDbContext db, string needle) =>
        db.Database.SqlQuery<long>($"SELECT rowid AS \"Value\" FROM \"LatentSearch\" WHERE \"LatentSearch\" MATCH {LatentSearchIndex.Phrase(needle)}")
            .AsEnumerable().Order().ToList();

    /// <summary>FTS5's own check that the index holds exactly the trigrams of the content table's texts (rank 1: against the content).</summary>
    private static void AssertIntegrity(WorkbenchDbContext db) =>
        db.Database.ExecuteSqlRaw("""INSERT INTO "LatentSearch"("LatentSearch", rank) VALUES ('integrity-check', 1)""");

    /// <summary>The plan of <paramref name="query"/> as EF sends it (its own parameters), one line per step.</summary>
    private static async Task<List<string>> PlanAsync(WorkbenchDbContext db, IQueryable<long> query, string explain)
    {
        await using var command = query.CreateDbCommand();
        command.CommandText = explain + " " + command.CommandText;
        await db.Database.OpenConnectionAsync();
        await using var reader = await command.ExecuteReaderAsync();
        var steps = new List<string>();
        while (await reader.ReadAsync()) steps.Add(reader.GetString(reader.FieldCount - 1));
        return steps;
    }

    private static List<long> Searched(WorkbenchDbContext db, string needle) =>
        db.Latents.AsNoTracking().Where(LatentSearchIndex.Contains(db, needle).Test).Select(l => l.Id).AsEnumerable().Order().ToList();

    [Fact]
    public async Task The_fts_table_follows_inserts_search_text_edits_and_deletes()
    {
        await using var t = await new TestDatabase().InitializeAsync();
        await using var db = t.Create();
        var dictionaryId = (await db.Latents.SingleAsync(l => l.Id == t.LatentId)).DictionaryId;
        var latent = new Latent { DictionaryId = dictionaryId, Index = 4, ConsensusLabel = "Royal Navy" };
        db.Latents.Add(latent);
        await db.SaveChangesAsync();
        Assert.Equal([latent.Id], FtsHits(db, "oyal nav"));

        // A new interpretation and an edited consensus rewrite the search text: the table follows.
        db.Interpretations.Add(new Interpretation { LatentId = latent.Id, AuthorId = t.UserA, Label = "Crowns", Description = "fleets" });
        latent.ConsensusLabel = "Merchant ships";
        await db.SaveChangesAsync();
        Assert.Equal([latent.Id], FtsHits(db, "crowns"));
        Assert.Equal([latent.Id], FtsHits(db, "merchant ship"));
        Assert.Empty(FtsHits(db, "royal"));
        AssertIntegrity(db);

        // A write past the save, then its refresh (an analysis's previews).
        await db.Latents.Where(l => l.Id == t.LatentId).ExecuteUpdateAsync(u => u.SetProperty(l => l.ConsensusLabel, "Harbours"));
        await LatentSearchTexts.RefreshDictionaryAsync(db, dictionaryId);
        Assert.Equal([t.LatentId], FtsHits(db, "harbour"));
        AssertIntegrity(db);

        // A deleted dictionary takes its latents' entries with it (the cascade fires the delete trigger).
        await db.Dictionaries.Where(d => d.Id == dictionaryId).ExecuteDeleteAsync();
        Assert.Empty(FtsHits(db, "harbour"));
        Assert.Empty(FtsHits(db, "crowns"));
        Assert.Equal(0, await db.Database.SqlQuery<int>($"SELECT count(*) AS \"Value\" FROM \"LatentSearch\" WHERE \"LatentSearch\" MATCH '\"ant\"'").SingleAsync());
        AssertIntegrity(db);
    }

    [Fact]
    public async Task A_refresh_of_a_whole_dictionary_rebuilds_the_fts_table_and_keeps_its_trigger()
    {
        await using var t = await new TestDatabase().InitializeAsync();
        await using var db = t.Create();
        var dictionaryId = (await db.Latents.SingleAsync(l => l.Id == t.LatentId)).DictionaryId;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var i = 0; i < LatentSearchIndex.SqliteBulkRows; i++)
            db.Latents.Add(new Latent { DictionaryId = dictionaryId, Index = 10 + i, ConsensusLabel = $"galleon {i}" });
        await db.SaveChangesAsync();
        // As an analysis writes every latent's previews past the save, then refreshes the dictionary's texts.
        await db.Latents.Where(l => l.Index >= 10).ExecuteUpdateAsync(u => u.SetProperty(l => l.ConsensusLabel, l => "frigate " + l.Index));
        Assert.Equal(LatentSearchIndex.SqliteBulkRows, await LatentSearchTexts.RefreshDictionaryAsync(db, dictionaryId));
        Assert.Empty(FtsHits(db, "galleon"));
        Assert.Equal(LatentSearchIndex.SqliteBulkRows, FtsHits(db, "frigate ").Count);
        AssertIntegrity(db);
        // The update trigger is back: a later edit is followed row by row.
        Assert.False(await LatentSearchIndex.RepairAsync(db));
        var latent = await db.Latents.SingleAsync(l => l.Index == 10);
        latent.ConsensusLabel = "schooner";
        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync();
        Assert.Equal([latent.Id], FtsHits(db, "schooner"));
        AssertIntegrity(db);
    }

    [Fact]
    public async Task A_database_migrated_from_before_the_index_finds_its_existing_latents()
    {
        await using var t = new TestDatabase();
        long dictionaryId;
        await using (var db = t.Create())
        {
            // The trigram tokenizer needs SQLite 3.34 or later (the bundled e_sqlite3).
            var version = await db.Database.SqlQuery<string>($"SELECT sqlite_version() AS \"Value\"").SingleAsync();
            Assert.True(Version.Parse(version) >= new Version(3, 34), $"SQLite {version}");
            await db.GetService<IMigrator>().MigrateAsync("20261203230457_LatentSearchText");
            Assert.Equal(0, await db.Database.SqlQuery<int>($"SELECT count(*) AS \"Value\" FROM sqlite_master WHERE name = 'LatentSearch'").SingleAsync());
            var dictionary = new SaeDictionary { Name = "old", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 8, SaePath = "/x" };
            db.Dictionaries.Add(dictionary);
            await db.SaveChangesAsync();
            dictionaryId = dictionary.Id;
            db.Latents.AddRange(
                new Latent { DictionaryId = dictionaryId, Index = 0, ConsensusLabel = "Old harbours" },
                new Latent { DictionaryId = dictionaryId, Index = 1, ConsensusLabel = "Old ships" });
            await db.SaveChangesAsync();
        }
        await using (var db = t.Create())
        {
            await db.MigrateWorkbenchDatabaseAsync();
            Assert.Equal(2, FtsHits(db, "old ").Count);
            Assert.Equal([0], db.Latents.Where(LatentSearchIndex.Contains(db, "harbour").Test).Select(l => l.Index).ToList());
            AssertIntegrity(db);
        }
    }

    [Fact]
    public async Task Start_up_puts_back_an_index_whose_triggers_a_table_rebuild_dropped()
    {
        await using var t = await new TestDatabase().InitializeAsync();
        await using var db = t.Create();
        Assert.False(await LatentSearchIndex.RepairAsync(db));
        // As a later migration that rebuilds the Latents table leaves it: the triggers gone, then a write they miss.
        foreach (var sql in LatentSearchIndex.SqliteDrop.SkipLast(1)) await db.Database.ExecuteSqlRawAsync(sql);
        await db.Latents.Where(l => l.Id == t.LatentId).ExecuteUpdateAsync(u => u.SetProperty(l => l.SearchText, "lighthouse"));
        Assert.Empty(FtsHits(db, "lighthouse"));

        Assert.True(await LatentSearchIndex.RepairAsync(db));
        Assert.Equal([t.LatentId], FtsHits(db, "lighthouse"));
        AssertIntegrity(db);
        Assert.False(await LatentSearchIndex.RepairAsync(db));
    }

    /// <summary>Texts with quotes, backslashes, LIKE's and FTS5's special characters and letters beyond ASCII (as stored: lower-cased).</summary>
    private static readonly string[] Texts =
    [
        "say \"hi\" to émile\\", "100% of snake_case", "a%b_c\\d", "l'école des beaux-arts", "naïve café", "* star or not *",
        "year of the long war", "the war", "ab", "", "\"\"", "x_y%z", "ärger über öl", "near \u001F far",
    ];

    private static readonly string[] Needles =
    [
        "a", "é", "%", "_", "\\", "\"", "ab", "\"h", "\\d", "%b", "_c", "ye", "öl", "e\\", // shorter than a trigram
        "the", "war", "éco", "%_c", "a%b", "x_y", "c\\d", "\"\"", "hi\"", "le\\", "***", "* s", "ïve", // three characters
        "year of the", "snake_case", "100%", "say \"hi\"", "émile\\", "a%b_c\\d", "beaux-arts", "ärger über", "n%ve", "e_c",
        "of the long war", "not there", "l'éc", "near \u001F far", "near ", // longer
    ];

    [Theory]
    [MemberData(nameof(SaeWorkbench.Tests.Shared.TestServers.Providers), MemberType = typeof(SaeWorkbench.Tests.Shared.TestServers))]
    public async Task The_indexed_search_equals_a_substring_test_for_needles_of_every_length_and_character(string provider)
    {
        await using var t = await new TestDatabase(provider).InitializeAsync();
        await using var db = t.Create();
        var dictionaryId = (await db.Latents.SingleAsync(l => l.Id == t.LatentId)).DictionaryId;
        var index = 10;
        foreach (var text in Texts) db.Latents.Add(new Latent { DictionaryId = dictionaryId, Index = index++ });
        await db.SaveChangesAsync();
        // The texts written as they are (the save would write its rule's text), so every character reaches the index.
        var ids = await db.Latents.Where(l => l.Index >= 10).OrderBy(l => l.Index).Select(l => l.Id).ToListAsync();
        for (var i = 0; i < Texts.Length; i++)
        {
            var text = Texts[i];
            await db.Latents.Where(l => l.Id == ids[i]).ExecuteUpdateAsync(u => u.SetProperty(l => l.SearchText, text));
        }
        var stored = await db.Latents.AsNoTracking().ToDictionaryAsync(l => l.Id, l => l.SearchText);
        foreach (var needle in Needles)
        {
            var expected = stored.Where(s => s.Value.Contains(needle, StringComparison.Ordinal)).Select(s => s.Key).Order().ToList();
            Assert.True(expected.SequenceEqual(Searched(db, needle)), $"{provider}: '{needle}' found [{string.Join(", ", Searched(db, needle))}], expected [{string.Join(", ", expected)}]");
        }
        if (provider == "Sqlite") AssertIntegrity(db);
    }

    [Fact]
    public async Task On_sqlite_a_needle_most_latents_hold_keeps_the_substring_test_and_a_rare_one_takes_the_fts_table()
    {
        await using var t = await new TestDatabase().InitializeAsync();
        await using var db = t.Create();
        var dictionaryId = (await db.Latents.SingleAsync(l => l.Id == t.LatentId)).DictionaryId;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var i = 0; i <= LatentSearchIndex.SqliteMostHits; i++)
            db.Latents.Add(new Latent { DictionaryId = dictionaryId, Index = 10 + i, ConsensusLabel = i == 77 ? "common and rare" : "common" });
        await db.SaveChangesAsync();

        var (commonTest, commonByIds) = LatentSearchIndex.Contains(db, "common");
        Assert.False(commonByIds);
        var common = db.Latents.Where(commonTest);
        Assert.Contains("instr", common.ToQueryString());
        Assert.Equal(LatentSearchIndex.SqliteMostHits + 1, await common.CountAsync());
        var (rareTest, rareByIds) = LatentSearchIndex.Contains(db, "d rare");
        Assert.True(rareByIds);
        var rare = db.Latents.Where(l => l.DictionaryId + 0 == dictionaryId).Where(rareTest);
        Assert.DoesNotContain("instr", rare.ToQueryString());
        Assert.Equal([87], await rare.Select(l => l.Index).ToListAsync());
        // Read by id: the plan looks each hit up by its primary key.
        Assert.Contains(await PlanAsync(db, rare.Select(l => l.Id), "EXPLAIN QUERY PLAN"), step => step.Contains("INTEGER PRIMARY KEY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_postgres_the_search_is_a_like_pattern_that_the_trigram_index_serves()
    {
        await using var t = await new TestDatabase("Postgres").InitializeAsync();
        await using var db = t.Create();
        var query = db.Latents.Where(LatentSearchIndex.Contains(db, "100%_\\x").Test).Select(l => l.Id);
        // Npgsql's substring test: LIKE with a pattern it escapes ('%100\%\_\\x%').
        Assert.Contains("LIKE", query.ToQueryString());
        // Sequential scans priced out, as on a table too large to read whole: the GIN index then serves the pattern.
        await using var tx = await db.Database.BeginTransactionAsync();
        await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_seqscan = off");
        var plan = await PlanAsync(db, query, "EXPLAIN");
        output.WriteLine(string.Join(Environment.NewLine, plan));
        Assert.Contains(plan, step => step.Contains("IX_Latents_SearchText_Trigram", StringComparison.Ordinal));
    }
}
