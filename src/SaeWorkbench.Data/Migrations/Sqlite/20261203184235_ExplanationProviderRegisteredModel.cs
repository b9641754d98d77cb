using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ExplanationProviderRegisteredModel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "RegisteredModelId",
                table: "ExplanationProviderSettings",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "RegisteredModelId",
                table: "ExplanationProviderSettings");
        }
    }
}
