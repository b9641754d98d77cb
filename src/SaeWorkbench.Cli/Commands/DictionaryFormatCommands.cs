using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae inspect</c> and <c>sae encode</c>: what a published dictionary folder is and how it will be read
/// (docs/science.md §11), and its latents and reconstruction for activations a researcher supplies, so they can check
/// this workbench against their own scripts.
/// </summary>
public static class DictionaryFormatCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Inspect());
        root.Subcommands.Add(Encode());
    }

    private static Option<bool?> CentreOption() => new("--center-writing-weights")
    {
        Description = "SAELens folders: centre inputs on their per-token mean (TransformerLens center_writing_weights); default: as the folder records",
    };

    private static Option<double?> ScaleOption() => new("--norm-scaling-factor")
    {
        Description = "SAELens folders with normalize_activations \"expected_average_only_in\": the dataset norm scaling factor to fold in",
    };

    private static Command Inspect()
    {
        var folder = new Argument<string>("dir") { Description = "A dictionary folder (SAELens, Gemma Scope, Llama Scope, sparsify, dictionary_learning) or a release holding several" };
        var centre = CentreOption();
        var scale = ScaleOption();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text" };
        var command = new Command("inspect", "Say what a published dictionary folder is: format, architecture, shapes, dtype, hooks, model, and what will be folded or transformed, or why it is refused.")
        {
            folder, centre, scale, json,
        };
        command.SetAction(parse =>
        {
            var root = Path.GetFullPath(parse.GetValue(folder)!);
            var options = new SaeLoadOptions { CentreWritingWeights = parse.GetValue(centre), NormScalingFactor = parse.GetValue(scale) };
            var members = Directory.Exists(root) ? SaeFolders.Discover(root) : [];
            if (members.Count == 0) members = [root];
            var reports = members.Select(m => Describe(m, options)).ToList();
            if (parse.GetValue(json))
                Console.WriteLine((reports.Count == 1 && members[0] == root ? (JsonNode)reports[0] : new JsonArray([.. reports])).ToJsonString(Indented));
            else
                foreach (var r in reports) Console.WriteLine(Text(r));
            return reports.Any(r => r["refused"] is not null) ? 1 : 0;
        });
        return command;
    }

    /// <summary>One folder's report: the dictionary as it will be read, or the reason it is refused.</summary>
    public static JsonObject Describe(string folder, SaeLoadOptions options)
    {
        var report = new JsonObject { ["folder"] = folder };
        try
        {
            using var loaded = SaeFolders.Load(folder, options);
            var sae = loaded.Autoencoder;
            report["format"] = loaded.Format;
            report["architecture"] = loaded.SourceArchitecture;
            report["reads_as"] = sae.IsTranscoder ? SaeLensFolder.ArchitectureNameOrNull(sae) ?? $"{sae.Architecture.CliName()} transcoder" : SaeLensFolder.ArchitectureNameOrNull(sae) ?? sae.Architecture.CliName();
            report["transcoder"] = sae.IsTranscoder;
            report["d_in"] = sae.DIn;
            report["d_sae"] = sae.DSae;
            report["d_out"] = sae.DOut;
            if (sae.K > 0) report["k"] = sae.K;
            report["shapes"] = new JsonObject(sae.Tensors().OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonArray([.. kv.Value.shape.Select(d => (JsonNode?)d)]))));
            report["dtype"] = DtypesOf(folder);
            report["hook"] = loaded.Metadata.HookName;
            if (loaded.Metadata.HookNameOut is { } hookOut) report["hook_out"] = hookOut;
            report["model"] = loaded.Metadata.ModelName;
            report["apply_b_dec_to_input"] = sae.Form.ApplyBDecToInput;
            report["transforms"] = new JsonArray([.. loaded.Transforms.Select(t => (JsonNode?)t)]);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or JsonException)
        {
            report["refused"] = e.Message;
        }
        return report;
    }

    /// <summary>The stored dtypes of the weight files (the computation runs in float32).</summary>
    private static string DtypesOf(string folder)
    {
        var types = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*.safetensors", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) == SaeLensFolder.SparsityFile) continue;
            foreach (var e in Safetensors.ReadHeader(file).Tensors.Values) types.Add(e.Dtype);
        }
        // npz arrays and torch storages carry their own dtypes: read them rather than naming only the container.
        foreach (var (file, load) in new (string, Func<string, Dictionary<string, Tensor>>)[] { ("params.npz", NumpyArchive.Load), ("ae.pt", TorchStateDict.Load) })
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path)) continue;
            var tensors = load(path);
            foreach (var t in tensors.Values)
            {
                types.Add(SafetensorsDtype(t.dtype));
                t.Dispose();
            }
        }
        return string.Join(", ", types);
    }

    /// <summary>A torch dtype in the safetensors spelling the other formats' weights are reported in.</summary>
    private static string SafetensorsDtype(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        _ => t.ToString(),
    };

    private static string Text(JsonObject r)
    {
        if (r["refused"] is { } why) return $"{r["folder"]}\n  refused: {why}\n";
        var lines = new List<string>
        {
            $"{r["folder"]}",
            $"  format        {r["format"]} ({r["architecture"]}, read as {r["reads_as"]})",
            $"  shapes        d_in {r["d_in"]}, d_sae {r["d_sae"]}, d_out {r["d_out"]}" + (r["k"] is { } k ? $", k {k}" : ""),
            $"  tensors       {string.Join(", ", r["shapes"]!.AsObject().Select(kv => $"{kv.Key} {kv.Value!.ToJsonString()}"))}",
            $"  dtype         {r["dtype"]} (computed in float32)",
            $"  hook          {(r["hook"]!.ToString() is { Length: > 0 } h ? h : "(none; choose at import)")}" + (r["hook_out"] is { } o ? $" → {o}" : ""),
            $"  model         {(r["model"]!.ToString() is { Length: > 0 } m ? m : "(not recorded)")}",
        };
        var transforms = r["transforms"]!.AsArray();
        lines.Add(transforms.Count == 0 ? "  transforms    none" : "  transforms");
        lines.AddRange(transforms.Select(t => $"    - {t}"));
        return string.Join('\n', lines) + "\n";
    }

    private static Command Encode()
    {
        var sae = new Option<string>("--sae") { Description = "A dictionary folder in any format `sae inspect` reads", Required = true };
        var input = new Option<string>("--activations") { Description = "safetensors file with an `activations` tensor [N, d_in]", Required = true };
        var output = new Option<string>("--out") { Description = "safetensors file to write: float32 `feature_acts` [N, d_sae] and `reconstruction` [N, d_out]", Required = true };
        var centre = CentreOption();
        var scale = ScaleOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };
        var command = new Command("encode", "Encode activations with a published dictionary and write its feature activations and reconstruction, to compare with its own library.")
        {
            sae, input, output, centre, scale, json,
        };
        command.SetAction(parse =>
        {
            var asJson = parse.GetValue(json);
            try
            {
                var options = new SaeLoadOptions { CentreWritingWeights = parse.GetValue(centre), NormScalingFactor = parse.GetValue(scale) };
                using var loaded = SaeFolders.Load(Path.GetFullPath(parse.GetValue(sae)!), options);
                var inPath = Path.GetFullPath(parse.GetValue(input)!);
                var tensors = Safetensors.Load(inPath);
                try
                {
                    using var scope = NewDisposeScope();
                    if (!tensors.TryGetValue("activations", out var x))
                        throw new SaeFormatException(inPath, "activations", $"tensor is missing (present: {string.Join(", ", tensors.Keys)})");
                    var d = loaded.Autoencoder.DIn;
                    if (x.dim() != 2 || x.shape[1] != d)
                        throw new SaeFormatException(inPath, "activations", $"has shape [{string.Join(", ", x.shape)}]; the dictionary reads [N, {d}]");
                    if (!x.is_floating_point()) throw new SaeFormatException(inPath, "activations", $"dtype {x.dtype} is not floating point");
                    var xf = x.to(float32);
                    var f = loaded.Autoencoder.Encode(xf);
                    var y = loaded.Autoencoder.Reconstruct(xf);
                    var outPath = Path.GetFullPath(parse.GetValue(output)!);
                    Safetensors.Save(outPath, new Dictionary<string, Tensor> { ["feature_acts"] = f, ["reconstruction"] = y },
                        new Dictionary<string, string> { ["format"] = loaded.Format, ["architecture"] = loaded.SourceArchitecture });
                    var l0 = f.gt(0).sum(1).to(float64).mean().item<double>();
                    if (asJson)
                        Console.WriteLine(new JsonObject
                        {
                            ["out"] = outPath, ["tokens"] = x.shape[0], ["d_sae"] = loaded.Autoencoder.DSae, ["d_out"] = loaded.Autoencoder.DOut,
                            ["l0"] = l0, ["format"] = loaded.Format,
                        }.ToJsonString());
                    else Console.WriteLine($"wrote {outPath}: feature_acts [{x.shape[0]}, {loaded.Autoencoder.DSae}], reconstruction [{x.shape[0]}, {loaded.Autoencoder.DOut}]; mean L0 {l0:F2}");
                }
                finally
                {
                    foreach (var t in tensors.Values) t.Dispose();
                }
                return 0;
            }
            catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or JsonException)
            {
                if (asJson) Console.Error.WriteLine(JsonSerializer.Serialize(new { error = e.Message }));
                else Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
