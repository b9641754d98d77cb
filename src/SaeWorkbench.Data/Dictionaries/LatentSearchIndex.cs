using Microsoft.EntityFrameworkCore;

namespace SaeWorkbench.Data.Dictionaries;

/// <summary>
/// The trigram index over <see cref="Latent.SearchText"/> that lets the feature list's text search find a rare word
/// without reading every latent (docs/architecture.md §5). On SQLite an FTS5 table with the trigram tokenizer, case
/// sensitive because the stored text and the needle are both lower-cased already (<see cref="LatentSearchTexts"/>), so a
/// phrase query of a needle is exactly "a substring of the search text" for a needle of at least
/// <see cref="MinimumLength"/> characters. On PostgreSQL a GIN index with pg_trgm's operator class, declared in the model
/// (WorkbenchDbContext), which serves the <c>LIKE '%needle%'</c> that Npgsql writes for a substring test.
/// <para>
/// The SQLite table is an external-content table over Latents (content='Latents', content_rowid='Id'): it stores the
/// trigrams, not a second copy of every text, and <c>'rebuild'</c> fills it from the rows in one statement. Triggers keep
/// it: on insert, on an update of SearchText, on delete (a dictionary's cascade deletes its latents' entries too). Its
/// DDL is raw SQL that EF's model does not know, so a later migration that rebuilds the Latents table (SQLite's way
/// to alter a column) drops the triggers: <see cref="RepairAsync"/> at start-up puts them back and rebuilds the table.
/// </para>
/// </summary>
public static class LatentSearchIndex
{
    /// <summary>The FTS5 table's name.</summary>
    public const string SqliteTable = "LatentSearch";

    /// <summary>A trigram index finds only needles of at least three characters (Unicode scalars); shorter ones match no row.</summary>
    public const int MinimumLength = 3;

    private static readonly string[] Triggers = ["Latents_SearchIndex_Insert", "Latents_SearchIndex_Update", "Latents_SearchIndex_Delete"];

    /// <summary>The trigger that follows an update of a search text (<see cref="WithoutUpdateTriggerAsync"/> sets it aside).</summary>
    private static readonly string SqliteUpdateTrigger = $"""
         CREATE TRIGGER "{Triggers[1]}" AFTER UPDATE OF "SearchText" ON "Latents" WHEN old."SearchText" IS NOT new."SearchText" BEGIN
             INSERT INTO "{SqliteTable}"("{SqliteTable}", rowid, "SearchText") VALUES ('delete', old."Id", old."SearchText");
             INSERT INTO "{SqliteTable}"(rowid, "SearchText") VALUES (new."Id", new."SearchText");
         END;
         """;

    /// <summary>
    /// The fewest rewritten search texts, and the least share of all latents (1 in <see cref="SqliteBulkShare"/>), for which
    /// <see cref="WithoutUpdateTriggerAsync"/> rebuilds the FTS5 table instead of letting the trigger follow each row.
    /// </summary>
    public const int SqliteBulkRows = 1_000;

    /// <inheritdoc cref="SqliteBulkRows"/>
    public const int SqliteBulkShare = 10;

    /// <summary>
    /// Runs <paramref name="write"/>, which rewrites <paramref name="rows"/> search texts, inside the caller's open
    /// transaction. On SQLite, where the rows are at least <see cref="SqliteBulkRows"/> and one in
    /// <see cref="SqliteBulkShare"/> of all latents (an analysis's refresh of a whole dictionary), the update trigger is
    /// set aside and the table rebuilt once afterwards, in the same transaction. Bought by the browse benchmark's
    /// "an analysis's refresh" of 97,388 texts at 100,000 latents (the trigger alone: 7.9 s, against 0.76 s without the index).
    /// </summary>
    public static async Task WithoutUpdateTriggerAsync(WorkbenchDbContext db, int rows, Func<Task> write, CancellationToken ct = default)
    {
        var bulk = db.Database.IsSqlite() && rows >= SqliteBulkRows
                   && (long)rows * SqliteBulkShare >= await db.Latents.LongCountAsync(ct)
                   && await db.Database.SqlQuery<int>($"SELECT count(*) AS \"Value\" FROM sqlite_master WHERE type = 'trigger' AND name = {Triggers[1]}").SingleAsync(ct) == 1;
        if (!bulk)
        {
            await write();
            return;
        }
        await db.Database.ExecuteSqlRawAsync(SqliteDrop[1], ct);
        await write();
        await db.Database.ExecuteSqlRawAsync(SqliteUpdateTrigger, ct);
        await db.Database.ExecuteSqlRawAsync(SqliteCreate[^1], ct);
    }

