using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FeatureDashboards : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "LatentAnalyses",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DictionaryId = table.Column<long>(type: "INTEGER", nullable: false),
                    JobId = table.Column<long>(type: "INTEGER", nullable: true),
                    TokensAnalysed = table.Column<long>(type: "INTEGER", nullable: false),
                    CorpusPath = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    SettingsJson = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    IsCurrent = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LatentAnalyses", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LatentAnalyses_Dictionaries_DictionaryId",
                        column: x => x.DictionaryId,
                        principalTable: "Dictionaries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LatentAnalyses_Jobs_JobId",
                        column: x => x.JobId,
                        principalTable: "Jobs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "FeatureDashboards",
                columns: table => new
                {
                    AnalysisId = table.Column<long>(type: "INTEGER", nullable: false),
                    LatentId = table.Column<long>(type: "INTEGER", nullable: false),
                    LatentIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    ActiveCount = table.Column<long>(type: "INTEGER", nullable: false),
                    Density = table.Column<double>(type: "REAL", nullable: false),
                    MaxActivation = table.Column<double>(type: "REAL", nullable: false),
                    MeanActivation = table.Column<double>(type: "REAL", nullable: false),
                    IsDead = table.Column<bool>(type: "INTEGER", nullable: false),
                    Histogram = table.Column<byte[]>(type: "BLOB", nullable: false),
                    IntervalCounts = table.Column<byte[]>(type: "BLOB", nullable: false),
                    LogitPositiveTokens = table.Column<byte[]>(type: "BLOB", nullable: false),
                    LogitPositiveValues = table.Column<byte[]>(type: "BLOB", nullable: false),
                    LogitNegativeTokens = table.Column<byte[]>(type: "BLOB", nullable: false),
                    LogitNegativeValues = table.Column<byte[]>(type: "BLOB", nullable: false),
                    LogitHistogram = table.Column<byte[]>(type: "BLOB", nullable: false),
                    LogitHistogramMin = table.Column<double>(type: "REAL", nullable: false),
                    LogitHistogramMax = table.Column<double>(type: "REAL", nullable: false),
                    NeighbourIndices = table.Column<byte[]>(type: "BLOB", nullable: false),
                    NeighbourCosines = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeatureDashboards", x => new { x.AnalysisId, x.LatentId });
                    table.ForeignKey(
                        name: "FK_FeatureDashboards_LatentAnalyses_AnalysisId",
                        column: x => x.AnalysisId,
                        principalTable: "LatentAnalyses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_FeatureDashboards_Latents_LatentId",
                        column: x => x.LatentId,
                        principalTable: "Latents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "FeatureExamples",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    AnalysisId = table.Column<long>(type: "INTEGER", nullable: false),
                    LatentId = table.Column<long>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Bin = table.Column<int>(type: "INTEGER", nullable: false),
                    Rank = table.Column<int>(type: "INTEGER", nullable: false),
                    TokenIds = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Activations = table.Column<byte[]>(type: "BLOB", nullable: false),
                    PeakOffset = table.Column<int>(type: "INTEGER", nullable: false),
                    PeakActivation = table.Column<double>(type: "REAL", nullable: false),
                    WindowIndex = table.Column<long>(type: "INTEGER", nullable: false),
                    Position = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeatureExamples", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FeatureExamples_LatentAnalyses_AnalysisId",
                        column: x => x.AnalysisId,
                        principalTable: "LatentAnalyses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_FeatureExamples_Latents_LatentId",
                        column: x => x.LatentId,
                        principalTable: "Latents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_FeatureDashboards_LatentId",
                table: "FeatureDashboards",
                column: "LatentId");

            migrationBuilder.CreateIndex(
                name: "IX_FeatureExamples_AnalysisId",
                table: "FeatureExamples",
                column: "AnalysisId");

            migrationBuilder.CreateIndex(
                name: "IX_FeatureExamples_LatentId_AnalysisId_Kind_Bin_Rank",
                table: "FeatureExamples",
                columns: new[] { "LatentId", "AnalysisId", "Kind", "Bin", "Rank" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LatentAnalyses_DictionaryId",
                table: "LatentAnalyses",
                column: "DictionaryId",
                unique: true,
                filter: "\"IsCurrent\" = 1");

            migrationBuilder.CreateIndex(
                name: "IX_LatentAnalyses_JobId",
                table: "LatentAnalyses",
                column: "JobId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FeatureDashboards");

            migrationBuilder.DropTable(
                name: "FeatureExamples");

            migrationBuilder.DropTable(
                name: "LatentAnalyses");
        }
    }
}
