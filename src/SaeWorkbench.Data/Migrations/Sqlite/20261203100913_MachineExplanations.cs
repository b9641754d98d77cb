using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Migrations.Sqlite
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
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "ExplanationModelName",
                table: "Interpretations",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ExplanationProviderSettings",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    BaseUrl = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    Model = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ProtectedApiKey = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    TimeoutSeconds = table.Column<int>(type: "INTEGER", nullable: false),
                    MaxRetries = table.Column<int>(type: "INTEGER", nullable: false),
                    MaxConcurrency = table.Column<int>(type: "INTEGER", nullable: false),
                    Streaming = table.Column<bool>(type: "INTEGER", nullable: false),
                    TokenBudgetPerJob = table.Column<long>(type: "INTEGER", nullable: false),
                    Logprobs = table.Column<bool>(type: "INTEGER", nullable: false),
                    UpdatedById = table.Column<string>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ExplanationProviderSettings", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ExplanationScores",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    InterpretationId = table.Column<long>(type: "INTEGER", nullable: false),
                    InterpretationVersion = table.Column<int>(type: "INTEGER", nullable: false),
                    Scorer = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    ModelName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    PromptVersion = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Seed = table.Column<long>(type: "INTEGER", nullable: false),
                    SampleJson = table.Column<string>(type: "TEXT", nullable: false),
                    AnswersJson = table.Column<string>(type: "TEXT", nullable: false),
                    Contexts = table.Column<int>(type: "INTEGER", nullable: false),
                    Unanswered = table.Column<int>(type: "INTEGER", nullable: false),
                    TruePositives = table.Column<int>(type: "INTEGER", nullable: false),
                    FalsePositives = table.Column<int>(type: "INTEGER", nullable: false),
                    TrueNegatives = table.Column<int>(type: "INTEGER", nullable: false),
                    FalseNegatives = table.Column<int>(type: "INTEGER", nullable: false),
                    BalancedAccuracy = table.Column<double>(type: "REAL", nullable: true),
                    Auroc = table.Column<double>(type: "REAL", nullable: true),
                    PromptTokens = table.Column<int>(type: "INTEGER", nullable: false),
                    CompletionTokens = table.Column<int>(type: "INTEGER", nullable: false),
                    JobId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
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
                name: "IX_ExplanationScores_InterpretationId_Scorer_ModelName_PromptVersion_InterpretationVersion",
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
