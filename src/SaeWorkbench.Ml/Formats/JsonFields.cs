using System.Text.Json;
using System.Text.Json.Nodes;

namespace SaeWorkbench.Ml.Formats;

/// <summary>Typed reads of a published config's JSON fields; a wrong type is refused naming the file and the field.</summary>
internal sealed class JsonFields(string file, JsonObject root)
{
    public string File { get; } = file;
    public JsonObject Root { get; } = root;

    public static JsonFields Read(string path)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        JsonNode? node;
        try { node = JsonNode.Parse(System.IO.File.ReadAllText(path)); }
        catch (JsonException e) { throw new SaeFormatException(path, "(file)", $"not valid JSON ({e.Message})"); }
        return new JsonFields(path, node as JsonObject ?? throw new SaeFormatException(path, "(file)", "not a JSON object"));
    }

    public bool Has(string name) => Root[name] is not null;

    public JsonNode? Node(string name) => Root[name];

    public int? Int(string name) => Get<int?>(name, n => n.GetValueKind() == JsonValueKind.Number && n.AsValue().TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d : null, "an integer");

    public double? Double(string name) => Get<double?>(name, n => n.GetValueKind() == JsonValueKind.Number ? n.GetValue<double>() : (double?)null, "a number");

    public bool? Bool(string name) => Get<bool?>(name, n => n.GetValueKind() switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => (bool?)null }, "true or false");

    public string? String(string name) => Get(name, n => n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null, "a string");

    public JsonObject? Object(string name) => Get(name, n => n as JsonObject, "an object");

    public int RequireInt(string name, int min = 1) =>
        Int(name) is { } v && v >= min ? v : throw new SaeFormatException(File, name, Has(name) ? $"must be an integer ≥ {min}, got {Root[name]!.ToJsonString()}" : "is missing");

    private T? Get<T>(string name, Func<JsonNode, T?> read, string expected)
    {
        var n = Root[name];
        if (n is null || n.GetValueKind() == JsonValueKind.Null) return default;
        var v = read(n);
        return v is null ? throw new SaeFormatException(File, name, $"must be {expected}, got {n.ToJsonString()}") : v;
    }
}
