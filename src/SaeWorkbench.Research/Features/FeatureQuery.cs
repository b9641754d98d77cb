using SaeWorkbench.Data.Dictionaries;

namespace SaeWorkbench.Research.Features;

public enum FeatureSort
{
    Index,
    Density,
    MaxActivation,
    LabelStatus,
}

/// <summary>
/// A view of a dictionary's latents: filters, sort and page. It round-trips through a URL query string so that a
/// view can be shared (<see cref="ToQueryString"/>, <see cref="Parse"/>).
/// </summary>
public sealed record FeatureQuery
{
    public const int MaxPageSize = 200;

    /// <summary>Text searched in consensus labels and in every (non-deleted) interpretation's label and description.</summary>
    public string? Search { get; init; }

    public FeatureSort Sort { get; init; } = FeatureSort.Index;
    public bool Descending { get; init; }

    /// <summary>true: only dead latents; false: only alive ones; null: both.</summary>
    public bool? Dead { get; init; }

    /// <summary>true: only latents firing on more than <see cref="DenseThreshold"/> of tokens.</summary>
    public bool? Dense { get; init; }

    /// <summary>Density above which a latent counts as dense (docs/science.md §3: 10%, also 1%).</summary>
    public double DenseThreshold { get; init; } = 0.1;

    public double? MinDensity { get; init; }
    public double? MaxDensity { get; init; }

    /// <summary>Tag of the consensus interpretation.</summary>
    public string? Tag { get; init; }

    public LabelStatus? Status { get; init; }

    /// <summary>0-based page.</summary>
    public int Page { get; init; }

    public int PageSize { get; init; } = 50;

    public FeatureQuery Normalised() => this with
    {
        Search = string.IsNullOrWhiteSpace(Search) ? null : Search.Trim()[..Math.Min(Search.Trim().Length, 200)],
        Page = Math.Max(0, Page),
        PageSize = Math.Clamp(PageSize, 1, MaxPageSize),
        Tag = string.IsNullOrWhiteSpace(Tag) ? null : Tag.Trim(),
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
            Tag = Get("tag"),
            Status = Get("status") is { } st && Enum.TryParse<LabelStatus>(st, true, out var status) ? status : null,
            Page = Int("page", 0),
            PageSize = Int("size", 50),
        }.Normalised();
    }
}

/// <summary>One row of the feature list.</summary>
public sealed record FeatureRow(int Index, double? Density, double? MaxActivation, double? MeanActivation, bool IsDead,
    LabelStatus LabelStatus, string? ConsensusLabel, string? ConsensusTag, bool ConsensusHidden = false);

public sealed record FeaturePage(IReadOnlyList<FeatureRow> Rows, int Total, FeatureQuery Query);
