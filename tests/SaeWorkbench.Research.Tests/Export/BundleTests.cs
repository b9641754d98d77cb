using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Exports;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Research.Export;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Export;

public class BundleTests
{
    private static async Task<(ExportWorkspace W, long DictionaryId)> LabelledAsync()
    {
        var w = await ExportWorkspace.StartAsync();
        using var sae = ExportWorkspace.RandomSae(1);
        var id = await w.AddDictionaryAsync("tiny-topk", sae);
        await w.LabelAsync(id);
        return (w, id);
    }

    /// <summary>The catalog without ids and timestamps (the catalog has no ids; timestamps are dropped).</summary>
    private static List<string> Normalised(string catalogPath) =>
        File.ReadLines(catalogPath).Select(line =>
        {
            var node = JsonNode.Parse(line)!.AsObject();
            foreach (var i in node["interpretations"]!.AsArray())
            {
                var o = i!.AsObject();
                o.Remove("createdAt");
                o.Remove("updatedAt");
                if (o["review"] is JsonObject review) review.Remove("reviewedAt");
            }
            return node.ToJsonString();
        }).ToList();

    [Fact]
    public async Task Export_import_export_gives_the_same_catalog_and_reimport_changes_nothing()
    {
        var (w, id) = await LabelledAsync();
        await using var _ = w;
        await using var other = await ExportWorkspace.StartAsync();
        var first = await w.Get<BundleExporter>().ExportAsync(id, new ExportOptions(), Path.Combine(w.Folder, "out", "first"), w.Reviewer.UserId);

        var imported = await other.Get<BundleImporter>().ImportAsync(first.Path, other.Admin);
        Assert.True(imported.Created);
        Assert.Equal(ExportWorkspace.DSae, imported.Latents);
        Assert.Equal(4, imported.Interpretations);
        Assert.Equal(4, imported.Votes);
        Assert.Equal(3, imported.PlaceholderAccounts);

        var second = await other.Get<BundleExporter>().ExportAsync(imported.DictionaryId, new ExportOptions(), Path.Combine(other.Folder, "out", "second"), other.Admin.UserId);
        var a = Normalised(Path.Combine(first.Path, BundleFormat.Catalog));
        var b = Normalised(Path.Combine(second.Path, BundleFormat.Catalog));
        Assert.Equal(ExportWorkspace.DSae, a.Count);
        Assert.Equal(a, b);
        // The labels really are in it: the accepted consensus, the versions count of an edited interpretation, votes, reviews, contexts.
        var record2 = JsonNode.Parse(File.ReadLines(Path.Combine(second.Path, BundleFormat.Catalog)).ElementAt(2))!;
        Assert.Equal("Accepted", (string?)record2["consensus"]!["status"]);
        Assert.Equal("numbers after a dollar sign", (string?)record2["consensus"]!["label"]);
        Assert.Equal(2, (int)record2["interpretations"]![0]!["versions"]!);
        Assert.Equal("qann-lurmish", (string?)record2["interpretations"]![0]!["author"]);
        Assert.Equal("qrita-vexmoor", (string?)record2["interpretations"]![0]!["review"]!["reviewer"]);
        Assert.Equal("qben-trastor", (string?)record2["interpretations"]![0]!["votes"]![0]!["voter"]);
        Assert.Null(record2["interpretations"]![0]!["detectionScore"]);
        Assert.Contains("[[", (string?)record2["topContexts"]![0]!["text"]);
        Assert.Equal(a.Count, b.Count);

        // Placeholder accounts cannot sign in.
        await using (var db = other.Db())
        {
            var placeholders = await db.Users.Where(u => u.UserName!.StartsWith(ImportedAccounts.Prefix)).ToListAsync();
            Assert.Equal(3, placeholders.Count);
            Assert.All(placeholders, u => { Assert.Null(u.PasswordHash); Assert.True(u.LockoutEnabled); Assert.Equal(DateTimeOffset.MaxValue, u.LockoutEnd); });
            Assert.Equal(1, await db.AuditLog.CountAsync(e => e.Action == "bundle.import"));
        }

        // Idempotent: the same bundle again changes nothing, as a folder or zipped.
        var before = await other.SnapshotAsync();
        var again = await other.Get<BundleImporter>().ImportAsync(first.Path, other.Admin);
        Assert.False(again.Created);
        Assert.Equal(imported.DictionaryId, again.DictionaryId);
        var zip = Path.Combine(w.Folder, "first.zip");
        ZipFile.CreateFromDirectory(first.Path, zip);
        Assert.False((await other.Get<BundleImporter>().ImportAsync(zip, other.Admin)).Created);
        Assert.Equal(before, await other.SnapshotAsync());
    }

