namespace SaeWorkbench.Data.Dictionaries;

public enum LabelStatus
{
    Unlabelled,
    Proposed,
    Accepted,
}

/// <summary>
/// One latent ("feature") of a dictionary, with the statistics the list sorts and filters on and its consensus
/// label, stored here so that a list page over 100k latents is one indexed query. The consensus columns are
/// written only by the labelling service, in the same transaction as the change that moves them.
/// </summary>
public class Latent
{
    public long Id { get; set; }
    public long DictionaryId { get; set; }

    /// <summary>Index in the SAE (0 … d_sae−1).</summary>
    public int Index { get; set; }

    /// <summary>Fraction of (non-BOS) tokens with f_i &gt; 0 (docs/science.md §6); null before analysis.</summary>
    public double? Density { get; set; }

    public double? MaxActivation { get; set; }

    /// <summary>Mean activation over tokens where it is active.</summary>
    public double? MeanActivation { get; set; }

    /// <summary>Never fired over the analysed tokens.</summary>
    public bool IsDead { get; set; }

    public LabelStatus LabelStatus { get; set; }

    public long? ConsensusInterpretationId { get; set; }

    /// <summary>Copy of the consensus interpretation's label, for search and sort.</summary>
    public string? ConsensusLabel { get; set; }

    public string? ConsensusTag { get; set; }

    /// <summary>
    /// Copy of the current analysis's <see cref="Analysis.FeatureDashboard.TopTokens"/>: what the latent fires on, for
    /// the list's previews and its text search (docs/science.md §6).
    /// </summary>
    public string? TopTokens { get; set; }

    /// <summary>Copy of the current analysis's <see cref="Analysis.FeatureDashboard.TopContext"/>.</summary>
    public string? TopContext { get; set; }

    /// <summary>
    /// The best current detection or fuzzing score of the latent's live interpretations, human or model
    /// (docs/science.md §13); null when none is scored. Stored so that the list's score sort and minimum-score filter
    /// walk an index; written only by <see cref="LatentBestScores"/>, from <see cref="WorkbenchDbContext"/>'s save,
    /// in the same transaction as the change that moves it (docs/architecture.md §5).
    /// </summary>
    public double? BestScore { get; set; }

    /// <summary>
    /// What the list's text search matches, lower-cased (the consensus label, top tokens, strongest context and every live
    /// interpretation's label and description): one substring test per latent instead of one per column plus a pass over
    /// the interpretations. Written only by <see cref="LatentSearchTexts"/>, from <see cref="WorkbenchDbContext"/>'s save,
    /// in the same transaction as the change that moves it (docs/architecture.md §5).
    /// </summary>
    public string SearchText { get; set; } = "";
}
