using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Audit;
using SaeWorkbench.Data.Crowd;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Data.Labelling;
using SaeWorkbench.Data.Models;
using SaeWorkbench.Data.Steering;

namespace SaeWorkbench.Data;

public class WorkbenchDbContext(DbContextOptions<WorkbenchDbContext> options) : IdentityDbContext<WorkbenchUser>(options)
{
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<JobMetric> JobMetrics => Set<JobMetric>();
    public DbSet<SaeDictionary> Dictionaries => Set<SaeDictionary>();
    public DbSet<Latent> Latents => Set<Latent>();
    public DbSet<Interpretation> Interpretations => Set<Interpretation>();
    public DbSet<InterpretationVersion> InterpretationVersions => Set<InterpretationVersion>();
    public DbSet<Vote> Votes => Set<Vote>();
    public DbSet<Comment> Comments => Set<Comment>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<WorkspaceSettings> WorkspaceSettings => Set<WorkspaceSettings>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<AuditEntry> AuditLog => Set<AuditEntry>();
    public DbSet<LatentAnalysis> LatentAnalyses => Set<LatentAnalysis>();
    public DbSet<FeatureDashboard> FeatureDashboards => Set<FeatureDashboard>();
    public DbSet<LabellingScope> LabellingScopes => Set<LabellingScope>();
    public DbSet<ScopeLatent> ScopeLatents => Set<ScopeLatent>();
    public DbSet<QueueClaim> QueueClaims => Set<QueueClaim>();
    public DbSet<QueueSkip> QueueSkips => Set<QueueSkip>();
    public DbSet<DetectionSession> DetectionSessions => Set<DetectionSession>();
    public DbSet<DetectionContext> DetectionContexts => Set<DetectionContext>();
    public DbSet<SteeringComparison> SteeringComparisons => Set<SteeringComparison>();
    public DbSet<SteeringComparisonLatent> SteeringComparisonLatents => Set<SteeringComparisonLatent>();
    public DbSet<SteeringReview> SteeringReviews => Set<SteeringReview>();
    public DbSet<Explanations.ExplanationScore> ExplanationScores => Set<Explanations.ExplanationScore>();
    public DbSet<RegisteredModel> RegisteredModels => Set<RegisteredModel>();
    public DbSet<Explanations.ExplanationProviderSettings> ExplanationProviderSettings => Set<Explanations.ExplanationProviderSettings>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(WorkbenchDbContext).Assembly);
        if (Database.IsNpgsql()) PostgresModel.Adjust(builder);
        if (Database.IsSqlite())
        {
            // SQLite cannot order or compare DateTimeOffset; store it as sortable UTC ticks.
            foreach (var entity in builder.Model.GetEntityTypes())
            foreach (var property in entity.GetProperties())
            {
                if (property.ClrType == typeof(DateTimeOffset)) property.SetValueConverter(DateTimeOffsetTicks.Converter);
                else if (property.ClrType == typeof(DateTimeOffset?)) property.SetValueConverter(DateTimeOffsetTicks.NullableConverter);
            }
        }
    }
}
