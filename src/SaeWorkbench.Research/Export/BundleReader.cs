using System.IO.Compression;
using System.Text.Json;
using SaeWorkbench.Ml.Formats;

namespace SaeWorkbench.Research.Export;

/// <summary>A bundle that is not what its manifest says, or not a bundle at all; nothing was written.</summary>
public sealed class BundleException(string message, Exception? inner = null) : Exception(message, inner);

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
/// Issue 10 §4: reads and verifies a bundle (a folder or a .zip) before anything is imported: zip entries with
/// <c>../</c> or absolute paths are refused (zip-slip), a truncated or corrupt zip is refused, the manifest must be
/// format version 1, every file must be listed with its exact size and SHA-256 and no other file may be present,
/// the catalog must parse, and the SAE's shapes must agree with the manifest and the catalog.
/// </summary>
public static class BundleReader
{
    public const long MaxUncompressedBytes = 8L << 30;
    public const int MaxEntries = 10_000;

    public static VerifiedBundle Open(string path, string scratchDirectory)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return Verify(full, ownsFolder: false);
        if (!File.Exists(full)) throw new BundleException($"{full}: no such bundle (a folder or a .zip file)");
        var folder = Path.Combine(scratchDirectory, $"bundle-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            Extract(full, folder);
            return Verify(folder, ownsFolder: true);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
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

    private static void Extract(string zipPath, string folder)
    {
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        ZipArchive archive;
        try { archive = ZipFile.OpenRead(zipPath); }
        catch (InvalidDataException e) { throw new BundleException($"{zipPath} is not a readable zip (truncated or corrupt): {e.Message}", e); }
        using (archive)
        {
            if (archive.Entries.Count > MaxEntries) throw new BundleException($"{zipPath}: {archive.Entries.Count} entries; a bundle has at most {MaxEntries}");
            long total = 0;
            foreach (var entry in archive.Entries)
            {
                var name = entry.FullName;
                if (name.EndsWith('/')) { CheckRelativePath(name.TrimEnd('/'), "zip entry"); continue; }
                CheckRelativePath(name, "zip entry");
                var target = Path.GetFullPath(Path.Combine(folder, name));
                if (!target.StartsWith(root, StringComparison.Ordinal))
                    throw new BundleException($"zip entry '{name}' lands outside the bundle (zip-slip refused)");
                total += entry.Length;
                if (total > MaxUncompressedBytes) throw new BundleException($"{zipPath}: more than {MaxUncompressedBytes >> 30} GiB uncompressed");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try
                {
                    using var input = entry.Open();
                    using var output = File.Create(target);
                    // Never trust the declared size: copy at most one byte more than it, then compare.
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
                catch (InvalidDataException e)
                {
                    throw new BundleException($"{zipPath}: entry '{name}' cannot be read (truncated or corrupt zip): {e.Message}", e);
                }
                catch (IOException e)
                {
                    throw new BundleException($"{zipPath}: entry '{name}' cannot be read (truncated or corrupt zip): {e.Message}", e);
                }
            }
        }
    }

    private static VerifiedBundle Verify(string folder, bool ownsFolder)
    {
        var manifestPath = Path.Combine(folder, BundleFormat.Manifest);
        if (!File.Exists(manifestPath)) throw new BundleException($"{folder}: {BundleFormat.Manifest} is missing; this is not a bundle");
        BundleManifest manifest;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
            if (!doc.RootElement.TryGetProperty("formatVersion", out var version) || version.ValueKind != JsonValueKind.Number)
                throw new BundleException($"{BundleFormat.Manifest} has no formatVersion");
            if (version.GetInt32() != BundleFormat.Version)
                throw new BundleException($"{BundleFormat.Manifest}: format version {version.GetRawText()} is unknown; this workbench reads format version {BundleFormat.Version}");
            manifest = doc.RootElement.Deserialize<BundleManifest>(BundleFormat.Json) ?? throw new BundleException($"{BundleFormat.Manifest} is empty");
        }
        catch (JsonException e) { throw new BundleException($"{BundleFormat.Manifest} is not valid JSON: {e.Message}", e); }
        catch (FormatException e) { throw new BundleException($"{BundleFormat.Manifest}: {e.Message}", e); }
        if (manifest.Files is null || manifest.Dictionary is null || string.IsNullOrWhiteSpace(manifest.BundleId) || manifest.BundleId.Length > 64)
            throw new BundleException($"{BundleFormat.Manifest} lacks its bundle id, dictionary or file list");

        // Every listed file: a plain relative path, present, the right size and hash.
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in manifest.Files)
        {
            CheckRelativePath(f.Path, BundleFormat.Manifest);
            if (!listed.Add(f.Path)) throw new BundleException($"{BundleFormat.Manifest} lists '{f.Path}' twice");
            var file = Path.Combine(folder, f.Path);
            if (!File.Exists(file)) throw new BundleException($"'{f.Path}' is listed in the manifest but missing from the bundle");
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
            if (sae.Metadata.HookName != d.Hook)
                throw new BundleException($"the SAE's hook is '{sae.Metadata.HookName}' but the manifest says '{d.Hook}'");
        }
        catch (Exception e) when (e is InvalidDataException or SafetensorsFormatException or FileNotFoundException or JsonException or FormatException or InvalidOperationException)
        {
            throw new BundleException($"the SAE in sae/ cannot be loaded: {e.Message}", e);
        }
        return new VerifiedBundle(folder, manifest, records, ownsFolder);
    }
}
