using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Events;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Research.Labelling.Services;

/// <summary>
/// The application layer of collaborative labelling: interpretations, versions, votes, review,
/// comments with mentions, consensus and audit. Every write is authorised here from the caller's
/// <see cref="Actor"/> with the pure rules of <c>Labelling/</c>; an accepted write commits its change,
/// the latent's recomputed consensus and exactly one audit entry in one transaction, then publishes its
/// events. A refused write changes nothing. The UI, the API and the hub all call this class.
/// </summary>
public sealed partial class LabellingService(IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions)
{
    private static readonly MarkdownRenderer CommentRenderer = new(CommentRules.MaxBodyLength);

    private async Task<DataLabelling.WorkspaceSettings> SettingsAsync(CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.WorkspaceSettings.AsNoTracking().FirstOrDefaultAsync(ct) ?? new DataLabelling.WorkspaceSettings();
    }

    private static async Task<int> ThresholdAsync(WorkbenchDbContext db, CancellationToken ct)
    {
        var threshold = await db.WorkspaceSettings.Select(s => (int?)s.ConsensusThreshold).FirstOrDefaultAsync(ct) ?? Consensus.DefaultScoreThreshold;
        return Consensus.ValidateThreshold(threshold).IsValid ? threshold : Consensus.DefaultScoreThreshold;
    }

    /// <summary>
    /// Recomputes the latent's consensus with <see cref="Consensus.Of"/> from its saved interpretations and
    /// writes the denormalised columns (call after SaveChanges, inside the write's transaction).
    /// </summary>
    internal static async Task RecomputeConsensusAsync(LabellingWrite w, long latentId, CancellationToken ct)
    {
        var latent = await w.Db.Latents.FirstAsync(l => l.Id == latentId, ct);
        var interpretations = await w.Db.Interpretations.Where(i => i.LatentId == latentId && !i.IsDeleted).ToListAsync(ct);
        // Machine explanations take part only where the workspace says so (docs/science.md §13).
        var countMachine = await w.Db.WorkspaceSettings.Select(s => (bool?)s.CountMachineInterpretations).FirstOrDefaultAsync(ct) ?? true;
        if (!countMachine) interpretations = interpretations.Where(i => i.ExplanationModelName is null).ToList();
        var result = Consensus.Of(interpretations.Select(Standing), await ThresholdAsync(w.Db, ct));
        var chosen = result.Interpretation is { } s ? interpretations.First(i => i.Id == s.Id) : null;
        var status = result.Status switch
        {
            ConsensusStatus.Accepted => LabelStatus.Accepted,
            ConsensusStatus.Proposed => LabelStatus.Proposed,
            _ => LabelStatus.Unlabelled,
        };
        if (latent.LabelStatus == status && latent.ConsensusInterpretationId == chosen?.Id
            && latent.ConsensusLabel == chosen?.Label && latent.ConsensusTag == chosen?.Tag) return;
        latent.LabelStatus = status;
        latent.ConsensusInterpretationId = chosen?.Id;
        latent.ConsensusLabel = chosen?.Label;
        latent.ConsensusTag = chosen?.Tag;
        await w.Db.SaveChangesAsync(ct);
        w.Publish(new ConsensusChanged(latentId, status.ToString(), chosen?.Id, chosen?.Label));
    }

    internal static InterpretationStanding Standing(DataLabelling.Interpretation i) =>
        new(i.Id, i.Label, i.Score, ToStatus(i.Review), i.ReviewedAt, i.IsDeleted, i.DetectionScore, i.CreatedAt);

    internal static ReviewStatus ToStatus(DataLabelling.ReviewDecision d) => d switch
    {
        DataLabelling.ReviewDecision.Accepted => ReviewStatus.Accepted,
        DataLabelling.ReviewDecision.Rejected => ReviewStatus.Rejected,
        _ => ReviewStatus.Pending,
    };

    internal static DataLabelling.ReviewDecision ToDecision(ReviewStatus s) => s switch
    {
        ReviewStatus.Accepted => DataLabelling.ReviewDecision.Accepted,
        ReviewStatus.Rejected => DataLabelling.ReviewDecision.Rejected,
        _ => DataLabelling.ReviewDecision.None,
    };

    internal static ConsensusView ConsensusOf(Latent l) =>
        new(l.LabelStatus.ToString(), l.ConsensusInterpretationId, l.ConsensusLabel, l.ConsensusTag);

    internal static InterpretationView View(DataLabelling.Interpretation i, string? authorName, int? myVote) =>
        new(i.Id, i.LatentId, i.AuthorId, authorName, i.Label, i.Description, StoredMarkdown.Html(i.DescriptionHtml, i.Description),
            i.Tag, i.Confidence, i.Score, i.UpVotes, i.DownVotes, myVote, ToStatus(i.Review).ToString(), i.ReviewReason,
            i.ReviewerId, i.ReviewedAt, i.Version, i.CreatedAt, i.UpdatedAt);

    internal static VersionView View(DataLabelling.InterpretationVersion v, string? editorName) =>
        new(v.Version, v.Label, v.Description, StoredMarkdown.Html(v.DescriptionHtml, v.Description), v.Tag, v.Confidence, v.EditedById, editorName, v.EditedAt);

    internal static CommentView View(DataLabelling.Comment c, string? authorName) =>
        new(c.Id, c.LatentId, c.InterpretationId, c.AuthorId, authorName, c.Body, StoredMarkdown.Html(c.BodyHtml, c.Body, CommentRenderer), c.CreatedAt);

    /// <summary>What the audit log keeps of an interpretation.</summary>
    internal static object Snapshot(DataLabelling.Interpretation i) => new
    {
        i.Id, i.LatentId, i.AuthorId, i.Label, i.Description, i.Tag, i.Confidence, i.Version,
        Review = ToStatus(i.Review).ToString(), i.ReviewReason, i.ReviewerId, i.IsDeleted,
    };
}
