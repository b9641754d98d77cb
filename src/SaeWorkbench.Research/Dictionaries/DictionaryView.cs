using System.Text.Json;
using SaeWorkbench.Data.Dictionaries;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>
/// A dictionary as the API shows it. The model is named by its folder's name only: the server's absolute paths (model
/// folder, SAE folder) never leave the server (docs/architecture.md §9).
/// </summary>
public sealed record DictionaryView(
    long Id,
    string Name,
    string ModelName,
    string? ModelFolder,
    string HookName,
    string Architecture,
    int DIn,
    int DSae,
    int? K,
    double? SparsityCoefficient,
    long TokensTrained,
    JsonElement Metrics,
    long? SourceJobId,
    DateTimeOffset CreatedAt)
{
    public static DictionaryView From(SaeDictionary d) => new(
        d.Id, d.Name, d.ModelName,
        string.IsNullOrEmpty(d.ModelPath) ? null : Path.GetFileName(Path.TrimEndingDirectorySeparator(d.ModelPath)),
        d.HookName, d.Architecture, d.DIn, d.DSae, d.K, d.SparsityCoefficient, d.TokensTrained,
        ParseMetrics(d.MetricsJson), d.SourceJobId, d.CreatedAt);

    /// <summary>The stored metrics object; an empty object when none (or unreadable) were stored.</summary>
    private static JsonElement ParseMetrics(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : Empty();
        }
        catch (JsonException)
        {
            return Empty();
        }
    }

    private static JsonElement Empty()
    {
        using var doc = JsonDocument.Parse("{}");
        return doc.RootElement.Clone();
    }
}
