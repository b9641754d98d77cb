using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace SaeWorkbench.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class RegisteredModelsAndLocalExplanationModel : Migration
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

            migrationBuilder.CreateTable(
                name: "RegisteredModels",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    FolderPath = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false),
                    Family = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Parameters = table.Column<long>(type: "bigint", nullable: false),
                    StoredDtype = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ComputeDtype = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    RegisteredById = table.Column<string>(type: "text", nullable: true),
                    RegisteredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RegisteredModels", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RegisteredModels_AspNetUsers_RegisteredById",
                        column: x => x.RegisteredById,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RegisteredModels_FolderPath",
                table: "RegisteredModels",
                column: "FolderPath",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RegisteredModels_Name",
                table: "RegisteredModels",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RegisteredModels_RegisteredById",
                table: "RegisteredModels",
                column: "RegisteredById");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RegisteredModels");

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
