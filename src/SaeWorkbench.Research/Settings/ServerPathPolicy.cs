namespace SaeWorkbench.Research.Settings;

/// <summary>A path a request names, resolved: the real (link-free) absolute path, or why it cannot be used.</summary>
/// <param name="FullPath">The path to read from when <see cref="Error"/> is null.</param>
/// <param name="Error">One sentence without the field name, or null.</param>
public readonly record struct PathCheck(string? FullPath, string? Error)
{
    public bool IsValid => Error is null;
}

/// <summary>Resolves the folders a request names (model, corpus, SAE) before anything reads them.</summary>
public interface IPathResolver
{
    /// <summary>An existing folder; every file under it must be readable under the same rule.</summary>
    PathCheck Folder(string path);
}

/// <summary>
/// The command line run by an operator on their own machine: any folder the operator can read is allowed (they can
/// read it with a shell anyway), so the messages may say what exists. The web host and the job runner never use this.
/// </summary>
public sealed class OperatorPaths : IPathResolver
{
    public static OperatorPaths Instance { get; } = new();

    public PathCheck Folder(string path)
    {
        var full = Path.GetFullPath(path);
        return Directory.Exists(full) ? new PathCheck(full, null) : new PathCheck(null, $"folder '{full}' does not exist");
    }
}

/// <summary>
/// The one rule for paths that users of the server name (job parameters, import forms, model folders): "Labelers
/// cannot touch the server" holds only if a path cannot lead a job to read any file it likes. A path must resolve — after following every symbolic link along it and
/// under it — inside <see cref="WorkbenchSettings.ImportRoots"/> (empty: the content root and the data directory).
/// Anything else is refused with <see cref="Refusal"/>, the same sentence whether the path exists or not, so the
/// refusal cannot be used to map the server's disk. The web host and the job runner both go through this.
/// </summary>
public sealed class ServerPathPolicy(WorkbenchPaths paths, WorkbenchSettings settings) : IPathResolver
{
    /// <summary>The refusal; deliberately the same for a missing path and for one outside the roots.</summary>
    public const string Refusal = "the path is outside the import roots (Workbench:ImportRoots) or does not exist";

    /// <summary>Links followed while resolving one path before it counts as a loop (Linux's own limit is 40).</summary>
    public const int MaxLinks = 40;

    /// <summary>Entries checked under one folder; a larger tree is refused rather than walked for ever.</summary>
    public const int MaxEntries = 200_000;

    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>The configured roots as absolute paths (before links are followed).</summary>
    public IReadOnlyList<string> ConfiguredRoots =>
        settings.ImportRoots.Count > 0
            ? settings.ImportRoots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(paths.Resolve).ToList()
            : [paths.ContentRoot, paths.DataDirectory];

    /// <summary>The roots with their links followed; a root that does not exist allows nothing.</summary>
    public IReadOnlyList<string> Roots => ConfiguredRoots.Select(RealPath).OfType<string>().Distinct().ToList();

    /// <summary>The real path of <paramref name="path"/> when it exists and lies inside a root, else null.</summary>
    public string? Resolve(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Contains('\0')) return null;
        string full;
        try { full = paths.Resolve(path.Trim()); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
        var real = RealPath(full);
        return real is not null && IsInside(real, Roots) ? real : null;
    }

    public PathCheck Folder(string path)
    {
        var real = Resolve(path);
        if (real is null || !Directory.Exists(real)) return new PathCheck(null, Refusal);
        return CheckTree(real) is { } escape ? new PathCheck(null, escape) : new PathCheck(real, null);
    }

    /// <summary>
    /// Null when every entry under <paramref name="realFolder"/> (itself inside the roots) resolves inside the roots;
    /// else why not. A file inside that links out (say <c>sae_weights.safetensors → /etc/…</c>) would otherwise be
    /// read through a folder that passed the check.
    /// </summary>
    public string? CheckTree(string realFolder)
    {
        var roots = Roots;
        var visited = new HashSet<string>(StringComparer.FromComparison(PathComparison)) { realFolder };
        var pending = new Stack<string>([realFolder]);
        var seen = 0;
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            IEnumerable<FileSystemInfo> entries;
            try { entries = new DirectoryInfo(folder).EnumerateFileSystemInfos(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Refusal; }
            foreach (var entry in entries)
            {
                if (++seen > MaxEntries) return $"the folder holds more than {MaxEntries:N0} files and folders";
                var relative = Path.GetRelativePath(realFolder, Path.Combine(folder, entry.Name));
                string? real = entry.FullName;
                if (entry.LinkTarget is not null)
                {
                    real = RealPath(entry.FullName);
                    if (real is null || !IsInside(real, roots))
                        return $"'{relative}' is a link that leads outside the import roots (Workbench:ImportRoots) or nowhere";
                }
                if (Directory.Exists(real) && visited.Add(real)) pending.Push(real);
            }
        }
        return null;
    }

    /// <summary>True when <paramref name="realPath"/> is one of <paramref name="roots"/> or lies under one.</summary>
    public static bool IsInside(string realPath, IEnumerable<string> roots) =>
        roots.Any(root =>
        {
            var r = Path.TrimEndingDirectorySeparator(root);
            var p = Path.TrimEndingDirectorySeparator(realPath);
            return p.Equals(r, PathComparison) || p.StartsWith(r + Path.DirectorySeparatorChar, PathComparison)
                   || (r.EndsWith(Path.DirectorySeparatorChar) && p.StartsWith(r, PathComparison)); // the file-system root
        });

    /// <summary>
    /// <paramref name="absolute"/> with every symbolic link along it followed, component by component (realpath(3)
    /// semantics: <c>..</c> applies to the real folder a link led to, not to the link's name), or null when a component
    /// does not exist, cannot be read, or the links loop.
    /// </summary>
    public static string? RealPath(string absolute)
    {
        try
        {
            var root = Path.GetPathRoot(absolute);
            if (string.IsNullOrEmpty(root)) return null;
            var pending = new Stack<string>();
            Push(pending, absolute[root.Length..]);
            var current = root;
            var links = 0;
            while (pending.Count > 0)
            {
                var part = pending.Pop();
                if (part == ".") continue;
                if (part == "..")
                {
                    current = Path.GetDirectoryName(current) ?? current;
                    continue;
                }
                var next = Path.Combine(current, part);
                var target = new FileInfo(next).LinkTarget;
                if (target is not null)
                {
                    if (++links > MaxLinks) return null;
                    var rooted = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
                    var targetRoot = Path.GetPathRoot(rooted)!;
                    Push(pending, rooted[targetRoot.Length..]);
                    current = targetRoot;
                    continue;
                }
                if (!File.Exists(next) && !Directory.Exists(next)) return null;
                current = next;
            }
            return current;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    private static void Push(Stack<string> pending, string relative)
    {
        var parts = relative.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        for (var i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }
}
