using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class LatentSearchText : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SearchText",
                table: "Latents",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "IX_Latents_Sort_DensityDesc",
                table: "Latents",
                columns: new[] { "DictionaryId", "Density", "Index", "IsDead", "LabelStatus", "ConsensusTag" },
                descending: new[] { false, true, false, false, false, false });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_Sort_MaxActivationDesc",
                table: "Latents",
                columns: new[] { "DictionaryId", "MaxActivation", "Index", "IsDead", "Density", "LabelStatus", "ConsensusTag" },
                descending: new[] { false, true, false, false, false, false, false });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Latents_Sort_DensityDesc",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_Sort_MaxActivationDesc",
                table: "Latents");

            migrationBuilder.DropColumn(
                name: "SearchText",
                table: "Latents");
        }
    }
}
