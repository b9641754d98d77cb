using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Postgres.Migrations
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
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                defaultValue: "endpoint");

            migrationBuilder.AddColumn<int>(
                name: "MaxNewTokens",
                table: "ExplanationProviderSettings",
                type: "integer",
                nullable: false,
                defaultValue: 512);

            migrationBuilder.AddColumn<string>(
                name: "ModelPath",
                table: "ExplanationProviderSettings",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "Seed",
                table: "ExplanationProviderSettings",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<double>(
                name: "Temperature",
                table: "ExplanationProviderSettings",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<double>(
                name: "TopP",
                table: "ExplanationProviderSettings",
                type: "double precision",
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
