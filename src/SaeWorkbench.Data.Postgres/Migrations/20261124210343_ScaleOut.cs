using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace SaeWorkbench.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ScaleOut : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AspNetRoles",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    Name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    NormalizedName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    ConcurrencyStamp = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetRoles", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUsers",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    PrefersDarkMode = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UserName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    NormalizedUserName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Email = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    NormalizedEmail = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    EmailConfirmed = table.Column<bool>(type: "boolean", nullable: false),
                    PasswordHash = table.Column<string>(type: "text", nullable: true),
                    SecurityStamp = table.Column<string>(type: "text", nullable: true),
                    ConcurrencyStamp = table.Column<string>(type: "text", nullable: true),
                    PhoneNumber = table.Column<string>(type: "text", nullable: true),
                    PhoneNumberConfirmed = table.Column<bool>(type: "boolean", nullable: false),
                    TwoFactorEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    LockoutEnd = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LockoutEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    AccessFailedCount = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUsers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AuditLog",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UserId = table.Column<string>(type: "text", nullable: true),
                    UserName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    EntityType = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    EntityId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    BeforeJson = table.Column<string>(type: "text", nullable: true),
                    AfterJson = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditLog", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "WorkspaceSecret",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    PseudonymKey = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkspaceSecret", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "WorkspaceSettings",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    TaxonomyJson = table.Column<string>(type: "text", nullable: false),
                    ConsensusThreshold = table.Column<int>(type: "integer", nullable: false),
                    LabelsPerLatent = table.Column<int>(type: "integer", nullable: false),
                    ClaimMinutes = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkspaceSettings", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AspNetRoleClaims",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RoleId = table.Column<string>(type: "text", nullable: false),
                    ClaimType = table.Column<string>(type: "text", nullable: true),
                    ClaimValue = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetRoleClaims", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AspNetRoleClaims_AspNetRoles_RoleId",
                        column: x => x.RoleId,
                        principalTable: "AspNetRoles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ApiTokens",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    UserId = table.Column<string>(type: "text", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Prefix = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastUsedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    RevokedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ApiTokens", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ApiTokens_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserClaims",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    UserId = table.Column<string>(type: "text", nullable: false),
                    ClaimType = table.Column<string>(type: "text", nullable: true),
                    ClaimValue = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserClaims", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AspNetUserClaims_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserLogins",
                columns: table => new
                {
                    LoginProvider = table.Column<string>(type: "text", nullable: false),
                    ProviderKey = table.Column<string>(type: "text", nullable: false),
                    ProviderDisplayName = table.Column<string>(type: "text", nullable: true),
                    UserId = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserLogins", x => new { x.LoginProvider, x.ProviderKey });
                    table.ForeignKey(
                        name: "FK_AspNetUserLogins_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserRoles",
                columns: table => new
                {
                    UserId = table.Column<string>(type: "text", nullable: false),
                    RoleId = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserRoles", x => new { x.UserId, x.RoleId });
                    table.ForeignKey(
                        name: "FK_AspNetUserRoles_AspNetRoles_RoleId",
                        column: x => x.RoleId,
                        principalTable: "AspNetRoles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_AspNetUserRoles_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserTokens",
                columns: table => new
                {
                    UserId = table.Column<string>(type: "text", nullable: false),
                    LoginProvider = table.Column<string>(type: "text", nullable: false),
                    Name = table.Column<string>(type: "text", nullable: false),
                    Value = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserTokens", x => new { x.UserId, x.LoginProvider, x.Name });
                    table.ForeignKey(
                        name: "FK_AspNetUserTokens_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Jobs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Kind = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ParametersJson = table.Column<string>(type: "text", nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Progress = table.Column<double>(type: "double precision", nullable: false),
                    Message = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    ResultJson = table.Column<string>(type: "text", nullable: true),
                    CancelRequested = table.Column<bool>(type: "boolean", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    OwnerId = table.Column<string>(type: "text", nullable: true),
                    RequiredCapability = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    WorkerId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    HeartbeatAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    FinishedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Jobs", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Jobs_AspNetUsers_OwnerId",
                        column: x => x.OwnerId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "Notifications",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    UserId = table.Column<string>(type: "text", nullable: false),
                    Text = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    Link = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ReadAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Notifications", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Notifications_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Dictionaries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ModelName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ModelPath = table.Column<string>(type: "text", nullable: true),
                    HookName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Architecture = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DIn = table.Column<int>(type: "integer", nullable: false),
                    DSae = table.Column<int>(type: "integer", nullable: false),
                    K = table.Column<int>(type: "integer", nullable: true),
                    SparsityCoefficient = table.Column<double>(type: "double precision", nullable: true),
                    TokensTrained = table.Column<long>(type: "bigint", nullable: false),
                    SaePath = table.Column<string>(type: "text", nullable: false),
                    WeightsSha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    MetricsJson = table.Column<string>(type: "text", nullable: false),
                    TrainingConfigJson = table.Column<string>(type: "text", nullable: false),
                    SourceJobId = table.Column<long>(type: "bigint", nullable: true),
                    CreatedById = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Dictionaries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Dictionaries_AspNetUsers_CreatedById",
                        column: x => x.CreatedById,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_Dictionaries_Jobs_SourceJobId",
                        column: x => x.SourceJobId,
                        principalTable: "Jobs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "JobMetrics",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    JobId = table.Column<long>(type: "bigint", nullable: false),
                    Step = table.Column<long>(type: "bigint", nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ValuesJson = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_JobMetrics", x => x.Id);
                    table.ForeignKey(
                        name: "FK_JobMetrics_Jobs_JobId",
                        column: x => x.JobId,
                        principalTable: "Jobs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BundleImport",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BundleId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SaeSha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    DictionaryId = table.Column<long>(type: "bigint", nullable: false),
                    ImportedById = table.Column<string>(type: "text", nullable: true),
                    ImportedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ManifestJson = table.Column<string>(type: "text", nullable: false)
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
                name: "LabellingScopes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    DictionaryId = table.Column<long>(type: "bigint", nullable: false),
                    Name = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Definition = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: true),
                    IsBlind = table.Column<bool>(type: "boolean", nullable: false),
                    LabelsPerLatent = table.Column<int>(type: "integer", nullable: false),
                    ClaimMinutes = table.Column<int>(type: "integer", nullable: false),
                    Priority = table.Column<int>(type: "integer", nullable: false),
                    IncludeDeadLatents = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedById = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    IsArchived = table.Column<bool>(type: "boolean", nullable: false)
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
                name: "LatentAnalyses",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    DictionaryId = table.Column<long>(type: "bigint", nullable: false),
                    JobId = table.Column<long>(type: "bigint", nullable: true),
                    TokensAnalysed = table.Column<long>(type: "bigint", nullable: false),
                    CorpusPath = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    SettingsJson = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    CompletedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    IsCurrent = table.Column<bool>(type: "boolean", nullable: false)
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
                name: "Latents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    DictionaryId = table.Column<long>(type: "bigint", nullable: false),
                    Index = table.Column<int>(type: "integer", nullable: false),
                    Density = table.Column<double>(type: "double precision", nullable: true),
                    MaxActivation = table.Column<double>(type: "double precision", nullable: true),
                    MeanActivation = table.Column<double>(type: "double precision", nullable: true),
                    IsDead = table.Column<bool>(type: "boolean", nullable: false),
                    LabelStatus = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ConsensusInterpretationId = table.Column<long>(type: "bigint", nullable: true),
                    ConsensusLabel = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: true),
                    ConsensusTag = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Latents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Latents_Dictionaries_DictionaryId",
                        column: x => x.DictionaryId,
                        principalTable: "Dictionaries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SteeringComparisons",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    DictionaryId = table.Column<long>(type: "bigint", nullable: false),
                    Title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Tags = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    AuthorId = table.Column<string>(type: "text", nullable: false),
                    AuthorName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Prompt = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: false),
                    SettingsJson = table.Column<string>(type: "text", nullable: false),
                    OutputsJson = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
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
                name: "FeatureDashboards",
                columns: table => new
                {
                    AnalysisId = table.Column<long>(type: "bigint", nullable: false),
                    LatentId = table.Column<long>(type: "bigint", nullable: false),
                    LatentIndex = table.Column<int>(type: "integer", nullable: false),
                    ActiveCount = table.Column<long>(type: "bigint", nullable: false),
                    Density = table.Column<double>(type: "double precision", nullable: false),
                    MaxActivation = table.Column<double>(type: "double precision", nullable: false),
                    MeanActivation = table.Column<double>(type: "double precision", nullable: false),
                    IsDead = table.Column<bool>(type: "boolean", nullable: false),
                    Histogram = table.Column<byte[]>(type: "bytea", nullable: false),
                    IntervalCounts = table.Column<byte[]>(type: "bytea", nullable: false),
                    LogitPositiveTokens = table.Column<byte[]>(type: "bytea", nullable: false),
                    LogitPositiveValues = table.Column<byte[]>(type: "bytea", nullable: false),
                    LogitNegativeTokens = table.Column<byte[]>(type: "bytea", nullable: false),
                    LogitNegativeValues = table.Column<byte[]>(type: "bytea", nullable: false),
                    LogitHistogram = table.Column<byte[]>(type: "bytea", nullable: false),
                    LogitHistogramMin = table.Column<double>(type: "double precision", nullable: false),
                    LogitHistogramMax = table.Column<double>(type: "double precision", nullable: false),
                    NeighbourIndices = table.Column<byte[]>(type: "bytea", nullable: false),
                    NeighbourCosines = table.Column<byte[]>(type: "bytea", nullable: false)
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    AnalysisId = table.Column<long>(type: "bigint", nullable: false),
                    LatentId = table.Column<long>(type: "bigint", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Bin = table.Column<int>(type: "integer", nullable: false),
                    Rank = table.Column<int>(type: "integer", nullable: false),
                    TokenIds = table.Column<byte[]>(type: "bytea", nullable: false),
                    Activations = table.Column<byte[]>(type: "bytea", nullable: false),
                    PeakOffset = table.Column<int>(type: "integer", nullable: false),
                    PeakActivation = table.Column<double>(type: "double precision", nullable: false),
                    WindowIndex = table.Column<long>(type: "bigint", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false)
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

            migrationBuilder.CreateTable(
                name: "ImportedLatentDetail",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    LatentId = table.Column<long>(type: "bigint", nullable: false),
                    TopLogitsJson = table.Column<string>(type: "text", nullable: true),
                    TopContextsJson = table.Column<string>(type: "text", nullable: true)
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
                name: "Interpretations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    LatentId = table.Column<long>(type: "bigint", nullable: false),
                    AuthorId = table.Column<string>(type: "text", nullable: false),
                    Label = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    Description = table.Column<string>(type: "character varying(100000)", maxLength: 100000, nullable: false),
                    Tag = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Confidence = table.Column<int>(type: "integer", nullable: false),
                    Score = table.Column<int>(type: "integer", nullable: false),
                    UpVotes = table.Column<int>(type: "integer", nullable: false),
                    DownVotes = table.Column<int>(type: "integer", nullable: false),
                    Review = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ReviewerId = table.Column<string>(type: "text", nullable: true),
                    ReviewReason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    ReviewedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    DetectionScore = table.Column<double>(type: "double precision", nullable: true),
                    DetectionRatings = table.Column<int>(type: "integer", nullable: false),
                    Version = table.Column<int>(type: "integer", nullable: false),
                    IsDeleted = table.Column<bool>(type: "boolean", nullable: false),
                    DeletedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    DeletedById = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Interpretations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Interpretations_AspNetUsers_AuthorId",
                        column: x => x.AuthorId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Interpretations_Latents_LatentId",
                        column: x => x.LatentId,
                        principalTable: "Latents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LabelSuggestion",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    LatentId = table.Column<long>(type: "bigint", nullable: false),
                    SourceDictionaryId = table.Column<long>(type: "bigint", nullable: false),
                    SourceLatentIndex = table.Column<int>(type: "integer", nullable: false),
                    SourceInterpretationId = table.Column<long>(type: "bigint", nullable: true),
                    Cosine = table.Column<double>(type: "double precision", nullable: false),
                    Label = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    Description = table.Column<string>(type: "character varying(100000)", maxLength: 100000, nullable: false),
                    Tag = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Confidence = table.Column<int>(type: "integer", nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    DecidedById = table.Column<string>(type: "text", nullable: true),
                    DecidedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    CreatedInterpretationId = table.Column<long>(type: "bigint", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
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
                name: "QueueClaims",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ScopeId = table.Column<long>(type: "bigint", nullable: false),
                    LatentId = table.Column<long>(type: "bigint", nullable: false),
                    UserId = table.Column<string>(type: "text", nullable: false),
                    Slot = table.Column<int>(type: "integer", nullable: false),
                    ClaimedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ScopeId = table.Column<long>(type: "bigint", nullable: false),
                    LatentId = table.Column<long>(type: "bigint", nullable: false),
                    UserId = table.Column<string>(type: "text", nullable: false),
                    Reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
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
                    ScopeId = table.Column<long>(type: "bigint", nullable: false),
                    LatentId = table.Column<long>(type: "bigint", nullable: false)
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

            migrationBuilder.CreateTable(
                name: "SteeringComparisonLatents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ComparisonId = table.Column<long>(type: "bigint", nullable: false),
                    DictionaryId = table.Column<long>(type: "bigint", nullable: false),
                    LatentIndex = table.Column<int>(type: "integer", nullable: false)
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ComparisonId = table.Column<long>(type: "bigint", nullable: false),
                    ReviewerId = table.Column<string>(type: "text", nullable: false),
                    ReviewerName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Blind = table.Column<bool>(type: "boolean", nullable: false),
                    Sample = table.Column<int>(type: "integer", nullable: false),
                    InterventionShownFirst = table.Column<bool>(type: "boolean", nullable: false),
                    GuessedFirst = table.Column<bool>(type: "boolean", nullable: true),
                    GuessCorrect = table.Column<bool>(type: "boolean", nullable: true),
                    Effect = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Coherence = table.Column<int>(type: "integer", nullable: true),
                    Comment = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    SubmittedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
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

            migrationBuilder.CreateTable(
                name: "Comments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    LatentId = table.Column<long>(type: "bigint", nullable: false),
                    InterpretationId = table.Column<long>(type: "bigint", nullable: true),
                    AuthorId = table.Column<string>(type: "text", nullable: false),
                    Body = table.Column<string>(type: "character varying(100000)", maxLength: 100000, nullable: false),
                    IsDeleted = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Comments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Comments_AspNetUsers_AuthorId",
                        column: x => x.AuthorId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Comments_Interpretations_InterpretationId",
                        column: x => x.InterpretationId,
                        principalTable: "Interpretations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_Comments_Latents_LatentId",
                        column: x => x.LatentId,
                        principalTable: "Latents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "DetectionSessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    InterpretationId = table.Column<long>(type: "bigint", nullable: false),
                    RaterId = table.Column<string>(type: "text", nullable: false),
                    Seed = table.Column<long>(type: "bigint", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    SubmittedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    TruePositives = table.Column<int>(type: "integer", nullable: false),
                    FalsePositives = table.Column<int>(type: "integer", nullable: false),
                    TrueNegatives = table.Column<int>(type: "integer", nullable: false),
                    FalseNegatives = table.Column<int>(type: "integer", nullable: false)
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
                name: "InterpretationVersions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    InterpretationId = table.Column<long>(type: "bigint", nullable: false),
                    Version = table.Column<int>(type: "integer", nullable: false),
                    Label = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    Description = table.Column<string>(type: "text", nullable: false),
                    Tag = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Confidence = table.Column<int>(type: "integer", nullable: false),
                    EditedById = table.Column<string>(type: "text", nullable: false),
                    EditedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InterpretationVersions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_InterpretationVersions_Interpretations_InterpretationId",
                        column: x => x.InterpretationId,
                        principalTable: "Interpretations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Votes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    InterpretationId = table.Column<long>(type: "bigint", nullable: false),
                    UserId = table.Column<string>(type: "text", nullable: false),
                    Value = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Votes", x => x.Id);
                    table.CheckConstraint("CK_Votes_Value", "\"Value\" IN (-1, 1)");
                    table.ForeignKey(
                        name: "FK_Votes_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_Votes_Interpretations_InterpretationId",
                        column: x => x.InterpretationId,
                        principalTable: "Interpretations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "DetectionContexts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    SessionId = table.Column<long>(type: "bigint", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    TokenIds = table.Column<byte[]>(type: "bytea", nullable: false),
                    IsActivating = table.Column<bool>(type: "boolean", nullable: false),
                    SourceExampleId = table.Column<long>(type: "bigint", nullable: false),
                    Bin = table.Column<int>(type: "integer", nullable: false),
                    MarkedAsMatching = table.Column<bool>(type: "boolean", nullable: true)
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

            migrationBuilder.InsertData(
                table: "WorkspaceSettings",
                columns: new[] { "Id", "ClaimMinutes", "ConsensusThreshold", "LabelsPerLatent", "TaxonomyJson" },
                values: new object[] { 1, 15, 1, 1, "[\"lexical/token\",\"syntax\",\"topic/semantic\",\"entity\",\"format/position\",\"polysemantic\",\"uninterpretable\"]" });

            migrationBuilder.CreateIndex(
                name: "IX_ApiTokens_Sha256",
                table: "ApiTokens",
                column: "Sha256",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ApiTokens_UserId",
                table: "ApiTokens",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetRoleClaims_RoleId",
                table: "AspNetRoleClaims",
                column: "RoleId");

            migrationBuilder.CreateIndex(
                name: "RoleNameIndex",
                table: "AspNetRoles",
                column: "NormalizedName",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserClaims_UserId",
                table: "AspNetUserClaims",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserLogins_UserId",
                table: "AspNetUserLogins",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserRoles_RoleId",
                table: "AspNetUserRoles",
                column: "RoleId");

            migrationBuilder.CreateIndex(
                name: "EmailIndex",
                table: "AspNetUsers",
                column: "NormalizedEmail");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUsers_CreatedAt",
                table: "AspNetUsers",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "UserNameIndex",
                table: "AspNetUsers",
                column: "NormalizedUserName",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AuditLog_At",
                table: "AuditLog",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_AuditLog_EntityType_EntityId",
                table: "AuditLog",
                columns: new[] { "EntityType", "EntityId" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditLog_UserId_At",
                table: "AuditLog",
                columns: new[] { "UserId", "At" });

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
                name: "IX_Comments_AuthorId",
                table: "Comments",
                column: "AuthorId");

            migrationBuilder.CreateIndex(
                name: "IX_Comments_InterpretationId",
                table: "Comments",
                column: "InterpretationId");

            migrationBuilder.CreateIndex(
                name: "IX_Comments_LatentId_CreatedAt",
                table: "Comments",
                columns: new[] { "LatentId", "CreatedAt" });

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
                name: "IX_Dictionaries_CreatedById",
                table: "Dictionaries",
                column: "CreatedById");

            migrationBuilder.CreateIndex(
                name: "IX_Dictionaries_ModelName_HookName",
                table: "Dictionaries",
                columns: new[] { "ModelName", "HookName" });

            migrationBuilder.CreateIndex(
                name: "IX_Dictionaries_SourceJobId",
                table: "Dictionaries",
                column: "SourceJobId");

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
                name: "IX_ImportedLatentDetail_LatentId",
                table: "ImportedLatentDetail",
                column: "LatentId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Interpretations_AuthorId",
                table: "Interpretations",
                column: "AuthorId");

            migrationBuilder.CreateIndex(
                name: "IX_Interpretations_LatentId_IsDeleted",
                table: "Interpretations",
                columns: new[] { "LatentId", "IsDeleted" });

            migrationBuilder.CreateIndex(
                name: "IX_InterpretationVersions_InterpretationId_Version",
                table: "InterpretationVersions",
                columns: new[] { "InterpretationId", "Version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_JobMetrics_JobId_Step",
                table: "JobMetrics",
                columns: new[] { "JobId", "Step" });

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_OwnerId",
                table: "Jobs",
                column: "OwnerId");

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_State_CreatedAt",
                table: "Jobs",
                columns: new[] { "State", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_LabellingScopes_CreatedById",
                table: "LabellingScopes",
                column: "CreatedById");

            migrationBuilder.CreateIndex(
                name: "IX_LabellingScopes_DictionaryId",
                table: "LabellingScopes",
                column: "DictionaryId");

            migrationBuilder.CreateIndex(
                name: "IX_LabelSuggestion_LatentId_SourceDictionaryId",
                table: "LabelSuggestion",
                columns: new[] { "LatentId", "SourceDictionaryId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LabelSuggestion_SourceDictionaryId",
                table: "LabelSuggestion",
                column: "SourceDictionaryId");

            migrationBuilder.CreateIndex(
                name: "IX_LatentAnalyses_DictionaryId",
                table: "LatentAnalyses",
                column: "DictionaryId",
                unique: true,
                filter: "\"IsCurrent\"");

            migrationBuilder.CreateIndex(
                name: "IX_LatentAnalyses_JobId",
                table: "LatentAnalyses",
                column: "JobId");

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_Density",
                table: "Latents",
                columns: new[] { "DictionaryId", "Density" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_Index",
                table: "Latents",
                columns: new[] { "DictionaryId", "Index" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_LabelStatus_Index",
                table: "Latents",
                columns: new[] { "DictionaryId", "LabelStatus", "Index" });

            migrationBuilder.CreateIndex(
                name: "IX_Latents_DictionaryId_MaxActivation",
                table: "Latents",
                columns: new[] { "DictionaryId", "MaxActivation" });

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_UserId_ReadAt_CreatedAt",
                table: "Notifications",
                columns: new[] { "UserId", "ReadAt", "CreatedAt" });

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

            migrationBuilder.CreateIndex(
                name: "IX_Votes_InterpretationId_UserId",
                table: "Votes",
                columns: new[] { "InterpretationId", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Votes_UserId",
                table: "Votes",
                column: "UserId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ApiTokens");

            migrationBuilder.DropTable(
                name: "AspNetRoleClaims");

            migrationBuilder.DropTable(
                name: "AspNetUserClaims");

            migrationBuilder.DropTable(
                name: "AspNetUserLogins");

            migrationBuilder.DropTable(
                name: "AspNetUserRoles");

            migrationBuilder.DropTable(
                name: "AspNetUserTokens");

            migrationBuilder.DropTable(
                name: "AuditLog");

            migrationBuilder.DropTable(
                name: "BundleImport");

            migrationBuilder.DropTable(
                name: "Comments");

            migrationBuilder.DropTable(
                name: "DetectionContexts");

            migrationBuilder.DropTable(
                name: "FeatureDashboards");

            migrationBuilder.DropTable(
                name: "FeatureExamples");

            migrationBuilder.DropTable(
                name: "ImportedLatentDetail");

            migrationBuilder.DropTable(
                name: "InterpretationVersions");

            migrationBuilder.DropTable(
                name: "JobMetrics");

            migrationBuilder.DropTable(
                name: "LabelSuggestion");

            migrationBuilder.DropTable(
                name: "Notifications");

            migrationBuilder.DropTable(
                name: "QueueClaims");

            migrationBuilder.DropTable(
                name: "QueueSkips");

            migrationBuilder.DropTable(
                name: "ScopeLatents");

            migrationBuilder.DropTable(
                name: "SteeringComparisonLatents");

            migrationBuilder.DropTable(
                name: "SteeringReviews");

            migrationBuilder.DropTable(
                name: "Votes");

            migrationBuilder.DropTable(
                name: "WorkspaceSecret");

            migrationBuilder.DropTable(
                name: "WorkspaceSettings");

            migrationBuilder.DropTable(
                name: "AspNetRoles");

            migrationBuilder.DropTable(
                name: "DetectionSessions");

            migrationBuilder.DropTable(
                name: "LatentAnalyses");

            migrationBuilder.DropTable(
                name: "LabellingScopes");

            migrationBuilder.DropTable(
                name: "SteeringComparisons");

            migrationBuilder.DropTable(
                name: "Interpretations");

            migrationBuilder.DropTable(
                name: "Latents");

            migrationBuilder.DropTable(
                name: "Dictionaries");

            migrationBuilder.DropTable(
                name: "Jobs");

            migrationBuilder.DropTable(
                name: "AspNetUsers");
        }
    }
}
