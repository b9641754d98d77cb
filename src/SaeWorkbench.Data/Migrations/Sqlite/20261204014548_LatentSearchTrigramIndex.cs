using Microsoft.EntityFrameworkCore.Migrations;
using SaeWorkbench.Data.Dictionaries;

#nullable disable

namespace SaeWorkbench.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class LatentSearchTrigramIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The search texts' FTS5 trigram table and its triggers, filled from the existing latents: raw SQL outside the
            // model (docs/architecture.md §5).
            foreach (var sql in LatentSearchIndex.SqliteCreate) migrationBuilder.Sql(sql);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var sql in LatentSearchIndex.SqliteDrop) migrationBuilder.Sql(sql);
        }
    }
}
