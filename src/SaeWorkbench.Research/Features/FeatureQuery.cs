using SaeWorkbench.Data.Dictionaries;

namespace SaeWorkbench.Research.Features;

public enum FeatureSort
{
    Index,
    Density,
    MaxActivation,
    LabelStatus,

    /// <summary>The best detection or fuzzing score of any live interpretation of the latent (docs/science.md §13).</summary>
    BestScore,
}

/// <summary>
/// A view of a dictionary's latents: filters, sort and page. It round-trips through a URL query string so that a
/// view can be shared (<see cref="ToQueryString"/>, <see cref="Parse"/>).
/// </summary>
public sealed record FeatureQuery
{
    public const int MaxPageSize = 200;

    /// <summary>
    /// Text searched in consensus labels, every live interpretation's label and description, and what the latent fires
    /// on: its top tokens and its strongest context (<see cref="LatentPreview"/>).
    /// </summary>
    public string? Search { get; init; }

    public FeatureSort Sort { get; init; } = FeatureSort.Index;
    public bool Descending { get; init; }

    /// <summary>true: only dead latents; false: only alive ones; null: both.</summary>
    public bool? Dead { get; init; }

    /// <summary>true: only latents firing on more than <see cref="DenseThreshold"/> of tokens.</summary>
    public bool? Dense { get; init; }

    /// <summary>Density above which a latent counts as dense (docs/science.md §3: 10%, also 1%).</summary>
    public double DenseThreshold { get; init; } = 0.1;

    /// <summary>Density bounds as fractions (0.001 = 0.1 %): the URL and saved scope filters keep fractions; the page shows percent.</summary>
    public double? MinDensity { get; init; }
    public double? MaxDensity { get; init; }

    /// <summary>Only latents whose best explanation score (balanced accuracy, 0–1) is at least this.</summary>
    public double? MinScore { get; init; }

    /// <summary>Tag of the consensus interpretation.</summary>
    public string? Tag { get; init; }

    public LabelStatus? Status { get; init; }

    /// <summary>0-based page.</summary>
    public int Page { get; init; }

    public int PageSize { get; init; } = 50;

    public FeatureQuery Normalised() => this with
    {
        Search = string.IsNullOrWhiteSpace(Search) ? null : Search.Trim()[..Math.Min(Search.Trim().Length, 200)],
        Page = Math.Clamp(Page, 0, int.MaxValue / MaxPageSize - 1), // page × size stays an int
        PageSize = Math.Clamp(PageSize, 1, MaxPageSize),
        Tag = string.IsNullOrWhiteSpace(Tag) ? null : Tag.Trim(),
        MinScore = MinScore is { } score ? Math.Clamp(score, 0, 1) : null,
    };

    public string ToQueryString()
    {
        var parts = new List<string>();
        void Add(string key, object? value, object? @default = null)
        {
            if (value is null || Equals(value, @default)) return;
            var text = value switch
            {
                double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                bool b => b ? "true" : "false",
                _ => value.ToString()!,
            };
            parts.Add($"{key}={Uri.EscapeDataString(text)}");
        }
        Add("q", Search);
        Add("sort", Sort == FeatureSort.Index ? null : Sort.ToString().ToLowerInvariant());
        Add("desc", Descending ? true : null);
        Add("dead", Dead);
        Add("dense", Dense);
        Add("minDensity", MinDensity);
        Add("maxDensity", MaxDensity);
        Add("minScore", MinScore);
        Add("tag", Tag);
        Add("status", Status?.ToString().ToLowerInvariant());
        Add("page", Page, 0);
        Add("size", PageSize, 50);
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }

