using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class LatentPreviews : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "TopContext",
                table: "Latents",
                type: "character varying(600)",
                maxLength: 600,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TopTokens",
                table: "Latents",
                type: "character varying(400)",
                maxLength: 400,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TopContext",
                table: "FeatureDashboards",
                type: "character varying(600)",
                maxLength: 600,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TopTokens",
                table: "FeatureDashboards",
                type: "character varying(400)",
                maxLength: 400,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "TopContext",
                table: "Latents");

            migrationBuilder.DropColumn(
                name: "TopTokens",
                table: "Latents");

            migrationBuilder.DropColumn(
                name: "TopContext",
                table: "FeatureDashboards");

            migrationBuilder.DropColumn(
                name: "TopTokens",
                table: "FeatureDashboards");
        }
    }
}
