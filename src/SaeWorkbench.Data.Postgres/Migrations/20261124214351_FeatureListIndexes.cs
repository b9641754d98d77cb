using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class FeatureListIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_ConsensusTag_Index",
                table: "Latents",
                columns: new[] { "DictionaryId", "ConsensusTag", "Index" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_IsDead_Density",
                table: "Latents",
                columns: new[] { "DictionaryId", "IsDead", "Density" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_IsDead_Index",
                table: "Latents",
                columns: new[] { "DictionaryId", "IsDead", "Index" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_ConsensusTag_Index",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_IsDead_Density",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_IsDead_Index",
                table: "Latents");
        }
    }
}
