using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class StoredMarkdownHtml : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CommentHtml",
                table: "SteeringReviews",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DescriptionHtml",
                table: "InterpretationVersions",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DescriptionHtml",
                table: "Interpretations",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BodyHtml",
                table: "Comments",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CommentHtml",
                table: "SteeringReviews");

            migrationBuilder.DropColumn(
                name: "DescriptionHtml",
                table: "InterpretationVersions");

            migrationBuilder.DropColumn(
                name: "DescriptionHtml",
                table: "Interpretations");

            migrationBuilder.DropColumn(
                name: "BodyHtml",
                table: "Comments");
        }
    }
}
