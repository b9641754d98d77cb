using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ListPerformance : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_Density",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_MaxActivation",
                table: "Latents");

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_Density_Index",
                table: "Latents",
                columns: new[] { "DictionaryId", "Density", "Index" });

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

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_Density_Index",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_LabelStatusDesc_Index",
                table: "Latents");

            migrationBuilder.DropIndex(
                name: "IX_Latents_DictionaryId_MaxActivation_Index",
                table: "Latents");

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_Density",
                table: "Latents",
                columns: new[] { "DictionaryId", "Density" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_MaxActivation",
                table: "Latents",
                columns: new[] { "DictionaryId", "MaxActivation" });
        }
    }
}
