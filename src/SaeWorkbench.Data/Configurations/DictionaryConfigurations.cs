using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Jobs;

namespace SaeWorkbench.Data.Configurations;

internal sealed class SaeDictionaryConfiguration : IEntityTypeConfiguration<SaeDictionary>
{
    public void Configure(EntityTypeBuilder<SaeDictionary> b)
    {
        b.ToTable("Dictionaries");
        b.Property(d => d.Name).HasMaxLength(200);
        b.Property(d => d.ModelName).HasMaxLength(200);
        b.Property(d => d.HookName).HasMaxLength(200);
        b.Property(d => d.Architecture).HasMaxLength(32);
        b.Property(d => d.WeightsSha256).HasMaxLength(64);
        b.HasIndex(d => new { d.ModelName, d.HookName });
        b.HasOne<WorkbenchUser>().WithMany().HasForeignKey(d => d.CreatedById).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Job>().WithMany().HasForeignKey(d => d.SourceJobId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class LatentConfiguration : IEntityTypeConfiguration<Latent>
{
    public void Configure(EntityTypeBuilder<Latent> b)
    {
        b.HasOne<SaeDictionary>().WithMany().HasForeignKey(l => l.DictionaryId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(l => new { l.DictionaryId, l.Index }).IsUnique();
        // The feature list sorts and filters on these within one dictionary. Each sort index is the sort key,
        // then Index (the list's tie-break), so a page, even a deep one, is read in order from the index alone; label
        // status descending (ties by ascending index) has its own descending index. After those come the filter columns
        // (dead, density, status, tag): a filtered page walks its sort index and tests each entry there, without
        // reading the row (five filters on 100k latents: 10 ms of row lookups became 2.4 ms).
        b.HasIndex(l => new { l.DictionaryId, l.Index, l.IsDead, l.Density, l.LabelStatus, l.ConsensusTag }, "IX_Latents_Sort_Index");
        b.HasIndex(l => new { l.DictionaryId, l.Density, l.Index, l.IsDead, l.LabelStatus, l.ConsensusTag }, "IX_Latents_Sort_Density");
        // Density descending, ties by ascending index: the ascending index served it with a sort of each run of equal
        // densities. Bought by the browse benchmark's ?sort=density&desc=true.
        b.HasIndex(l => new { l.DictionaryId, l.Density, l.Index, l.IsDead, l.LabelStatus, l.ConsensusTag }, "IX_Latents_Sort_DensityDesc")
            .IsDescending(false, true, false, false, false, false);
        b.HasIndex(l => new { l.DictionaryId, l.MaxActivation, l.Index, l.IsDead, l.Density, l.LabelStatus, l.ConsensusTag }, "IX_Latents_Sort_MaxActivation");
        // Maximum descending (the usual way to look for the strongest latents), ties by ascending index: without it the plan
        // sorts each run of equal maxima, and a real dictionary's dead latents (maximum 0) are one long run that a deep page
        // sorts in full; the browse benchmark's views, with few ties, show no difference (catalog 0.48 against 0.50 ms).
        b.HasIndex(l => new { l.DictionaryId, l.MaxActivation, l.Index, l.IsDead, l.Density, l.LabelStatus, l.ConsensusTag }, "IX_Latents_Sort_MaxActivationDesc")
            .IsDescending(false, true, false, false, false, false, false);
        b.HasIndex(l => new { l.DictionaryId, l.LabelStatus, l.Index, l.IsDead, l.Density, l.ConsensusTag }, "IX_Latents_Sort_LabelStatus");
        b.HasIndex(l => new { l.DictionaryId, l.LabelStatus, l.Index, l.IsDead, l.Density, l.ConsensusTag }, "IX_Latents_Sort_LabelStatusDesc")
            .IsDescending(false, true, false, false, false, false);
        // The score sort (descending is the usual one, ties by ascending index) and the minimum-score filter: a seek to
        // the first score at or above the minimum instead of a grouped pass over every interpretation and score per page.
        b.HasIndex(l => new { l.DictionaryId, l.BestScore, l.Index, l.IsDead, l.Density, l.LabelStatus, l.ConsensusTag }, "IX_Latents_Sort_BestScore");
        b.HasIndex(l => new { l.DictionaryId, l.BestScore, l.Index, l.IsDead, l.Density, l.LabelStatus, l.ConsensusTag }, "IX_Latents_Sort_BestScoreDesc")
            .IsDescending(false, true, false, false, false, false, false);
        // The dead / alive filter (counted and paged by index or density) and the tag filter.
        b.HasIndex(l => new { l.DictionaryId, l.IsDead, l.Index });
        b.HasIndex(l => new { l.DictionaryId, l.IsDead, l.Density });
        b.HasIndex(l => new { l.DictionaryId, l.ConsensusTag, l.Index });
        b.Property(l => l.LabelStatus).HasConversion<string>().HasMaxLength(16);
        b.Property(l => l.ConsensusLabel).HasMaxLength(120);
        b.Property(l => l.ConsensusTag).HasMaxLength(64);
        b.Property(l => l.TopTokens).HasMaxLength(PreviewLengths.TopTokens);
        b.Property(l => l.TopContext).HasMaxLength(PreviewLengths.TopContext);
    }
}
