using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Audit;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Data.Configurations;

internal sealed class InterpretationConfiguration : IEntityTypeConfiguration<Interpretation>
{
    public void Configure(EntityTypeBuilder<Interpretation> b)
    {
        b.HasOne<Latent>().WithMany().HasForeignKey(i => i.LatentId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(i => i.AuthorId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(i => new { i.LatentId, i.IsDeleted });
        b.Property(i => i.Label).HasMaxLength(120);
        b.Property(i => i.Description).HasMaxLength(100_000);
        b.Property(i => i.Tag).HasMaxLength(64);
        b.Property(i => i.ExplanationModelName).HasMaxLength(200);
        b.Property(i => i.ReviewReason).HasMaxLength(2000);
        b.Property(i => i.Review).HasConversion<string>().HasMaxLength(16);
        b.Property(i => i.Version).IsConcurrencyToken();
    }
}

internal sealed class InterpretationVersionConfiguration : IEntityTypeConfiguration<InterpretationVersion>
{
    public void Configure(EntityTypeBuilder<InterpretationVersion> b)
    {
        b.HasOne<Interpretation>().WithMany().HasForeignKey(v => v.InterpretationId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(v => new { v.InterpretationId, v.Version }).IsUnique();
        b.Property(v => v.Label).HasMaxLength(120);
        b.Property(v => v.Tag).HasMaxLength(64);
    }
}

internal sealed class VoteConfiguration : IEntityTypeConfiguration<Vote>
{
    public void Configure(EntityTypeBuilder<Vote> b)
    {
        b.HasOne<Interpretation>().WithMany().HasForeignKey(v => v.InterpretationId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(v => v.UserId).OnDelete(DeleteBehavior.Cascade);
        // One vote per user per interpretation: the database enforces it under any concurrency.
        b.HasIndex(v => new { v.InterpretationId, v.UserId }).IsUnique();
        b.ToTable(t => t.HasCheckConstraint("CK_Votes_Value", "\"Value\" IN (-1, 1)"));
    }
}

internal sealed class CommentConfiguration : IEntityTypeConfiguration<Comment>
{
    public void Configure(EntityTypeBuilder<Comment> b)
    {
        b.HasOne<Latent>().WithMany().HasForeignKey(c => c.LatentId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Interpretation>().WithMany().HasForeignKey(c => c.InterpretationId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(c => c.AuthorId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(c => new { c.LatentId, c.CreatedAt });
        b.Property(c => c.Body).HasMaxLength(100_000);
    }
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> b)
    {
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(n => n.UserId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(n => new { n.UserId, n.ReadAt, n.CreatedAt });
        b.Property(n => n.Text).HasMaxLength(1000);
        b.Property(n => n.Link).HasMaxLength(500);
    }
}

internal sealed class WorkspaceSettingsConfiguration : IEntityTypeConfiguration<WorkspaceSettings>
{
    public void Configure(EntityTypeBuilder<WorkspaceSettings> b)
    {
        b.Property(s => s.Id).ValueGeneratedNever();
        b.HasData(new WorkspaceSettings
        {
            Id = 1,
            TaxonomyJson = "[\"lexical/token\",\"syntax\",\"topic/semantic\",\"entity\",\"format/position\",\"polysemantic\",\"uninterpretable\"]",
            ConsensusThreshold = 1,
            LabelsPerLatent = 1,
            ClaimMinutes = WorkspaceSettings.DefaultClaimMinutes,
            CountMachineInterpretations = true,
        });
    }
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> b)
    {
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(t => t.Sha256).IsUnique();
        b.Property(t => t.Sha256).HasMaxLength(64);
        b.Property(t => t.Prefix).HasMaxLength(16);
        b.Property(t => t.Name).HasMaxLength(100);
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.ToTable("AuditLog");
        b.HasIndex(a => a.At);
        b.HasIndex(a => new { a.EntityType, a.EntityId });
        b.HasIndex(a => new { a.UserId, a.At });
        b.Property(a => a.Action).HasMaxLength(64);
        b.Property(a => a.EntityType).HasMaxLength(64);
        b.Property(a => a.EntityId).HasMaxLength(64);
        b.Property(a => a.UserName).HasMaxLength(256);
    }
}