    [Fact]
    public async Task The_sae_folder_loads_back_bit_exact_and_every_hash_in_the_manifest_verifies()
    {
        var (w, id) = await LabelledAsync();
        await using var _ = w;
        var result = await w.Get<BundleExporter>().ExportAsync(id, new ExportOptions(Zip: true), Path.Combine(w.Folder, "b.zip"), w.Reviewer.UserId);
        var folder = Path.Combine(w.Folder, "unzipped");
        ZipFile.ExtractToDirectory(result.Path, folder);

        using var original = SaeLensFolder.Load(Path.Combine(w.Folder, "saes", "tiny-topk"));
        using var loaded = SaeLensFolder.Load(Path.Combine(folder, "sae"));
        foreach (var (name, t) in original.Autoencoder.Tensors())
            Assert.Equal(Bits(t), Bits(loaded.Autoencoder.Tensors()[name]));
        Assert.Equal(original.Metadata.HookName, loaded.Metadata.HookName);
        Assert.Equal(original.Log10Density, loaded.Log10Density);

        var manifest = JsonSerializer.Deserialize<BundleManifest>(File.ReadAllText(Path.Combine(folder, "manifest.json")), BundleFormat.Json)!;
        Assert.Equal(1, manifest.FormatVersion);
        var onDisk = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(p => p != "manifest.json").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(onDisk, manifest.Files.Select(f => f.Path).ToList());
        Assert.Contains("report.html", onDisk);
        Assert.Contains("catalog.csv", onDisk);
        Assert.Contains("neuronpedia/explanations.jsonl", onDisk);
        foreach (var f in manifest.Files)
        {
            Assert.Equal(f.Sha256, BundleExporter.Sha256File(Path.Combine(folder, f.Path)));
            Assert.Equal(f.Bytes, new FileInfo(Path.Combine(folder, f.Path)).Length);
        }
        Assert.Equal(manifest.Dictionary.SaeSha256, BundleExporter.Sha256File(Path.Combine(w.Folder, "saes", "tiny-topk", "sae_weights.safetensors")));
        Assert.Equal(new BundleCounts(ExportWorkspace.DSae, 3, 2, 1, 4, 4, 3), manifest.Counts);
        Assert.Equal("qrita-vexmoor", manifest.ExportedBy);

        // Neuronpedia explanations: one line per interpretation with the docs/science.md §8 fields.
        var explanations = File.ReadAllLines(Path.Combine(folder, "neuronpedia", "explanations.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(4, explanations.Count);
        Assert.All(explanations, e =>
        {
            foreach (var field in new[] { "modelId", "layer", "index", "description", "typeName", "explanationModelName", "authorId", "votes", "scores" })
                Assert.True(e.AsObject().ContainsKey(field), field);
            Assert.Equal("0-res-sw", (string?)e["layer"]);
        });
        // CSV: a header and one row per latent.
        Assert.Equal(1 + ExportWorkspace.DSae, File.ReadAllText(Path.Combine(folder, "catalog.csv")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Scope_and_contexts_options_choose_what_the_catalog_holds()
    {
        var (w, id) = await LabelledAsync();
        await using var _ = w;
        var exporter = w.Get<BundleExporter>();
        var labelled = await exporter.ExportAsync(id, new ExportOptions(ExportScope.Labelled, IncludeContexts: false), Path.Combine(w.Folder, "l"), null);
        var accepted = await exporter.ExportAsync(id, new ExportOptions(ExportScope.Accepted), Path.Combine(w.Folder, "a"), null);
        var l = File.ReadAllLines(Path.Combine(labelled.Path, BundleFormat.Catalog)).Select(x => JsonNode.Parse(x)!).ToList();
        Assert.Equal([2, 5, 9], l.Select(x => (int)x["index"]!));
        Assert.All(l, x => Assert.Null(x["topContexts"]));
        Assert.DoesNotContain("[[", File.ReadAllText(Path.Combine(labelled.Path, "report.html")));
        var a = File.ReadAllLines(Path.Combine(accepted.Path, BundleFormat.Catalog)).Select(x => JsonNode.Parse(x)!).ToList();
        Assert.Equal([2], a.Select(x => (int)x["index"]!));
        Assert.NotNull(a[0]["topContexts"]);
        // A partial bundle imports too (its other latents get rows without labels).
        await using var other = await ExportWorkspace.StartAsync();
        var imported = await other.Get<BundleImporter>().ImportAsync(labelled.Path, other.Admin);
        Assert.True(imported.Created);
        await Assert.ThrowsAsync<IOException>(() => exporter.ExportAsync(id, new ExportOptions(), labelled.Path, null));
    }

    [Fact]
    public async Task Pseudonyms_are_stable_and_no_user_name_or_id_appears_anywhere_in_the_bundle()
    {
        var (w, id) = await LabelledAsync();
        await using var _ = w;
        var exporter = w.Get<BundleExporter>();
        var one = await exporter.ExportAsync(id, new ExportOptions(Pseudonymise: true, Zip: true), Path.Combine(w.Folder, "p1.zip"), w.Admin.UserId);
        var two = await exporter.ExportAsync(id, new ExportOptions(Pseudonymise: true), Path.Combine(w.Folder, "p2"), w.Admin.UserId);
        var unzipped = Path.Combine(w.Folder, "p1");
        ZipFile.ExtractToDirectory(one.Path, unzipped);

        foreach (var folder in new[] { unzipped, two.Path })
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var text = Encoding.UTF8.GetString(File.ReadAllBytes(file)); // binary files too
            foreach (var p in w.People)
            {
                Assert.DoesNotContain(p.UserName, text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(p.UserId, text, StringComparison.OrdinalIgnoreCase);
            }
        }
        var authors1 = AuthorsOf(Path.Combine(unzipped, BundleFormat.Catalog));
        var authors2 = AuthorsOf(Path.Combine(two.Path, BundleFormat.Catalog));
        Assert.Equal(authors1, authors2);
        Assert.All(authors1, a => Assert.Matches("^Labeller-[0-9a-f]{6}$", a));
        Assert.Equal(3, authors1.Distinct().Count());
        Assert.Equal(one.Manifest.ExportedBy, two.Manifest.ExportedBy);
        Assert.StartsWith("Labeller-", one.Manifest.ExportedBy);
        // The key is the workspace's: the pseudonym of Ann is HMAC(key, her id).
        await using var db = w.Db();
        var key = (await db.Set<WorkspaceSecret>().SingleAsync()).PseudonymKey;
        Assert.Contains(Pseudonyms.Of(key, w.Ann.UserId), authors1);
    }

    private static int[] Bits(TorchSharp.torch.Tensor t) => t.contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    private static List<string> AuthorsOf(string catalog) =>
        File.ReadLines(catalog).SelectMany(l => JsonNode.Parse(l)!["interpretations"]!.AsArray()
            .SelectMany(i => new[] { (string)i!["author"]! }.Concat(i["votes"]!.AsArray().Select(v => (string)v!["voter"]!))
                .Concat(i["review"] is JsonObject r ? [(string)r["reviewer"]!] : []))).ToList();

    public static TheoryData<string> BadBundles => new()
    {
        "zip-slip-dotdot", "zip-slip-absolute", "hash-mismatch", "truncated-zip", "unknown-version", "shape-mismatch", "unlisted-file", "missing-file",
    };

    [Theory]
    [MemberData(nameof(BadBundles))]
    public async Task A_bad_bundle_is_refused_with_a_clear_error_and_the_database_is_unchanged(string kind)
    {
        var (w, id) = await LabelledAsync();
        await using var _ = w;
        var good = await w.Get<BundleExporter>().ExportAsync(id, new ExportOptions(), Path.Combine(w.Folder, "good"), null);
        var bad = Path.Combine(w.Folder, "bad");
        CopyFolder(good.Path, bad);
        string target = bad, expected;
        switch (kind)
        {
            case "zip-slip-dotdot":
            case "zip-slip-absolute":
                target = Path.Combine(w.Folder, "bad.zip");
                ZipFile.CreateFromDirectory(bad, target);
                using (var zip = ZipFile.Open(target, ZipArchiveMode.Update))
                {
                    var entry = zip.CreateEntry(kind == "zip-slip-dotdot" ? "sae/../../evil.txt" : "/tmp/evil.txt");
                    using var s = entry.Open();
                    s.Write("pwned"u8);
                }
                expected = "zip-slip";
                break;
            case "hash-mismatch":
                var catalog = Path.Combine(bad, BundleFormat.Catalog);
                var bytes = File.ReadAllBytes(catalog);
                bytes[20] ^= 0x01;
                File.WriteAllBytes(catalog, bytes);
                expected = "SHA-256";
                break;
            case "truncated-zip":
                target = Path.Combine(w.Folder, "bad.zip");
                ZipFile.CreateFromDirectory(bad, target);
                var all = File.ReadAllBytes(target);
                File.WriteAllBytes(target, all[..(all.Length * 2 / 3)]);
                expected = "truncated or corrupt";
                break;
            case "unknown-version":
                EditManifest(bad, m => m["formatVersion"] = 2);
                expected = "format version 2 is unknown";
                break;
            case "shape-mismatch":
                EditManifest(bad, m => m["dictionary"]!["dSae"] = ExportWorkspace.DSae + 1);
                expected = "d_sae";
                break;
            case "unlisted-file":
                File.WriteAllText(Path.Combine(bad, "sae", "extra.bin"), "x");
                expected = "not in its manifest";
                break;
            default:
                File.Delete(Path.Combine(bad, "report.html"));
                expected = "missing";
                break;
        }
        await using var other = await ExportWorkspace.StartAsync();
        var before = await other.SnapshotAsync();
        var e = await Assert.ThrowsAsync<BundleException>(() => other.Get<BundleImporter>().ImportAsync(target, other.Admin));
        Assert.Contains(expected, e.Message);
        Assert.Equal(before, await other.SnapshotAsync());
        Assert.False(File.Exists(Path.Combine(other.Folder, "evil.txt")));
        Assert.False(File.Exists("/tmp/evil.txt") && File.ReadAllText("/tmp/evil.txt") == "pwned");
        // Nothing left in the scratch folder either.
        var scratch = Path.Combine(other.Folder, "imports", ".scratch");
        Assert.True(!Directory.Exists(scratch) || !Directory.EnumerateFileSystemEntries(scratch).Any());
    }

    [Fact]
    public async Task Only_admins_import()
    {
        var (w, id) = await LabelledAsync();
        await using var _ = w;
        var good = await w.Get<BundleExporter>().ExportAsync(id, new ExportOptions(), Path.Combine(w.Folder, "good"), null);
        var before = await w.SnapshotAsync();
        await Assert.ThrowsAsync<SaeWorkbench.Research.Labelling.Services.RefusedException>(() => w.Get<BundleImporter>().ImportAsync(good.Path, w.Reviewer));
        Assert.Equal(before, await w.SnapshotAsync());
    }

    [Fact]
    public void Bundle_paths_that_climb_out_or_are_absolute_are_refused()
    {
        foreach (var bad in new[] { "../x", "a/../../x", "/etc/passwd", "C:/x", "\\\\server\\x", "a\\b", "a//b", "./a" })
            Assert.Throws<BundleException>(() => BundleReader.CheckRelativePath(bad, "test"));
        Assert.Equal("sae/cfg.json", BundleReader.CheckRelativePath("sae/cfg.json", "test"));
    }

    private static void EditManifest(string folder, Action<JsonNode> edit)
    {
        var path = Path.Combine(folder, BundleFormat.Manifest);
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
