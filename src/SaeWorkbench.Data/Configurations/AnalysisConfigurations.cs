using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Jobs;

namespace SaeWorkbench.Data.Configurations;

internal sealed class LatentAnalysisConfiguration : IEntityTypeConfiguration<LatentAnalysis>
{
    public void Configure(EntityTypeBuilder<LatentAnalysis> b)
    {
        b.ToTable("LatentAnalyses");
        b.HasOne<SaeDictionary>().WithMany().HasForeignKey(a => a.DictionaryId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Job>().WithMany().HasForeignKey(a => a.JobId).OnDelete(DeleteBehavior.SetNull);
        b.Property(a => a.CorpusPath).HasMaxLength(1000);
        // At most one current analysis per dictionary.
        b.HasIndex(a => a.DictionaryId).IsUnique().HasFilter("\"IsCurrent\" = 1");
    }
}

internal sealed class FeatureDashboardConfiguration : IEntityTypeConfiguration<FeatureDashboard>
{
    public void Configure(EntityTypeBuilder<FeatureDashboard> b)
    {
        b.ToTable("FeatureDashboards");
        b.HasKey(d => new { d.AnalysisId, d.LatentId });
        b.HasOne<LatentAnalysis>().WithMany().HasForeignKey(d => d.AnalysisId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Latent>().WithMany().HasForeignKey(d => d.LatentId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(d => d.LatentId);
        b.Property(d => d.TopTokens).HasMaxLength(PreviewLengths.TopTokens);
        b.Property(d => d.TopContext).HasMaxLength(PreviewLengths.TopContext);
    }
}

internal sealed class FeatureExampleConfiguration : IEntityTypeConfiguration<FeatureExample>
{
    public void Configure(EntityTypeBuilder<FeatureExample> b)
    {
        b.ToTable("FeatureExamples");
        b.HasOne<LatentAnalysis>().WithMany().HasForeignKey(e => e.AnalysisId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Latent>().WithMany().HasForeignKey(e => e.LatentId).OnDelete(DeleteBehavior.Cascade);
        b.Property(e => e.Kind).HasConversion<string>().HasMaxLength(16);
        // A feature page reads one latent's examples of the current analysis in order.
        b.HasIndex(e => new { e.LatentId, e.AnalysisId, e.Kind, e.Bin, e.Rank }).IsUnique();
        b.HasIndex(e => e.AnalysisId);
    }
}
