using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SteeringComparisons : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "SteeringComparisons",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DictionaryId = table.Column<long>(type: "INTEGER", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Tags = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    AuthorId = table.Column<string>(type: "TEXT", nullable: false),
                    AuthorName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Prompt = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: false),
                    SettingsJson = table.Column<string>(type: "TEXT", nullable: false),
                    OutputsJson = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SteeringComparisons", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SteeringComparisons_AspNetUsers_AuthorId",
                        column: x => x.AuthorId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_SteeringComparisons_Dictionaries_DictionaryId",
                        column: x => x.DictionaryId,
                        principalTable: "Dictionaries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SteeringComparisonLatents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ComparisonId = table.Column<long>(type: "INTEGER", nullable: false),
                    DictionaryId = table.Column<long>(type: "INTEGER", nullable: false),
                    LatentIndex = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SteeringComparisonLatents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SteeringComparisonLatents_SteeringComparisons_ComparisonId",
                        column: x => x.ComparisonId,
                        principalTable: "SteeringComparisons",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SteeringReviews",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ComparisonId = table.Column<long>(type: "INTEGER", nullable: false),
                    ReviewerId = table.Column<string>(type: "TEXT", nullable: false),
                    ReviewerName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Blind = table.Column<bool>(type: "INTEGER", nullable: false),
                    Sample = table.Column<int>(type: "INTEGER", nullable: false),
                    InterventionShownFirst = table.Column<bool>(type: "INTEGER", nullable: false),
                    GuessedFirst = table.Column<bool>(type: "INTEGER", nullable: true),
                    GuessCorrect = table.Column<bool>(type: "INTEGER", nullable: true),
                    Effect = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Coherence = table.Column<int>(type: "INTEGER", nullable: true),
                    Comment = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SubmittedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SteeringReviews", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SteeringReviews_AspNetUsers_ReviewerId",
                        column: x => x.ReviewerId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_SteeringReviews_SteeringComparisons_ComparisonId",
                        column: x => x.ComparisonId,
                        principalTable: "SteeringComparisons",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_SteeringComparisonLatents_ComparisonId_LatentIndex",
                table: "SteeringComparisonLatents",
                columns: new[] { "ComparisonId", "LatentIndex" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SteeringComparisonLatents_DictionaryId_LatentIndex",
                table: "SteeringComparisonLatents",
                columns: new[] { "DictionaryId", "LatentIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_SteeringComparisons_AuthorId",
                table: "SteeringComparisons",
                column: "AuthorId");

            migrationBuilder.CreateIndex(
                name: "IX_SteeringComparisons_CreatedAt",
                table: "SteeringComparisons",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_SteeringComparisons_DictionaryId",
                table: "SteeringComparisons",
                column: "DictionaryId");

            migrationBuilder.CreateIndex(
                name: "IX_SteeringReviews_ComparisonId_ReviewerId",
                table: "SteeringReviews",
                columns: new[] { "ComparisonId", "ReviewerId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SteeringReviews_ReviewerId",
                table: "SteeringReviews",
                column: "ReviewerId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SteeringComparisonLatents");

            migrationBuilder.DropTable(
                name: "SteeringReviews");

            migrationBuilder.DropTable(
                name: "SteeringComparisons");
        }
    }
}