    /// <summary>Reads a query from URL parameters; unknown or malformed values fall back to the defaults.</summary>
    public static FeatureQuery Parse(IReadOnlyDictionary<string, string?> q)
    {
        string? Get(string k) => q.TryGetValue(k, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
        bool? Bool(string k) => Get(k) is { } v && bool.TryParse(v, out var b) ? b : null;
        double? Double(string k) => Get(k) is { } v && double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;
        int Int(string k, int fallback) => Get(k) is { } v && int.TryParse(v, out var i) ? i : fallback;
        return new FeatureQuery
        {
            Search = Get("q"),
            Sort = Get("sort") is { } s && Enum.TryParse<FeatureSort>(s, true, out var sort) ? sort : FeatureSort.Index,
            Descending = Bool("desc") ?? false,
            Dead = Bool("dead"),
            Dense = Bool("dense"),
            MinDensity = Double("minDensity"),
            MaxDensity = Double("maxDensity"),
            MinScore = Double("minScore"),
            Tag = Get("tag"),
            Status = Get("status") is { } st && Enum.TryParse<LabelStatus>(st, true, out var status) ? status : null,
            Page = Int("page", 0),
            PageSize = Int("size", 50),
        }.Normalised();
    }
}

/// <summary>
/// One row of the feature list. <paramref name="TopTokens"/> and <paramref name="TopContext"/> are the stored preview
/// texts (<see cref="LatentPreview"/>); <paramref name="BestScore"/> the best explanation score the viewer may see;
/// <paramref name="LatentId"/> the row's id, and <paramref name="ConsensusInterpretationId"/> the consensus interpretation's
/// (null when hidden), for the list API; <paramref name="ConsensusByModel"/> whether a model account wrote the consensus
/// interpretation (a machine explanation, docs/science.md §13; false when hidden or when there is none).
/// </summary>
public sealed record FeatureRow(int Index, double? Density, double? MaxActivation, double? MeanActivation, bool IsDead,
    LabelStatus LabelStatus, string? ConsensusLabel, string? ConsensusTag, bool ConsensusHidden = false,
    string? TopTokens = null, string? TopContext = null, double? BestScore = null, long LatentId = 0, long? ConsensusInterpretationId = null,
    bool ConsensusByModel = false)
{
    public IReadOnlyList<TokenCount> Tokens => LatentPreview.ParseTokens(TopTokens);
    public ContextSnippet? Context => LatentPreview.ParseContext(TopContext);
}

/// <summary>One page of the list, the number of latents that match, and the query as normalised.</summary>
public sealed record FeaturePage(IReadOnlyList<FeatureRow> Rows, int Total, FeatureQuery Query)
{
    /// <summary>
    /// Why the list is empty and how to widen it, or null when it is not: names the filters that are on, since any of
    /// them may be what leaves nothing.
    /// </summary>
    public string? EmptyReason => Total > 0 ? null : FeatureFilterText.WhyEmpty(Query);
}

/// <summary>The filters of a query in words, for the list's empty state.</summary>
public static class FeatureFilterText
{
    public static string WhyEmpty(FeatureQuery q)
    {
        var on = new List<string>();
        if (q.Search is { } s) on.Add($"the search \"{s}\" (it matches labels, interpretations, top tokens and top contexts)");
        if (q.Dead is { } dead) on.Add(dead ? "dead only" : "alive only");
        if (q.Dense is { } dense) on.Add(dense ? $"dense only (> {q.DenseThreshold:P0})" : $"not dense (≤ {q.DenseThreshold:P0})");
        if (q.MinDensity is { } min) on.Add($"density ≥ {Percent(min)}");
        if (q.MaxDensity is { } max) on.Add($"density ≤ {Percent(max)}");
        if (q.Sort == FeatureSort.BestScore) on.Add("a score (the score sort lists scored latents only: score some, or sort by another column)");
        if (q.MinScore is { } score) on.Add($"best score ≥ {score.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}");
        if (q.Status is { } status) on.Add($"status {status}");
        if (q.Tag is { } tag) on.Add($"tag \"{tag}\"");
        if (on.Count == 0) return "This dictionary has no latents yet: register or train one, then analyse it.";
        return $"No latent matches {string.Join(", ", on)}. Remove a filter or widen a bound to see more"
               + (q.Search is not null ? "; a shorter search word matches more." : ".");
    }

    /// <summary>A density fraction as the list's column writes it, in percent.</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) + " %";
}
