using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SaeWorkbench.Research.Export;

/// <summary>Which latents a bundle carries.</summary>
public enum ExportScope
{
    /// <summary>Every latent of the dictionary.</summary>
    All,

    /// <summary>Latents with at least one (not deleted) interpretation.</summary>
    Labelled,

    /// <summary>Latents whose consensus is a reviewer-accepted interpretation.</summary>
    Accepted,
}

/// <param name="Zip">Write one .zip file instead of a folder.</param>
/// <param name="Format">A workbench bundle, or Neuronpedia's bulk-export layout.</param>
/// <param name="CreatorId">Neuronpedia only: the creator/author id its rows carry (default "saeworkbench").</param>
/// <param name="IncludeContexts">Put the top contexts (corpus text) into the catalog and report.</param>
/// <param name="Pseudonymise">Replace every person by a stable pseudonym ("Labeller-7f3a9c"); no user names or ids leave.</param>
public sealed record ExportOptions(ExportScope Scope = ExportScope.All, bool IncludeContexts = true, bool Pseudonymise = false, bool Zip = false,
    ExportFormat Format = ExportFormat.Bundle, string? CreatorId = null)
{
    public static ExportScope ParseScope(string? value) => (value ?? "all").Trim().ToLowerInvariant() switch
    {
        "all" or "" => ExportScope.All,
        "labelled" or "labeled" => ExportScope.Labelled,
        "accepted" => ExportScope.Accepted,
        _ => throw new ArgumentException($"only: '{value}' is not a scope; use all, labelled or accepted"),
    };

    public static ExportFormat ParseFormat(string? value) => (value ?? "bundle").Trim().ToLowerInvariant() switch
    {
        "bundle" or "" => ExportFormat.Bundle,
        "neuronpedia" => ExportFormat.Neuronpedia,
        _ => throw new ArgumentException($"format: '{value}' is not an export format; use bundle or neuronpedia"),
    };
}

/// <summary>What an export writes.</summary>
public enum ExportFormat
{
    /// <summary>The workbench bundle: manifest, SAELens weights, catalog, report (it imports back).</summary>
    Bundle,

    /// <summary>Neuronpedia's bulk-export layout: features, activations and explanations as batch-N.jsonl.gz.</summary>
    Neuronpedia,
}

/// <summary>File names and the format version of a bundle.</summary>
public static class BundleFormat
{
    public const int Version = 1;
    public const string Tool = "SaeWorkbench";
    public const string Manifest = "manifest.json";
    public const string SaeFolder = "sae";
    public const string Catalog = "catalog.jsonl";
    public const string CatalogCsv = "catalog.csv";
    public const string Explanations = "neuronpedia/explanations.jsonl";
    public const string Report = "report.html";

    /// <summary>Every file a bundle may hold besides the manifest; anything else in a bundle is refused.</summary>
    public static readonly IReadOnlySet<string> Files = new HashSet<string>(StringComparer.Ordinal)
    {
        Catalog, CatalogCsv, Explanations, Report,
        $"{SaeFolder}/{Ml.Formats.SaeLensFolder.ConfigFile}", $"{SaeFolder}/{Ml.Formats.SaeLensFolder.WeightsFile}",
        $"{SaeFolder}/{Ml.Formats.SaeLensFolder.SparsityFile}",
    };

    /// <summary>The peak token of a context is written between these markers.</summary>
    public const string PeakOpen = "[[";
    public const string PeakClose = "]]";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter() },
    };

    public static readonly JsonSerializerOptions JsonIndented = new(Json) { WriteIndented = true };

    public static string ToolVersion =>
        typeof(BundleFormat).Assembly.GetName().Version?.ToString() ?? "0.0.0";
}

public sealed record BundleFile(string Path, long Bytes, string Sha256);

public sealed record BundleDictionary(
    string Name,
    string ModelName,
    string? ModelWeightsSha256,
    string Hook,
    string Architecture,
    int DIn,
    int DSae,
    int? K,
    long TokensTrained,
    string SaeSha256,
    JsonNode? TrainingConfig,
    JsonNode? Metrics);

public sealed record BundleCounts(int Latents, int Labelled, int Reviewed, int Accepted, int Interpretations, int Votes, int Contributors);

public sealed record BundleOptionsRecord(string Only, bool Contexts, bool Pseudonymised);

/// <summary>manifest.json: what the bundle is, where it came from, and the SHA-256 of every other file in it.</summary>
public sealed record BundleManifest(
    int FormatVersion,
    string BundleId,
    string Tool,
    string ToolVersion,
    DateTimeOffset CreatedAt,
    string? ExportedBy,
    BundleOptionsRecord Options,
    BundleDictionary Dictionary,
    BundleCounts Counts,
    IReadOnlyList<BundleFile> Files);

/// <summary>One line of catalog.jsonl: a latent with its labels, provenance and analysis.</summary>
public sealed record CatalogRecord(
    int Index,
    CatalogConsensus Consensus,
    IReadOnlyList<CatalogInterpretation> Interpretations,
    CatalogStats Stats,
    CatalogLogits? TopLogits,
    IReadOnlyList<CatalogContext>? TopContexts);

public sealed record CatalogConsensus(string Status, string? Label, string? Tag);

public sealed record CatalogStats(double? Density, double? MaxActivation, double? MeanActivation, bool IsDead);

public sealed record CatalogToken(int TokenId, string Token, double Effect);

public sealed record CatalogLogits(IReadOnlyList<CatalogToken> Positive, IReadOnlyList<CatalogToken> Negative);

/// <summary>A top context as text with the peak token between <see cref="BundleFormat.PeakOpen"/> and <see cref="BundleFormat.PeakClose"/>.</summary>
public sealed record CatalogContext(string Text, string PeakToken, double PeakActivation);

public sealed record CatalogVote(string Voter, int Value);

public sealed record CatalogReview(string Decision, string? Reviewer, string? Reason, DateTimeOffset? ReviewedAt);

/// <summary>Human detection score of an interpretation; null in the catalog while it has no ratings.</summary>
public sealed record CatalogDetectionScore(double? BalancedAccuracy, double? Precision, double? Recall, int Ratings);

public sealed record CatalogInterpretation(
    string Author,
    string Label,
    string Description,
    string? Tag,
    int Confidence,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int Versions,
    int Score,
    int UpVotes,
    int DownVotes,
    IReadOnlyList<CatalogVote> Votes,
    CatalogReview? Review,
    CatalogDetectionScore? DetectionScore,
    string? ExplanationModelName = null,
    IReadOnlyList<CatalogModelScore>? ModelScores = null);

/// <summary>
/// A model's score of an interpretation (docs/science.md §13): scorer ("detection" | "fuzzing"), the rater model, prompt
/// version and seed (enough to re-run it), balanced accuracy and AUROC; <see cref="Stale"/> when it scored an earlier version.
/// </summary>
public sealed record CatalogModelScore(string Scorer, string Model, string PromptVersion, long Seed, double? BalancedAccuracy, double? Auroc,
    int Contexts, int Unanswered, bool Stale);
