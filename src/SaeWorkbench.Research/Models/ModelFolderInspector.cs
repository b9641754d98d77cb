using System.Text.Json;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Models;

/// <summary>
/// Finds and checks Hugging Face model folders under the import roots without loading weights: config.json and the
/// safetensors headers only (docs/science.md §10.2). Every problem of a folder is listed, not only the first.
/// </summary>
public sealed class ModelFolderInspector(ServerPathPolicy folders)
{
    /// <summary>Folders below a root that the scan descends into (a root's children are depth 1).</summary>
    public const int MaxDepth = 4;

    /// <summary>Folders one scan looks at before it stops; a larger tree is cut short rather than walked for ever.</summary>
    public const int MaxFolders = 20_000;

    /// <summary>
    /// Model folders (config.json with model.safetensors or its index) under every import root, to
    /// <see cref="MaxDepth"/> levels. Unreadable folders are skipped; a link is followed only when it leads to a folder
    /// inside the roots, and each real folder is visited once. Each one found is checked as <see cref="Check"/> does.
    /// </summary>
    public IReadOnlyList<ModelFolderCheck> Scan(string computeDtype)
    {
        var roots = folders.Roots;
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var found = new List<ModelFolderCheck>();
        var pending = new Queue<(string Folder, int Depth)>(roots.Select(r => (r, 0)));
        foreach (var r in roots) visited.Add(r);
        var seen = 0;
        while (pending.Count > 0 && seen < MaxFolders)
        {
            var (folder, depth) = pending.Dequeue();
            seen++;
            if (LooksLikeModel(folder)) found.Add(CheckReal(folder, folder, computeDtype));
            if (depth >= MaxDepth) continue;
            IEnumerable<DirectoryInfo> children;
            try { children = new DirectoryInfo(folder).EnumerateDirectories().OrderBy(d => d.Name, StringComparer.Ordinal).ToList(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException) { continue; }
            foreach (var child in children)
            {
                // Hidden folders (.git, caches) and npm's packages hold no models worth listing and can be huge.
                if (child.Name.StartsWith('.') || child.Name == "node_modules") continue;
                var real = child.LinkTarget is null ? child.FullName : ServerPathPolicy.RealPath(child.FullName);
                if (real is null || !ServerPathPolicy.IsInside(real, roots) || !visited.Add(real)) continue;
                pending.Enqueue((real, depth + 1));
            }
        }
        return found.OrderBy(f => f.FullPath, StringComparer.Ordinal).ToList();
    }

    private static bool LooksLikeModel(string folder) =>
        File.Exists(Path.Combine(folder, HuggingFaceModels.ConfigFile))
        && (File.Exists(Path.Combine(folder, HuggingFaceModels.WeightsFile)) || File.Exists(Path.Combine(folder, HuggingFaceModels.IndexFile)));

    /// <summary>
    /// A folder a person named: confined by <see cref="ServerPathPolicy"/> first (outside the roots, the one refusal
    /// sentence and nothing else, so it cannot map the disk), then every problem: no config.json, a family or option
    /// the loader refuses (its own message), missing weights, shards or tokenizer.
    /// </summary>
    public ModelFolderCheck Check(string path, string computeDtype)
    {
        if (string.IsNullOrWhiteSpace(path)) return new ModelFolderCheck(path ?? "", null, null, ["path: enter a model folder."]);
        var confined = folders.Folder(path);
        if (confined.Error is { } error) return new ModelFolderCheck(path, null, null, [$"path: {error}."]);
        return CheckReal(path, confined.FullPath!, computeDtype);
    }

    private ModelFolderCheck CheckReal(string path, string real, string computeDtype)
    {
        if (folders.CheckTree(real) is { } escape) return new ModelFolderCheck(path, real, null, [$"path: {escape}."]);
        var problems = new List<string>();
        var configPath = Path.Combine(real, HuggingFaceModels.ConfigFile);
        var configOk = false;
        if (!File.Exists(configPath)) problems.Add($"No {HuggingFaceModels.ConfigFile} in the folder: it is not a Hugging Face model folder.");
        else
        {
            try
            {
                var json = HuggingFaceConfig.ReadJson(configPath);
                if (HuggingFaceConfig.Family(json, configPath) == "gpt2") HuggingFaceGpt2.ReadConfig(configPath);
                else HuggingFaceConfig.ParseDecoder(json, configPath);
                configOk = true;
            }
            catch (Exception e) when (IsFolderProblem(e)) { problems.Add(Sentence(e)); }
        }
        var weightsOk = CheckWeights(real, problems);
        if (!TokenizerFolder.ExistsIn(real))
            problems.Add("No tokenizer: expected tokenizer.json, or vocab.json + merges.txt.");
        ModelFolderInfo? info = null;
        if (configOk && weightsOk)
        {
            try { info = HuggingFaceModels.Inspect(real, ComputeDtypes.ToScalarType(computeDtype)); }
            catch (Exception e) when (IsFolderProblem(e)) { problems.Add(Sentence(e)); }
        }
        return new ModelFolderCheck(path, real, info, problems);
    }

    /// <summary>model.safetensors, or an index whose every shard is present (all missing shards are named).</summary>
    private static bool CheckWeights(string folder, List<string> problems)
    {
        if (File.Exists(Path.Combine(folder, HuggingFaceModels.WeightsFile))) return true;
        var index = Path.Combine(folder, HuggingFaceModels.IndexFile);
        if (!File.Exists(index))
        {
            problems.Add(Directory.EnumerateFiles(folder, "pytorch_model*.bin").Any()
                ? $"Only PyTorch pickle weights (pytorch_model*.bin), which are not read: convert them to {HuggingFaceModels.WeightsFile}."
                : $"No weights: expected {HuggingFaceModels.WeightsFile} or {HuggingFaceModels.IndexFile} with its shards.");
            return false;
        }
        JsonObject json;
        try { json = HuggingFaceConfig.ReadJson(index); }
        catch (Exception e) when (IsFolderProblem(e)) { problems.Add(Sentence(e)); return false; }
        if (json["weight_map"] is not JsonObject map)
        {
            problems.Add($"{HuggingFaceModels.IndexFile} has no \"weight_map\" object.");
            return false;
        }
        var shards = map.Select(p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).Distinct().ToList();
        var missing = shards.Where(s => s is null || s.Contains('/') || s.Contains('\\') || s.Contains("..")
                                        || !File.Exists(Path.Combine(folder, s))).Select(s => s ?? "(not a file name)").ToList();
        foreach (var shard in missing) problems.Add($"Shard {shard} listed in {HuggingFaceModels.IndexFile} is missing.");
        return missing.Count == 0;
    }

    private static bool IsFolderProblem(Exception e) =>
        e is LanguageModelFolderException or IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException
            or JsonException or FormatException or InvalidOperationException or KeyNotFoundException;

    /// <summary>The loader's own words, with the file named by its name only (the folder is the one asked about).</summary>
    private static string Sentence(Exception e) => e is LanguageModelFolderException f
        ? $"{Path.GetFileName(f.FilePath)}: {f.Problem.TrimEnd('.')}."
        : e.Message.TrimEnd('.') + ".";
}