    /// <summary>Creates the FTS5 table and its triggers (none of them may exist) and fills the table from every latent.</summary>
    public static readonly string[] SqliteCreate =
    [
        $"""
         CREATE VIRTUAL TABLE "{SqliteTable}" USING fts5("SearchText", content='Latents', content_rowid='Id',
             tokenize='trigram case_sensitive 1', columnsize=0);
         """,
        $"""
         CREATE TRIGGER "{Triggers[0]}" AFTER INSERT ON "Latents" BEGIN
             INSERT INTO "{SqliteTable}"(rowid, "SearchText") VALUES (new."Id", new."SearchText");
         END;
         """,
        SqliteUpdateTrigger,
        $"""
         CREATE TRIGGER "{Triggers[2]}" AFTER DELETE ON "Latents" BEGIN
             INSERT INTO "{SqliteTable}"("{SqliteTable}", rowid, "SearchText") VALUES ('delete', old."Id", old."SearchText");
         END;
         """,
        $"""INSERT INTO "{SqliteTable}"("{SqliteTable}") VALUES ('rebuild');""",
    ];

    /// <summary>Drops the triggers and the FTS5 table, whichever exist.</summary>
    public static readonly string[] SqliteDrop =
        [.. Triggers.Select(t => $"""DROP TRIGGER IF EXISTS "{t}";"""), $"""DROP TABLE IF EXISTS "{SqliteTable}";"""];

    /// <summary>Whether <paramref name="needle"/> is long enough for the trigram index.</summary>
    public static bool Indexable(string needle) => needle.EnumerateRunes().Take(MinimumLength).Count() == MinimumLength;

    /// <summary>An FTS5 query that matches the needle as one phrase (a double quote inside is doubled, FTS5's escape).</summary>
    public static string Phrase(string needle) => "\"" + needle.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// The most latents (of every dictionary) whose search texts may hold a needle for a search on SQLite to read them by
    /// id; past it the substring test walks the sort's index, and a page of a needle that common fills within a few
    /// thousand rows. Near the crossing of the two costs at 100,000 latents (about 1.5 µs to read and sort a hit, about
    /// 1–2 µs to read and test a row in the sort's order).
    /// </summary>
    public const int SqliteMostHits = 500;

    /// <summary>
    /// The test "the latent's search text holds <paramref name="needle"/>" (already lower-cased, <see cref="LatentSearchTexts.Needle"/>)
    /// in the form the provider's index serves, and whether it is a list of ids to read the latents by. A needle shorter
    /// than <see cref="MinimumLength"/> keeps the plain substring test (instr). PostgreSQL: Npgsql writes the substring
    /// test as <c>LIKE '%needle%'</c> with the needle's wildcards and backslashes escaped in the parameter, which the GIN
    /// trigram index serves where the planner finds it cheaper. SQLite: first reads the FTS5 hits, up to
    /// <see cref="SqliteMostHits"/> + 1 (synchronously: SQLite's ADO.NET provider runs an async command synchronously
    /// too); at most that many, the latent's id among them (one JSON parameter), else the substring test. SQLite's planner
    /// cannot tell a rare needle from a common one, so the caller reads a list of ids by id (<c>ByIds</c>): otherwise it
    /// walks the dictionary's whole sort index, testing every entry against the hits.
    /// <paramref name="heldByMany"/>: the caller already knows that more than <see cref="SqliteMostHits"/> latents hold the
    /// needle (a view's kept total), so the index is not read: the answer would be the substring test anyway.
    /// Bought by the browse benchmark's search for a word found nowhere: catalog CPU 85–100 ms → 0.4 ms per call at 100,000 latents.
    /// </summary>
    public static (System.Linq.Expressions.Expression<Func<Latent, bool>> Test, bool ByIds) Contains(WorkbenchDbContext db, string needle,
        bool heldByMany = false)
    {
        if (heldByMany || !Indexable(needle) || !db.Database.IsSqlite()) return (l => l.SearchText.Contains(needle), false);
        var hits = db.Database.SqlQuery<long>(
            $"SELECT rowid AS \"Value\" FROM \"LatentSearch\" WHERE \"LatentSearch\" MATCH {Phrase(needle)} LIMIT {SqliteMostHits + 1}").ToArray();
        if (hits.Length > SqliteMostHits) return (l => l.SearchText.Contains(needle), false);
        return (l => EF.Parameter(hits).Contains(l.Id), true);
    }

    /// <summary>
    /// On SQLite, recreates the FTS5 table, its triggers and its contents when any of them is missing (a later migration
    /// that rebuilt the Latents table drops the triggers); returns whether it did. Does nothing on PostgreSQL, whose index
    /// is part of the model.
    /// </summary>
    public static async Task<bool> RepairAsync(WorkbenchDbContext db, CancellationToken ct = default)
    {
        if (!db.Database.IsSqlite()) return false;
        var names = Triggers.Append(SqliteTable).ToArray();
        var present = await db.Database.SqlQuery<string>($"SELECT name AS \"Value\" FROM sqlite_master WHERE type IN ('table', 'trigger')")
            .ToListAsync(ct);
        if (names.All(present.Contains)) return false;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var sql in SqliteDrop.Concat(SqliteCreate)) await db.Database.ExecuteSqlRawAsync(sql, ct);
        await tx.CommitAsync(ct);
        return true;
    }
}
