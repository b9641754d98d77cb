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

    /// <summary>
    /// Saves, and where the save touches a best score's or a search text's inputs, recomputes those latents' stored values
    /// in the same transaction (<see cref="LatentBestScores"/>, <see cref="LatentSearchTexts"/>; one place for every write
    /// path, docs/architecture.md §5).
    /// </summary>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var (scores, texts) = CollectDerived();
        if (scores.IsEmpty && texts.IsEmpty) return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        var own = Database.CurrentTransaction is null ? await Database.BeginTransactionAsync(cancellationToken) : null;
        try
        {
            // Changes are accepted only once the derived columns are written too, so a failure leaves the context as it was.
            var saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess: false, cancellationToken);
            if (!scores.IsEmpty)
                await LatentBestScores.RefreshAsync(this, await LatentBestScores.LatentsAsync(this, scores, cancellationToken), cancellationToken);
            if (!texts.IsEmpty) await LatentSearchTexts.RefreshAsync(this, LatentSearchTexts.Latents(texts), cancellationToken);
            if (own is not null) await own.CommitAsync(cancellationToken);
            if (acceptAllChangesOnSuccess) ChangeTracker.AcceptAllChanges();
            return saved;
        }
        finally
        {
            if (own is not null) await own.DisposeAsync();
        }
    }

    /// <summary>The synchronous save, with the same upkeep as <see cref="SaveChangesAsync(bool, CancellationToken)"/>.</summary>
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        var (scores, texts) = CollectDerived();
        if (scores.IsEmpty && texts.IsEmpty) return base.SaveChanges(acceptAllChangesOnSuccess);
        using var own = Database.CurrentTransaction is null ? Database.BeginTransaction() : null;
        var saved = base.SaveChanges(acceptAllChangesOnSuccess: false);
        if (!scores.IsEmpty)
            LatentBestScores.RefreshAsync(this, LatentBestScores.LatentsAsync(this, scores, default).GetAwaiter().GetResult()).GetAwaiter().GetResult();
        if (!texts.IsEmpty) LatentSearchTexts.RefreshAsync(this, LatentSearchTexts.Latents(texts)).GetAwaiter().GetResult();
        own?.Commit();
        if (acceptAllChangesOnSuccess) ChangeTracker.AcceptAllChanges();
        return saved;
    }

    /// <summary>What the save is about to change of the stored best scores' and search texts' inputs (changes detected once for both).</summary>
    private (LatentBestScores.Pending Scores, LatentSearchTexts.Pending Texts) CollectDerived()
    {
        if (ChangeTracker.AutoDetectChangesEnabled) ChangeTracker.DetectChanges();
        return (LatentBestScores.Collect(this), LatentSearchTexts.Collect(this));
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(WorkbenchDbContext).Assembly);
        if (Database.IsNpgsql())
        {
            PostgresModel.Adjust(builder);
            // The search texts' trigram index: serves the feature list's LIKE '%needle%' (LatentSearchIndex; on SQLite an
            // FTS5 table made by a migration's raw SQL, outside the model).
            builder.HasPostgresExtension("pg_trgm");
            builder.Entity<Latent>().HasIndex(l => l.SearchText, "IX_Latents_SearchText_Trigram")
                .HasMethod("gin").HasOperators("gin_trgm_ops");
        }
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
