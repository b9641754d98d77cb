using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Crowd;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Data.Configurations;

internal sealed class LabellingScopeConfiguration : IEntityTypeConfiguration<LabellingScope>
{
    public void Configure(EntityTypeBuilder<LabellingScope> b)
    {
        b.ToTable("LabellingScopes");
        b.HasOne<SaeDictionary>().WithMany().HasForeignKey(s => s.DictionaryId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(s => s.CreatedById).OnDelete(DeleteBehavior.Restrict);
        b.Property(s => s.Name).HasMaxLength(120);
        b.Property(s => s.Definition).HasMaxLength(20_000);
        b.Property(s => s.Guidelines).HasMaxLength(4_000);
        b.Property(s => s.Kind).HasConversion<string>().HasMaxLength(16);
        b.ToTable(t => t.HasCheckConstraint("CK_LabellingScopes_LabelsPerLatent", "\"LabelsPerLatent\" BETWEEN 1 AND 10"));
    }
}

internal sealed class ScopeLatentConfiguration : IEntityTypeConfiguration<ScopeLatent>
{
    public void Configure(EntityTypeBuilder<ScopeLatent> b)
    {
        b.ToTable("ScopeLatents");
        b.HasKey(s => new { s.ScopeId, s.LatentId });
        b.HasOne<LabellingScope>().WithMany().HasForeignKey(s => s.ScopeId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Latent>().WithMany().HasForeignKey(s => s.LatentId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(s => s.LatentId);
    }
}

internal sealed class QueueClaimConfiguration : IEntityTypeConfiguration<QueueClaim>
{
    public void Configure(EntityTypeBuilder<QueueClaim> b)
    {
        b.ToTable("QueueClaims");
        b.HasOne<LabellingScope>().WithMany().HasForeignKey(c => c.ScopeId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Latent>().WithMany().HasForeignKey(c => c.LatentId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        // The database, not the service, guarantees one claim per person and at most N holders per latent.
        b.HasIndex(c => new { c.ScopeId, c.LatentId, c.UserId }).IsUnique();
        b.HasIndex(c => new { c.ScopeId, c.LatentId, c.Slot }).IsUnique();
        b.HasIndex(c => new { c.ScopeId, c.UserId });
        b.ToTable(t => t.HasCheckConstraint("CK_QueueClaims_Slot", "\"Slot\" BETWEEN 0 AND 9"));
    }
}

internal sealed class QueueSkipConfiguration : IEntityTypeConfiguration<QueueSkip>
{
    public void Configure(EntityTypeBuilder<QueueSkip> b)
    {
        b.ToTable("QueueSkips");
        b.HasOne<LabellingScope>().WithMany().HasForeignKey(s => s.ScopeId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Latent>().WithMany().HasForeignKey(s => s.LatentId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(s => new { s.ScopeId, s.LatentId, s.UserId }).IsUnique();
        b.Property(s => s.Reason).HasMaxLength(500);
    }
}

internal sealed class DetectionSessionConfiguration : IEntityTypeConfiguration<DetectionSession>
{
    public void Configure(EntityTypeBuilder<DetectionSession> b)
    {
        b.ToTable("DetectionSessions");
        b.HasOne<Interpretation>().WithMany().HasForeignKey(s => s.InterpretationId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(s => s.RaterId).OnDelete(DeleteBehavior.Cascade);
        // A rater rates an interpretation once.
        b.HasIndex(s => new { s.InterpretationId, s.RaterId }).IsUnique();
    }
}

internal sealed class DetectionContextConfiguration : IEntityTypeConfiguration<DetectionContext>
{
    public void Configure(EntityTypeBuilder<DetectionContext> b)
    {
        b.ToTable("DetectionContexts");
        b.HasOne<DetectionSession>().WithMany().HasForeignKey(c => c.SessionId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(c => new { c.SessionId, c.Position }).IsUnique();
    }
}
