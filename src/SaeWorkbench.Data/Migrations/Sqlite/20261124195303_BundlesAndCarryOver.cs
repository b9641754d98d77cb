using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class BundlesAndCarryOver : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BundleImport",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    BundleId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SaeSha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    DictionaryId = table.Column<long>(type: "INTEGER", nullable: false),
                    ImportedById = table.Column<string>(type: "TEXT", nullable: true),
                    ImportedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ManifestJson = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BundleImport", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BundleImport_Dictionaries_DictionaryId",
                        column: x => x.DictionaryId,
                        principalTable: "Dictionaries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ImportedLatentDetail",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    LatentId = table.Column<long>(type: "INTEGER", nullable: false),
                    TopLogitsJson = table.Column<string>(type: "TEXT", nullable: true),
                    TopContextsJson = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ImportedLatentDetail", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ImportedLatentDetail_Latents_LatentId",
                        column: x => x.LatentId,
                        principalTable: "Latents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LabelSuggestion",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    LatentId = table.Column<long>(type: "INTEGER", nullable: false),
                    SourceDictionaryId = table.Column<long>(type: "INTEGER", nullable: false),
                    SourceLatentIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    SourceInterpretationId = table.Column<long>(type: "INTEGER", nullable: true),
                    Cosine = table.Column<double>(type: "REAL", nullable: false),
                    Label = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 100000, nullable: false),
                    Tag = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Confidence = table.Column<int>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    DecidedById = table.Column<string>(type: "TEXT", nullable: true),
                    DecidedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedInterpretationId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LabelSuggestion", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LabelSuggestion_Dictionaries_SourceDictionaryId",
                        column: x => x.SourceDictionaryId,
                        principalTable: "Dictionaries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LabelSuggestion_Latents_LatentId",
                        column: x => x.LatentId,
                        principalTable: "Latents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "WorkspaceSecret",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    PseudonymKey = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkspaceSecret", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BundleImport_BundleId",
                table: "BundleImport",
                column: "BundleId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_BundleImport_DictionaryId",
                table: "BundleImport",
                column: "DictionaryId");

            migrationBuilder.CreateIndex(
                name: "IX_ImportedLatentDetail_LatentId",
                table: "ImportedLatentDetail",
                column: "LatentId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LabelSuggestion_LatentId_SourceDictionaryId",
                table: "LabelSuggestion",
                columns: new[] { "LatentId", "SourceDictionaryId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LabelSuggestion_SourceDictionaryId",
                table: "LabelSuggestion",
                column: "SourceDictionaryId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BundleImport");

            migrationBuilder.DropTable(
                name: "ImportedLatentDetail");

            migrationBuilder.DropTable(
                name: "LabelSuggestion");

            migrationBuilder.DropTable(
                name: "WorkspaceSecret");
        }
    }
}
