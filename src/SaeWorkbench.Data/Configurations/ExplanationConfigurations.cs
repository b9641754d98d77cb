using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Data.Configurations;

internal sealed class ExplanationScoreConfiguration : IEntityTypeConfiguration<ExplanationScore>
{
    public void Configure(EntityTypeBuilder<ExplanationScore> b)
    {
        b.HasOne<Interpretation>().WithMany().HasForeignKey(s => s.InterpretationId).OnDelete(DeleteBehavior.Cascade);
        // A restarted score job looks up what it already paid for by these columns.
        b.HasIndex(s => new { s.InterpretationId, s.Scorer, s.ModelName, s.PromptVersion, s.InterpretationVersion });
        b.Property(s => s.Scorer).HasMaxLength(16);
        b.Property(s => s.ModelName).HasMaxLength(200);
        b.Property(s => s.PromptVersion).HasMaxLength(32);
    }
}

internal sealed class ExplanationProviderSettingsConfiguration : IEntityTypeConfiguration<ExplanationProviderSettings>
{
    public void Configure(EntityTypeBuilder<ExplanationProviderSettings> b)
    {
        b.Property(s => s.Id).ValueGeneratedNever();
        b.Property(s => s.BaseUrl).HasMaxLength(2000);
        b.Property(s => s.Model).HasMaxLength(200);
        b.Property(s => s.ProtectedApiKey).HasMaxLength(4000);
        b.Property(s => s.Kind).HasMaxLength(20).HasDefaultValue(ExplanationProviderSettings.EndpointKind);
        b.Property(s => s.ModelPath).HasMaxLength(2000);
        b.Property(s => s.MaxNewTokens).HasDefaultValue(ExplanationProviderSettings.DefaultMaxNewTokens);
        b.Property(s => s.TopP).HasDefaultValue(ExplanationProviderSettings.DefaultTopP);
    }
}
