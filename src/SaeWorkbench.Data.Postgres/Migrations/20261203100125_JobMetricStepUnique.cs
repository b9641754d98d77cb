using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SaeWorkbench.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class JobMetricStepUnique : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Steps a resumed job stored twice: keep the last row written for each (job, step), as the writer now does.
            migrationBuilder.Sql(
                "DELETE FROM \"JobMetrics\" WHERE \"Id\" NOT IN (SELECT MAX(\"Id\") FROM \"JobMetrics\" GROUP BY \"JobId\", \"Step\");");

            migrationBuilder.DropIndex(
                name: "IX_JobMetrics_JobId_Step",
                table: "JobMetrics");

            migrationBuilder.CreateIndex(
                name: "IX_JobMetrics_JobId_Step",
                table: "JobMetrics",
                columns: new[] { "JobId", "Step" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_JobMetrics_JobId_Step",
                table: "JobMetrics");

            migrationBuilder.CreateIndex(
                name: "IX_JobMetrics_JobId_Step",
                table: "JobMetrics",
                columns: new[] { "JobId", "Step" });
        }
    }
}
