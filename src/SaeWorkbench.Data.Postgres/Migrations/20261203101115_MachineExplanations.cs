using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace SaeWorkbench.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class MachineExplanations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "CountMachineInterpretations",
                table: "WorkspaceSettings",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "ExplanationModelName",
                table: "Interpretations",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ExplanationProviderSettings",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    BaseUrl = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    Model = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ProtectedApiKey = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    TimeoutSeconds = table.Column<int>(type: "integer", nullable: false),
                    MaxRetries = table.Column<int>(type: "integer", nullable: false),
                    MaxConcurrency = table.Column<int>(type: "integer", nullable: false),
                    Streaming = table.Column<bool>(type: "boolean", nullable: false),
                    TokenBudgetPerJob = table.Column<long>(type: "bigint", nullable: false),
                    Logprobs = table.Column<bool>(type: "boolean", nullable: false),
                    UpdatedById = table.Column<string>(type: "text", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ExplanationProviderSettings", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ExplanationScores",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    InterpretationId = table.Column<long>(type: "bigint", nullable: false),
                    InterpretationVersion = table.Column<int>(type: "integer", nullable: false),
                    Scorer = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ModelName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    PromptVersion = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Seed = table.Column<long>(type: "bigint", nullable: false),
                    SampleJson = table.Column<string>(type: "text", nullable: false),
                    AnswersJson = table.Column<string>(type: "text", nullable: false),
                    Contexts = table.Column<int>(type: "integer", nullable: false),
                    Unanswered = table.Column<int>(type: "integer", nullable: false),
                    TruePositives = table.Column<int>(type: "integer", nullable: false),
                    FalsePositives = table.Column<int>(type: "integer", nullable: false),
                    TrueNegatives = table.Column<int>(type: "integer", nullable: false),
                    FalseNegatives = table.Column<int>(type: "integer", nullable: false),
                    BalancedAccuracy = table.Column<double>(type: "double precision", nullable: true),
                    Auroc = table.Column<double>(type: "double precision", nullable: true),
                    PromptTokens = table.Column<int>(type: "integer", nullable: false),
                    CompletionTokens = table.Column<int>(type: "integer", nullable: false),
                    JobId = table.Column<long>(type: "bigint", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ExplanationScores", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ExplanationScores_Interpretations_InterpretationId",
                        column: x => x.InterpretationId,
                        principalTable: "Interpretations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.UpdateData(
                table: "WorkspaceSettings",
                keyColumn: "Id",
                keyValue: 1,
                column: "CountMachineInterpretations",
                value: true);

            migrationBuilder.CreateIndex(
                name: "IX_ExplanationScores_InterpretationId_Scorer_ModelName_PromptV~",
                table: "ExplanationScores",
                columns: new[] { "InterpretationId", "Scorer", "ModelName", "PromptVersion", "InterpretationVersion" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ExplanationProviderSettings");

            migrationBuilder.DropTable(
                name: "ExplanationScores");

            migrationBuilder.DropColumn(
                name: "CountMachineInterpretations",
                table: "WorkspaceSettings");

            migrationBuilder.DropColumn(
                name: "ExplanationModelName",
                table: "Interpretations");
        }
    }
}
