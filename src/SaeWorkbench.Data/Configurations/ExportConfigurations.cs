using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Exports;

namespace SaeWorkbench.Data.Configurations;

internal sealed class BundleImportConfiguration : IEntityTypeConfiguration<BundleImport>
{
    public void Configure(EntityTypeBuilder<BundleImport> b)
    {
        b.HasOne<SaeDictionary>().WithMany().HasForeignKey(x => x.DictionaryId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => x.BundleId).IsUnique();
        b.Property(x => x.BundleId).HasMaxLength(64);
        b.Property(x => x.SaeSha256).HasMaxLength(64);
    }
}

internal sealed class ImportedLatentDetailConfiguration : IEntityTypeConfiguration<ImportedLatentDetail>
{
    public void Configure(EntityTypeBuilder<ImportedLatentDetail> b)
    {
        b.HasOne<Latent>().WithMany().HasForeignKey(x => x.LatentId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => x.LatentId).IsUnique();
    }
}

internal sealed class LabelSuggestionConfiguration : IEntityTypeConfiguration<LabelSuggestion>
{
    public void Configure(EntityTypeBuilder<LabelSuggestion> b)
    {
        b.HasOne<Latent>().WithMany().HasForeignKey(x => x.LatentId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<SaeDictionary>().WithMany().HasForeignKey(x => x.SourceDictionaryId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => new { x.LatentId, x.SourceDictionaryId }).IsUnique();
        b.Property(x => x.Label).HasMaxLength(120);
        b.Property(x => x.Description).HasMaxLength(100_000);
        b.Property(x => x.Tag).HasMaxLength(64);
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
    }
}

internal sealed class WorkspaceSecretConfiguration : IEntityTypeConfiguration<WorkspaceSecret>
{
    public void Configure(EntityTypeBuilder<WorkspaceSecret> b)
    {
        b.Property(x => x.Id).ValueGeneratedNever();
    }
}
