using System.Text;
using System.Text.Json;

namespace SaeWorkbench.Research.Labelling.Services;

/// <summary>
/// Reads <c>WorkspaceSettings.TaxonomyJson</c> into a <see cref="Taxonomy"/>. The column holds either tag
/// names (the seeded form, ["lexical/token", ...]) or objects {key, name, description}. A name that is a
/// default tag's name or key maps to that tag; another name gets a slug key. Unreadable JSON, or tags
/// that fail <see cref="Taxonomy.Validate"/>, fall back to <see cref="Taxonomy.Default"/>.
/// </summary>
public static class WorkspaceTaxonomy
{
    public static Taxonomy Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return Taxonomy.Default;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return Taxonomy.Default;
            var tags = new List<TaxonomyTag>();
            foreach (var element in doc.RootElement.EnumerateArray())
            {
                if (element.ValueKind == JsonValueKind.String)
                {
                    var name = element.GetString() ?? "";
                    tags.Add(Taxonomy.Default.Tags.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
                             ?? Taxonomy.Default.Find(name)
                             ?? new TaxonomyTag(Slug(name), name, ""));
                }
                else if (element.ValueKind == JsonValueKind.Object)
                {
                    var name = Read(element, "name") ?? "";
                    tags.Add(new TaxonomyTag(Read(element, "key") ?? Slug(name), name, Read(element, "description") ?? ""));
                }
            }
            return Taxonomy.Validate(tags).IsValid ? new Taxonomy(tags) : Taxonomy.Default;
        }
        catch (JsonException)
        {
            return Taxonomy.Default;
        }
    }

    private static string? Read(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    private static string Slug(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name.Trim().ToLowerInvariant())
            sb.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        var slug = sb.ToString().Trim('-');
        return slug.Length > 40 ? slug[..40] : slug;
    }
}
