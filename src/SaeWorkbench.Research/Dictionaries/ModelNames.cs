using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Lm;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>
/// Whether the model a dictionary's config names is the model it is imported on (docs/science.md §11). Names compare
/// without case and without the Hugging Face organisation (<c>google/gemma-2-2b</c> = <c>gemma-2-2b</c>), and through
/// the few TransformerLens aliases that are not spelled like the Hugging Face id (<c>gpt2-small</c> = <c>gpt2</c>).
/// </summary>
public static class ModelNames
{
    /// <summary>TransformerLens names that differ from the Hugging Face id beyond the organisation; each row is one model.</summary>
    private static readonly string[][] Aliases =
    [
        // From TransformerLens's MODEL_ALIASES: aliases that are not just the Hugging Face id without its organisation.
        ["gpt2", "gpt2-small"],
        ["distilgpt2", "distillgpt2", "distill-gpt2", "distil-gpt2", "gpt2-xs"],
    ];

    private static readonly Dictionary<string, string> Canonical = Aliases
        .SelectMany(row => row.Select(name => KeyValuePair.Create(name, row[0])))
        .ToDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The name all spellings of one model share: lower case, without organisation, alias resolved.</summary>
    public static string Key(string name)
    {
        var n = name.Trim().TrimEnd('/');
        var slash = n.LastIndexOf('/');
        if (slash >= 0) n = n[(slash + 1)..];
        n = n.ToLowerInvariant();
        return Canonical.TryGetValue(n, out var c) ? c : n;
    }

    public static bool Same(string a, string b) => Key(a) == Key(b);

    /// <summary>
    /// The names a model folder records for itself: the Hugging Face config's <c>_name_or_path</c> (the id it was
    /// saved from; its last segment when it is a path) and <c>name_or_path</c>, when present.
    /// </summary>
    public static IReadOnlyList<string> RecordedIn(string modelFolder)
    {
        var config = Path.Combine(modelFolder, HuggingFaceModels.ConfigFile);
        if (!File.Exists(config)) return [];
        try
        {
            if (JsonNode.Parse(File.ReadAllText(config)) is not JsonObject o) return [];
            return new[] { "_name_or_path", "name_or_path" }
                .Select(k => o[k] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null)
                .Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!).Distinct().ToList();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or IOException) { return []; }
    }
}
