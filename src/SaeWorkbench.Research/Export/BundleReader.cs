using System.IO.Compression;
using System.Text.Json;
using SaeWorkbench.Ml.Formats;

namespace SaeWorkbench.Research.Export;

/// <summary>A bundle that is not what its manifest says, or not a bundle at all; nothing was written.</summary>
public sealed class BundleException(string message, Exception? inner = null)
    : Labelling.Services.RefusedException("bundle", [message], " ", inner);

/// <summary>A bundle whose every file matched its manifest. Dispose deletes the extraction folder of a zip.</summary>
public sealed class VerifiedBundle(string folder, BundleManifest manifest, IReadOnlyList<CatalogRecord> records, bool ownsFolder) : IDisposable
{
    public string Folder { get; } = folder;
    public BundleManifest Manifest { get; } = manifest;
    public IReadOnlyList<CatalogRecord> Records { get; } = records;
    public string SaeFolder => Path.Combine(Folder, BundleFormat.SaeFolder);

    public void Dispose()
    {
        if (ownsFolder && Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>
/// Reads and verifies a bundle (a folder or a .zip) before anything is imported. Every name in a bundle is
/// untrusted. A zip is checked before anything is written: its entry count, then its manifest (read from the zip with a
/// size cap, format version 1, every listed file a known bundle file with a plain relative path and a declared size
/// within the caps), then every entry (no <c>../</c> or absolute paths (zip-slip), none unlisted, its size in the zip
/// equal to the manifest's, not compressed suspiciously well); only then are the listed files extracted, each copied at
/// most to its declared size. Then every file must match its size and SHA-256, the catalog must parse, and the SAE's
/// shapes must agree with the manifest and the catalog.
/// </summary>
public static class BundleReader
{
    /// <summary>Everything a bundle may expand to.</summary>
    public const long MaxUncompressedBytes = 8L << 30;

    /// <summary>One file of a bundle (the SAE's weights are the largest: 4 GiB holds d_in 4,096 × d_sae 131,072).</summary>
    public const long MaxEntryBytes = 4L << 30;

    /// <summary>manifest.json (one line per file; real manifests are a few kilobytes).</summary>
    public const long MaxManifestBytes = 16L << 20;

    /// <summary>
    /// Uncompressed ÷ compressed size above which an entry over <see cref="RatioCheckBytes"/> is refused as a zip bomb.
    /// Float weights barely compress (≈ 1.1×) and JSON catalogs about 10×; a run of zeros compresses ≈ 1,000×.
    /// </summary>
    public const double MaxCompressionRatio = 100;

    public const long RatioCheckBytes = 1L << 20;

    public const int MaxEntries = 10_000;

    public static VerifiedBundle Open(string path, string scratchDirectory)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return Verify(full, ownsFolder: false);
        if (!File.Exists(full)) throw new BundleException($"{full}: no such bundle (a folder or a .zip file)");
        ZipArchive archive;
        try { archive = ZipFile.OpenRead(full); }
        catch (InvalidDataException e) { throw new BundleException($"{full} is not a readable zip (truncated or corrupt): {e.Message}", e); }
        using (archive)
        {
            // Everything about the zip is checked before the first byte is written.
            var listed = CheckZip(archive, full);
            var folder = Path.Combine(scratchDirectory, $"bundle-{Guid.NewGuid():N}");
            Directory.CreateDirectory(folder);
            try
            {
                Extract(archive, listed, full, folder);
                return Verify(folder, ownsFolder: true);
            }
            catch
            {
                Directory.Delete(folder, recursive: true);
                throw;
            }
        }
    }

    /// <summary>Refuses a relative path that is absolute, climbs out (<c>..</c>), or is otherwise not a plain bundle path.</summary>
    public static string CheckRelativePath(string name, string what)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new BundleException($"{what}: an empty path");
        if (name.StartsWith('/') || name.StartsWith('\\') || Path.IsPathRooted(name) || (name.Length >= 2 && name[1] == ':'))
            throw new BundleException($"{what}: '{name}' is an absolute path; a bundle holds only relative paths (zip-slip refused)");
        var parts = name.Split('/', '\\');
        if (parts.Any(p => p == ".."))
            throw new BundleException($"{what}: '{name}' climbs out of the bundle with '..' (zip-slip refused)");
        if (name.Contains('\\') || name.Any(char.IsControl) || parts.Any(p => p.Length == 0 || p == "."))
            throw new BundleException($"{what}: '{name}' is not a plain relative path (use '/' between names)");
        return name;
    }

    /// <summary>
    /// The manifest's rules that need no other file: format version 1, an id of letters, digits, '.', '_' and '-' (a letter or digit first),
    /// a dictionary, and a file list of known bundle files (<see cref="BundleFormat.Files"/>), each once, each with a
    /// size within <see cref="MaxEntryBytes"/> and all together within <see cref="MaxUncompressedBytes"/>.
    /// </summary>
    public static BundleManifest ParseManifest(ReadOnlySpan<byte> json)
    {
        BundleManifest manifest;
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("formatVersion", out var version)
                || version.ValueKind != JsonValueKind.Number)
                throw new BundleException($"{BundleFormat.Manifest} has no formatVersion");
            if (!version.TryGetInt32(out var v) || v != BundleFormat.Version)
                throw new BundleException($"{BundleFormat.Manifest}: format version {version.GetRawText()} is unknown; this workbench reads format version {BundleFormat.Version}");
            manifest = doc.RootElement.Deserialize<BundleManifest>(BundleFormat.Json) ?? throw new BundleException($"{BundleFormat.Manifest} is empty");
        }
        catch (JsonException e) { throw new BundleException($"{BundleFormat.Manifest} is not valid JSON: {e.Message}", e); }
        catch (FormatException e) { throw new BundleException($"{BundleFormat.Manifest}: {e.Message}", e); }
        if (manifest.Files is null || manifest.Dictionary is null || manifest.Counts is null || string.IsNullOrWhiteSpace(manifest.BundleId))
            throw new BundleException($"{BundleFormat.Manifest} lacks its bundle id, dictionary, counts or file list");
        // The id only identifies the bundle (re-imports); it never names a folder, but it is stored and shown.
        if (manifest.BundleId.Length > 64 || !char.IsAsciiLetterOrDigit(manifest.BundleId[0])
            || !manifest.BundleId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new BundleException($"{BundleFormat.Manifest}: bundleId must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var f in manifest.Files)
        {
            if (f is null || f.Path is null || f.Sha256 is null) throw new BundleException($"{BundleFormat.Manifest}: a file entry lacks its path or SHA-256");
            CheckRelativePath(f.Path, BundleFormat.Manifest);
            if (!BundleFormat.Files.Contains(f.Path))
                throw new BundleException($"{BundleFormat.Manifest} lists '{f.Path}', which is not a file a bundle holds ({string.Join(", ", BundleFormat.Files)})");
            if (!seen.Add(f.Path)) throw new BundleException($"{BundleFormat.Manifest} lists '{f.Path}' twice");
            if (f.Bytes < 0 || f.Bytes > MaxEntryBytes)
                throw new BundleException($"{BundleFormat.Manifest}: '{f.Path}' declares {f.Bytes} bytes; a bundle file has 0 to {MaxEntryBytes >> 30} GiB");
            total += f.Bytes;
            if (total > MaxUncompressedBytes) throw new BundleException($"{BundleFormat.Manifest}: the files add up to more than {MaxUncompressedBytes >> 30} GiB");
        }
        return manifest;
    }

    /// <summary>
    /// The manifest's dictionary as the workbench would accept it from a person: names on one line without control
    /// characters or bidirectional overrides (the rule for labels), sizes and k in range (k from 1 to d_sae, as the SAE readers allow).
    /// </summary>
    private static void CheckDictionary(BundleDictionary d)
    {
        foreach (var (field, value) in new[] { ("name", d.Name), ("modelName", d.ModelName), ("hook", d.Hook), ("architecture", d.Architecture) })
        {
            if (string.IsNullOrWhiteSpace(value) || value.Length > 200)
                throw new BundleException($"{BundleFormat.Manifest}: dictionary.{field} must be 1–200 characters");
            if (Labelling.TextRules.FirstForbiddenInLine(value) is { } bad)
                throw new BundleException($"{BundleFormat.Manifest}: dictionary.{field} contains {bad}");
        }
        if (d.DIn < 1 || d.DSae < 1) throw new BundleException($"{BundleFormat.Manifest}: dictionary.dIn and dSae must be at least 1");
        if (d.K is { } k && (k < 1 || k > d.DSae))
            throw new BundleException($"{BundleFormat.Manifest}: dictionary.k is {k}; it must be from 1 to d_sae ({d.DSae})");
        if (d.TokensTrained < 0) throw new BundleException($"{BundleFormat.Manifest}: dictionary.tokensTrained must be ≥ 0");
    }

    /// <summary>Reads and checks the manifest inside the zip, then every entry against it; writes nothing.</summary>
    private static Dictionary<string, BundleFile> CheckZip(ZipArchive archive, string zipPath)
    {
        if (archive.Entries.Count > MaxEntries) throw new BundleException($"{zipPath}: {archive.Entries.Count} entries; a bundle has at most {MaxEntries}");
        foreach (var entry in archive.Entries)
            CheckRelativePath(entry.FullName.EndsWith('/') ? entry.FullName.TrimEnd('/') : entry.FullName, "zip entry");
        var manifestEntries = archive.Entries.Where(e => e.FullName == BundleFormat.Manifest).ToList();
        if (manifestEntries.Count != 1)
            throw new BundleException($"{zipPath}: {(manifestEntries.Count == 0 ? $"{BundleFormat.Manifest} is missing; this is not a bundle" : $"{BundleFormat.Manifest} appears twice")}");
        var manifestEntry = manifestEntries[0];
        if (manifestEntry.Length > MaxManifestBytes)
            throw new BundleException($"{BundleFormat.Manifest} declares {manifestEntry.Length} bytes; a manifest has at most {MaxManifestBytes >> 20} MiB");
        using var buffer = new MemoryStream();
        CopyAtMost(manifestEntry, buffer, zipPath);
        var manifest = ParseManifest(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));

        var listed = manifest.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var folders = listed.Keys.SelectMany(ParentsOf).ToHashSet(StringComparer.Ordinal);
        var inZip = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in archive.Entries)
        {
            var name = entry.FullName;
            if (name == BundleFormat.Manifest) continue;
            if (name.EndsWith('/'))
            {
                if (!folders.Contains(name.TrimEnd('/')))
                    throw new BundleException($"'{name}' is in the bundle but not in its manifest; refusing a bundle with unverified files");
                continue;
            }
            if (!listed.TryGetValue(name, out var file))
                throw new BundleException($"'{name}' is in the bundle but not in its manifest; refusing a bundle with unverified files");
            if (!inZip.Add(name)) throw new BundleException($"'{name}' appears twice in the zip");
            if (entry.Length != file.Bytes)
                throw new BundleException($"'{name}' expands to {entry.Length} bytes in the zip, the manifest says {file.Bytes} (truncated or altered)");
            if (entry.Length > RatioCheckBytes && entry.Length > MaxCompressionRatio * Math.Max(1, entry.CompressedLength))
                throw new BundleException($"'{name}' expands {entry.Length / (double)Math.Max(1, entry.CompressedLength):N0}-fold " +
                                          $"({entry.CompressedLength} → {entry.Length} bytes); more than {MaxCompressionRatio:N0}-fold is refused as a zip bomb");
        }
        if (listed.Keys.FirstOrDefault(p => !inZip.Contains(p)) is { } missing)
            throw new BundleException($"'{missing}' is listed in the manifest but missing from the bundle");
        return listed;
    }

    private static IEnumerable<string> ParentsOf(string path)
    {
        for (var i = path.LastIndexOf('/'); i > 0; i = path.LastIndexOf('/', i - 1)) yield return path[..i];
    }

    /// <summary>Extracts the manifest and the listed files, nothing else, each at most to its declared size.</summary>
    private static void Extract(ZipArchive archive, IReadOnlyDictionary<string, BundleFile> listed, string zipPath, string folder)
    {
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        foreach (var entry in archive.Entries)
        {
            var name = entry.FullName;
            if (name.EndsWith('/') || (name != BundleFormat.Manifest && !listed.ContainsKey(name))) continue;
            var target = Path.GetFullPath(Path.Combine(folder, name));
            if (!target.StartsWith(root, StringComparison.Ordinal))
                throw new BundleException($"zip entry '{name}' lands outside the bundle (zip-slip refused)");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var output = File.Create(target);
            CopyAtMost(entry, output, zipPath);
        }
    }

    /// <summary>Copies an entry, never trusting its declared size: at most one byte more than it, then compares.</summary>
    private static void CopyAtMost(ZipArchiveEntry entry, Stream output, string zipPath)
    {
        try
        {
            using var input = entry.Open();
            var buffer = new byte[81920];
            long written = 0;
            int read;
            while ((read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, entry.Length + 1 - written))) > 0)
            {
                output.Write(buffer, 0, read);
                written += read;
                if (written > entry.Length) break;
            }
            if (written != entry.Length) throw new InvalidDataException($"{written}{(written > entry.Length ? "+" : "")} bytes read, {entry.Length} declared");
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new BundleException($"{zipPath}: entry '{entry.FullName}' cannot be read (truncated or corrupt zip): {e.Message}", e);
        }
    }

    private static VerifiedBundle Verify(string folder, bool ownsFolder)
    {
        var manifestPath = Path.Combine(folder, BundleFormat.Manifest);
        if (!File.Exists(manifestPath)) throw new BundleException($"{folder}: {BundleFormat.Manifest} is missing; this is not a bundle");
        if (new FileInfo(manifestPath).Length > MaxManifestBytes)
            throw new BundleException($"{BundleFormat.Manifest} has more than {MaxManifestBytes >> 20} MiB");
        var manifest = ParseManifest(File.ReadAllBytes(manifestPath));

        // Every listed file: present, the right size and hash.
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in manifest.Files)
        {
            listed.Add(f.Path);
            var file = Path.Combine(folder, f.Path);
            if (!File.Exists(file)) throw new BundleException($"'{f.Path}' is listed in the manifest but missing from the bundle");
            if (new FileInfo(file).LinkTarget is not null) throw new BundleException($"'{f.Path}' is a link; a bundle holds only plain files");
            var length = new FileInfo(file).Length;
            if (length != f.Bytes) throw new BundleException($"'{f.Path}' has {length} bytes, the manifest says {f.Bytes} (truncated or altered)");
            var sha = BundleExporter.Sha256File(file);
            if (!string.Equals(sha, f.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new BundleException($"'{f.Path}': SHA-256 {sha} does not match the manifest's {f.Sha256}; the file was altered or damaged");
        }
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(folder, file).Replace('\\', '/');
            if (rel != BundleFormat.Manifest && !listed.Contains(rel))
                throw new BundleException($"'{rel}' is in the bundle but not in its manifest; refusing a bundle with unverified files");
        }
        foreach (var required in new[] { BundleFormat.Catalog, $"{BundleFormat.SaeFolder}/{SaeLensFolder.ConfigFile}", $"{BundleFormat.SaeFolder}/{SaeLensFolder.WeightsFile}" })
            if (!listed.Contains(required)) throw new BundleException($"the bundle has no {required}");

        var d = manifest.Dictionary;
        CheckDictionary(d);
        var weightsSha = manifest.Files.First(f => f.Path == $"{BundleFormat.SaeFolder}/{SaeLensFolder.WeightsFile}").Sha256;
        if (!string.Equals(weightsSha, d.SaeSha256, StringComparison.OrdinalIgnoreCase))
            throw new BundleException($"the manifest's SAE SHA-256 {d.SaeSha256} is not the hash of sae/{SaeLensFolder.WeightsFile} ({weightsSha})");

        // The catalog.
        var records = new List<CatalogRecord>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(Path.Combine(folder, BundleFormat.Catalog)))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                var r = JsonSerializer.Deserialize<CatalogRecord>(line, BundleFormat.Json) ?? throw new BundleException($"{BundleFormat.Catalog} line {lineNo} is null");
                if (r.Consensus is null || r.Stats is null || r.Interpretations is null)
                    throw new BundleException($"{BundleFormat.Catalog} line {lineNo} lacks consensus, stats or interpretations");
                records.Add(r);
            }
            catch (JsonException e) { throw new BundleException($"{BundleFormat.Catalog} line {lineNo} is not a catalog record: {e.Message}", e); }
        }
        if (records.Count != manifest.Counts.Latents)
            throw new BundleException($"{BundleFormat.Catalog} has {records.Count} latents, the manifest says {manifest.Counts.Latents}");
        if (records.Select(r => r.Index).Distinct().Count() != records.Count)
            throw new BundleException($"{BundleFormat.Catalog} lists a latent index twice");

        // The SAE against the manifest and the catalog.
        try
        {
            using var sae = SaeLensFolder.Load(Path.Combine(folder, BundleFormat.SaeFolder));
            var a = sae.Autoencoder;
            if (a.DSae != d.DSae || a.DIn != d.DIn)
                throw new BundleException($"the SAE is d_sae {a.DSae} × d_in {a.DIn} but the manifest says d_sae {d.DSae} × d_in {d.DIn}");
            if (records.FirstOrDefault(r => r.Index < 0 || r.Index >= a.DSae) is { } outside)
                throw new BundleException($"{BundleFormat.Catalog} has latent {outside.Index}, but the SAE has {a.DSae} latents (0 … {a.DSae - 1})");
            if (manifest.Options?.Only == "all" && records.Count != a.DSae)
                throw new BundleException($"{BundleFormat.Catalog} has {records.Count} latents, but the SAE of this 'all' bundle has {a.DSae}");
            if (a.Architecture == SaeWorkbench.Ml.Sae.SaeArchitecture.TopK && d.K != a.K)
                throw new BundleException($"the SAE keeps k = {a.K} latents per token but the manifest says k = {d.K?.ToString() ?? "nothing"}");
            if (sae.Metadata.HookName != d.Hook)
                throw new BundleException($"the SAE's hook is '{sae.Metadata.HookName}' but the manifest says '{d.Hook}'");
        }
        catch (Exception e) when (e is InvalidDataException or SafetensorsFormatException or IOException or JsonException or FormatException
                                      or InvalidOperationException or ArgumentException or OverflowException)
        {
            throw new BundleException($"the SAE in sae/ cannot be loaded: {e.Message}", e);
        }
        return new VerifiedBundle(folder, manifest, records, ownsFolder);
    }
}
