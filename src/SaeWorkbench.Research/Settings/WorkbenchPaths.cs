namespace SaeWorkbench.Research.Settings;

/// <summary>Absolute locations derived from the settings, resolved once at start.</summary>
public sealed class WorkbenchPaths
{
    public WorkbenchPaths(string contentRoot, string dataDirectory, string? sharedDirectory = null)
    {
        ContentRoot = Path.GetFullPath(contentRoot);
        DataDirectory = Resolve(dataDirectory);
        SharedDirectory = string.IsNullOrWhiteSpace(sharedDirectory) ? DataDirectory : Resolve(sharedDirectory);
    }

    /// <summary>An absolute path; relative ones (settings, job parameters, form fields) are under the content root.</summary>
    public string Resolve(string path) => Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(ContentRoot, path));

    public string ContentRoot { get; }
    public string DataDirectory { get; }

    /// <summary>Job artefacts shared by every web node and worker (<c>Workbench:SharedDirectory</c>; default the data directory).</summary>
    public string SharedDirectory { get; }

    public string JobDirectory(long jobId) => Path.Combine(SharedDirectory, "jobs", jobId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Creates the data directory and proves it is writable. Throws <see cref="IOException"/> with a message a
    /// person can act on when it is not.
    /// </summary>
    public void EnsureWritable()
    {
        try
        {
            Directory.CreateDirectory(DataDirectory);
            var probe = Path.Combine(DataDirectory, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "ok");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new IOException(
                $"The data directory '{DataDirectory}' cannot be created or written ({e.Message}). " +
                "Set Workbench:DataDirectory (environment variable Workbench__DataDirectory) to a writable folder.", e);
        }
    }
}
