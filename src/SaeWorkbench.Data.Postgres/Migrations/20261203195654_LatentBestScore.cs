using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class LatentBestScore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "BestScore",
                table: "Latents",
                type: "double precision",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Latents_Sort_BestScore",
                table: "Latents",
                columns: new[] { "DictionaryId", "BestScore", "Index", "IsDead", "Density", "LabelStatus", "ConsensusTag" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_Sort_BestScoreDesc",
                table: "Latents",
                columns: new[] { "DictionaryId", "BestScore", "Index", "IsDead", "Density", "LabelStatus", "ConsensusTag" },
                descending: new[] { false, true, false, false, false, false, false });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Latents_Sort_BestScore",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_Sort_BestScoreDesc",
                table: "Latents");

            migrationBuilder.DropColumn(
                name: "BestScore",
                table: "Latents");
        }
    }
}
