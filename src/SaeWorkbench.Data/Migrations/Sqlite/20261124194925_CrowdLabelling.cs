using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CrowdLabelling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "DetectionSessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    InterpretationId = table.Column<long>(type: "INTEGER", nullable: false),
                    RaterId = table.Column<string>(type: "TEXT", nullable: false),
                    Seed = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SubmittedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    TruePositives = table.Column<int>(type: "INTEGER", nullable: false),
                    FalsePositives = table.Column<int>(type: "INTEGER", nullable: false),
                    TrueNegatives = table.Column<int>(type: "INTEGER", nullable: false),
                    FalseNegatives = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DetectionSessions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DetectionSessions_AspNetUsers_RaterId",
                        column: x => x.RaterId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_DetectionSessions_Interpretations_InterpretationId",
                        column: x => x.InterpretationId,
                        principalTable: "Interpretations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LabellingScopes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DictionaryId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Definition = table.Column<string>(type: "TEXT", maxLength: 20000, nullable: true),
                    IsBlind = table.Column<bool>(type: "INTEGER", nullable: false),
                    LabelsPerLatent = table.Column<int>(type: "INTEGER", nullable: false),
                    ClaimMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    Priority = table.Column<int>(type: "INTEGER", nullable: false),
                    IncludeDeadLatents = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedById = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    IsArchived = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LabellingScopes", x => x.Id);
                    table.CheckConstraint("CK_LabellingScopes_LabelsPerLatent", "\"LabelsPerLatent\" BETWEEN 1 AND 10");
                    table.ForeignKey(
                        name: "FK_LabellingScopes_AspNetUsers_CreatedById",
                        column: x => x.CreatedById,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_LabellingScopes_Dictionaries_DictionaryId",
                        column: x => x.DictionaryId,
                        principalTable: "Dictionaries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "DetectionContexts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SessionId = table.Column<long>(type: "INTEGER", nullable: false),
                    Position = table.Column<int>(type: "INTEGER", nullable: false),
                    TokenIds = table.Column<byte[]>(type: "BLOB", nullable: false),
                    IsActivating = table.Column<bool>(type: "INTEGER", nullable: false),
                    SourceExampleId = table.Column<long>(type: "INTEGER", nullable: false),
                    Bin = table.Column<int>(type: "INTEGER", nullable: false),
                    MarkedAsMatching = table.Column<bool>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DetectionContexts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DetectionContexts_DetectionSessions_SessionId",
                        column: x => x.SessionId,
                        principalTable: "DetectionSessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "QueueClaims",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ScopeId = table.Column<long>(type: "INTEGER", nullable: false),
                    LatentId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", nullable: false),
                    Slot = table.Column<int>(type: "INTEGER", nullable: false),
                    ClaimedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QueueClaims", x => x.Id);
                    table.CheckConstraint("CK_QueueClaims_Slot", "\"Slot\" BETWEEN 0 AND 9");
                    table.ForeignKey(
                        name: "FK_QueueClaims_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_QueueClaims_LabellingScopes_ScopeId",
                        column: x => x.ScopeId,
                        principalTable: "LabellingScopes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_QueueClaims_Latents_LatentId",
                        column: x => x.LatentId,
                        principalTable: "Latents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "QueueSkips",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ScopeId = table.Column<long>(type: "INTEGER", nullable: false),
                    LatentId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QueueSkips", x => x.Id);
                    table.ForeignKey(
                        name: "FK_QueueSkips_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_QueueSkips_LabellingScopes_ScopeId",
                        column: x => x.ScopeId,
                        principalTable: "LabellingScopes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_QueueSkips_Latents_LatentId",
                        column: x => x.LatentId,
                        principalTable: "Latents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ScopeLatents",
                columns: table => new
                {
                    ScopeId = table.Column<long>(type: "INTEGER", nullable: false),
                    LatentId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ScopeLatents", x => new { x.ScopeId, x.LatentId });
                    table.ForeignKey(
                        name: "FK_ScopeLatents_LabellingScopes_ScopeId",
                        column: x => x.ScopeId,
                        principalTable: "LabellingScopes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ScopeLatents_Latents_LatentId",
                        column: x => x.LatentId,
                        principalTable: "Latents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_DetectionContexts_SessionId_Position",
                table: "DetectionContexts",
                columns: new[] { "SessionId", "Position" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DetectionSessions_InterpretationId_RaterId",
                table: "DetectionSessions",
                columns: new[] { "InterpretationId", "RaterId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DetectionSessions_RaterId",
                table: "DetectionSessions",
                column: "RaterId");

            migrationBuilder.CreateIndex(
                name: "IX_LabellingScopes_CreatedById",
                table: "LabellingScopes",
                column: "CreatedById");

            migrationBuilder.CreateIndex(
                name: "IX_LabellingScopes_DictionaryId",
                table: "LabellingScopes",
                column: "DictionaryId");

            migrationBuilder.CreateIndex(
                name: "IX_QueueClaims_LatentId",
                table: "QueueClaims",
                column: "LatentId");

            migrationBuilder.CreateIndex(
                name: "IX_QueueClaims_ScopeId_LatentId_Slot",
                table: "QueueClaims",
                columns: new[] { "ScopeId", "LatentId", "Slot" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_QueueClaims_ScopeId_LatentId_UserId",
                table: "QueueClaims",
                columns: new[] { "ScopeId", "LatentId", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_QueueClaims_ScopeId_UserId",
                table: "QueueClaims",
                columns: new[] { "ScopeId", "UserId" });

            migrationBuilder.CreateIndex(
                name: "IX_QueueClaims_UserId",
                table: "QueueClaims",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_QueueSkips_LatentId",
                table: "QueueSkips",
                column: "LatentId");

            migrationBuilder.CreateIndex(
                name: "IX_QueueSkips_ScopeId_LatentId_UserId",
                table: "QueueSkips",
                columns: new[] { "ScopeId", "LatentId", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_QueueSkips_UserId",
                table: "QueueSkips",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_ScopeLatents_LatentId",
                table: "ScopeLatents",
                column: "LatentId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DetectionContexts");

            migrationBuilder.DropTable(
                name: "QueueClaims");

            migrationBuilder.DropTable(
                name: "QueueSkips");

            migrationBuilder.DropTable(
                name: "ScopeLatents");

            migrationBuilder.DropTable(
                name: "DetectionSessions");

            migrationBuilder.DropTable(
                name: "LabellingScopes");
        }
    }
}
