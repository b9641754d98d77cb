using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Steering;

namespace SaeWorkbench.Data.Configurations;

internal sealed class SteeringComparisonConfiguration : IEntityTypeConfiguration<SteeringComparison>
{
    public void Configure(EntityTypeBuilder<SteeringComparison> b)
    {
        b.ToTable("SteeringComparisons");
        b.Property(c => c.Title).HasMaxLength(200);
        b.Property(c => c.Tags).HasMaxLength(400);
        b.Property(c => c.AuthorName).HasMaxLength(256);
        b.Property(c => c.Prompt).HasMaxLength(8000);
        b.HasOne<SaeDictionary>().WithMany().HasForeignKey(c => c.DictionaryId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(c => c.AuthorId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(c => c.CreatedAt);
    }
}

internal sealed class SteeringComparisonLatentConfiguration : IEntityTypeConfiguration<SteeringComparisonLatent>
{
    public void Configure(EntityTypeBuilder<SteeringComparisonLatent> b)
    {
        b.ToTable("SteeringComparisonLatents");
        b.HasOne<SteeringComparison>().WithMany().HasForeignKey(l => l.ComparisonId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(l => new { l.ComparisonId, l.LatentIndex }).IsUnique();
        b.HasIndex(l => new { l.DictionaryId, l.LatentIndex });
    }
}

internal sealed class SteeringReviewConfiguration : IEntityTypeConfiguration<SteeringReview>
{
    public void Configure(EntityTypeBuilder<SteeringReview> b)
    {
        b.ToTable("SteeringReviews");
        b.HasOne<SteeringComparison>().WithMany().HasForeignKey(r => r.ComparisonId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(r => r.ReviewerId).OnDelete(DeleteBehavior.Restrict);
        // One review per reviewer and comparison: a blind reviewer cannot draw a new order after seeing one.
        b.HasIndex(r => new { r.ComparisonId, r.ReviewerId }).IsUnique();
        b.Property(r => r.ReviewerName).HasMaxLength(256);
        b.Property(r => r.Comment).HasMaxLength(4000);
        b.Property(r => r.Effect).HasConversion<string>().HasMaxLength(16);
    }
}
