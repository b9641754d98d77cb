using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class LocalExplanationModel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Kind",
                table: "ExplanationProviderSettings",
                type: "TEXT",
                maxLength: 20,
                nullable: false,
                defaultValue: "endpoint");

            migrationBuilder.AddColumn<int>(
                name: "MaxNewTokens",
                table: "ExplanationProviderSettings",
                type: "INTEGER",
                nullable: false,
                defaultValue: 512);

            migrationBuilder.AddColumn<string>(
                name: "ModelPath",
                table: "ExplanationProviderSettings",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "Seed",
                table: "ExplanationProviderSettings",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<double>(
                name: "Temperature",
                table: "ExplanationProviderSettings",
                type: "REAL",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<double>(
                name: "TopP",
                table: "ExplanationProviderSettings",
                type: "REAL",
                nullable: false,
                defaultValue: 1.0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Kind",
                table: "ExplanationProviderSettings");

            migrationBuilder.DropColumn(
                name: "MaxNewTokens",
                table: "ExplanationProviderSettings");

            migrationBuilder.DropColumn(
                name: "ModelPath",
                table: "ExplanationProviderSettings");

            migrationBuilder.DropColumn(
                name: "Seed",
                table: "ExplanationProviderSettings");

            migrationBuilder.DropColumn(
                name: "Temperature",
                table: "ExplanationProviderSettings");

            migrationBuilder.DropColumn(
                name: "TopP",
                table: "ExplanationProviderSettings");
        }
    }
}
