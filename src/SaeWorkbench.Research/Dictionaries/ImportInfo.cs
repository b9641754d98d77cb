using System.Text.Json;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>
/// How an imported dictionary was read (docs/science.md §11): its format and architecture as published, what the
/// reader folded into the weights or keeps as an input transform, the release it belongs to and the L0 it was
/// published at, the import options the person chose (<see cref="Options"/>: every later load of the folder must use
/// them, see <see cref="RegisteredSae"/>) and, when the person imported it on another model than its config names, that
/// override. Kept in the dictionary's config JSON under <c>"import"</c>, which the Dictionaries page reads.
/// </summary>
public sealed record ImportInfo(string Format, string Architecture, IReadOnlyList<string> Transforms, string? Release, double? PublishedL0, string Source,
    SaeLoadOptions? Options = null, string? ModelMismatch = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static ImportInfo Of(SaeLensSae sae, string folder, string? release, SaeLoadOptions? options = null, string? modelMismatch = null) =>
        new(sae.Format, sae.SourceArchitecture, sae.Transforms, release, SaeFolders.PublishedL0(folder, sae), Path.GetFullPath(folder),
            options is { CentreWritingWeights: null, NormScalingFactor: null } ? null : options, modelMismatch);

    /// <summary>The import options in words ("center_writing_weights on, norm scaling factor 2.5"), or null when none were chosen.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? OptionsText => Options is not { } o ? null : string.Join(", ", new[]
    {
        o.CentreWritingWeights is { } c ? $"center_writing_weights {(c ? "on" : "off")}" : null,
        o.NormScalingFactor is { } s ? $"norm scaling factor {s.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}" : null,
    }.Where(x => x is not null));

    public string ToJson() => new JsonObject { ["import"] = JsonSerializer.SerializeToNode(this, Json) }.ToJsonString();

    /// <summary>The import record in a dictionary's config JSON, or null for a dictionary trained here.</summary>
    public static ImportInfo? Parse(string? configJson)
    {
        if (string.IsNullOrWhiteSpace(configJson)) return null;
        try
        {
            return JsonNode.Parse(configJson) is JsonObject o && o["import"] is JsonObject i ? i.Deserialize<ImportInfo>(Json) : null;
        }
        catch (JsonException) { return null; }
    }
}
