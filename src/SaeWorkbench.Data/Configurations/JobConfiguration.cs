using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Jobs;

namespace SaeWorkbench.Data.Configurations;

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> b)
    {
        b.Property(j => j.Kind).HasMaxLength(64);
        b.Property(j => j.State).HasConversion<string>().HasMaxLength(16);
        b.Property(j => j.Message).HasMaxLength(Job.MaxMessageLength);
        b.Property(j => j.RequiredCapability).HasMaxLength(32);
        b.Property(j => j.WorkerId).HasMaxLength(128);
        b.HasIndex(j => new { j.State, j.CreatedAt });
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(j => j.OwnerId).OnDelete(DeleteBehavior.SetNull);
        b.Ignore(j => j.IsFinished);
    }
}

internal sealed class JobMetricConfiguration : IEntityTypeConfiguration<JobMetric>
{
    public void Configure(EntityTypeBuilder<JobMetric> b)
    {
        // One point per step: a resumed job logs the steps after its checkpoint again and the writer replaces them.
        b.HasIndex(m => new { m.JobId, m.Step }).IsUnique();
        b.HasOne<Job>().WithMany().HasForeignKey(m => m.JobId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WorkbenchUserConfiguration : IEntityTypeConfiguration<WorkbenchUser>
{
    public void Configure(EntityTypeBuilder<WorkbenchUser> b) => b.HasIndex(u => u.CreatedAt);
}
