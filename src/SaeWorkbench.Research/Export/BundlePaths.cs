using System.Text.Json.Nodes;

namespace SaeWorkbench.Research.Export;

/// <summary>
/// Removes the server's absolute paths from JSON that goes into a bundle (docs/science.md §8): a bundle is shared
/// with people outside the server, so a path under one of the server's roots (data, shared or content folder) is
/// written relative to that root and any other absolute path keeps only its last segment.
/// </summary>
public static class BundlePaths
{
    /// <summary>Rewrites <paramref name="node"/> in place (and returns it) so no string in it is an absolute path.</summary>
    public static JsonNode? Strip(JsonNode? node, IReadOnlyList<string> roots)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(kv => kv.Key).ToList())
                    if (Replacement(o[key], roots) is { } r) o[key] = r; else Strip(o[key], roots);
                return o;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    if (Replacement(a[i], roots) is { } r) a[i] = r; else Strip(a[i], roots);
                return a;
            default:
                return Replacement(node, roots) ?? node;
        }
    }

    private static JsonValue? Replacement(JsonNode? node, IReadOnlyList<string> roots) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String && v.GetValue<string>() is var s && IsAbsolutePath(s)
            ? JsonValue.Create(Relative(s, roots))
            : null;

    private static bool IsAbsolutePath(string s) =>
        s.Length > 1 && !s.Contains("://", StringComparison.Ordinal) && (s[0] == '/' || (s.Length > 2 && char.IsAsciiLetter(s[0]) && s[1] == ':' && s[2] is '\\' or '/'));

    private static string Relative(string path, IReadOnlyList<string> roots)
    {
        var full = path.TrimEnd('/', '\\');
        foreach (var root in roots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r))))
        {
            if (full.StartsWith(root + "/", StringComparison.Ordinal) || full.StartsWith(root + "\\", StringComparison.Ordinal))
                return Path.GetRelativePath(root, full).Replace('\\', '/');
        }
        var last = full.Split('/', '\\').LastOrDefault(p => p.Length > 0);
        return last ?? "";
    }
}
