using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CoveringSortIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_Density_Index",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_LabelStatus_Index",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_LabelStatusDesc_Index",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_MaxActivation_Index",
                table: "Latents");

            migrationBuilder.CreateIndex(
                name: "IX_Latents_Sort_Density",
                table: "Latents",
                columns: new[] { "DictionaryId", "Density", "Index", "IsDead", "LabelStatus", "ConsensusTag" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_Sort_Index",
                table: "Latents",
                columns: new[] { "DictionaryId", "Index", "IsDead", "Density", "LabelStatus", "ConsensusTag" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_Sort_LabelStatus",
                table: "Latents",
                columns: new[] { "DictionaryId", "LabelStatus", "Index", "IsDead", "Density", "ConsensusTag" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_Sort_LabelStatusDesc",
                table: "Latents",
                columns: new[] { "DictionaryId", "LabelStatus", "Index", "IsDead", "Density", "ConsensusTag" },
                descending: new[] { false, true, false, false, false, false });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_Sort_MaxActivation",
                table: "Latents",
                columns: new[] { "DictionaryId", "MaxActivation", "Index", "IsDead", "Density", "LabelStatus", "ConsensusTag" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Latents_Sort_Density",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_Sort_Index",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_Sort_LabelStatus",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_Sort_LabelStatusDesc",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_Sort_MaxActivation",
                table: "Latents");

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_Density_Index",
                table: "Latents",
                columns: new[] { "DictionaryId", "Density", "Index" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_LabelStatus_Index",
                table: "Latents",
                columns: new[] { "DictionaryId", "LabelStatus", "Index" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_LabelStatusDesc_Index",
                table: "Latents",
                columns: new[] { "DictionaryId", "LabelStatus", "Index" },
                descending: new[] { false, true, false });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_MaxActivation_Index",
                table: "Latents",
                columns: new[] { "DictionaryId", "MaxActivation", "Index" });
        }
    }
}
