using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Models;

namespace SaeWorkbench.Data.Configurations;

internal sealed class RegisteredModelConfiguration : IEntityTypeConfiguration<RegisteredModel>
{
    public void Configure(EntityTypeBuilder<RegisteredModel> b)
    {
        b.ToTable("RegisteredModels");
        b.Property(m => m.Name).HasMaxLength(200);
        b.Property(m => m.FolderPath).HasMaxLength(1024);
        b.Property(m => m.Family).HasMaxLength(32);
        b.Property(m => m.StoredDtype).HasMaxLength(16);
        b.Property(m => m.ComputeDtype).HasMaxLength(16);
        b.HasIndex(m => m.Name).IsUnique();
        b.HasIndex(m => m.FolderPath).IsUnique();
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(m => m.RegisteredById).OnDelete(DeleteBehavior.SetNull);
    }
}
