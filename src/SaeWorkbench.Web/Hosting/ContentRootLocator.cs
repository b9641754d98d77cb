namespace SaeWorkbench.Web.Hosting;

/// <summary>
/// The content root is the repository root (the folder holding SaeWorkbench.sln), so the top-level
/// appsettings.json and wwwroot/ are the live ones. <c>WORKBENCH_CONTENT_ROOT</c> overrides it (deployments).
/// </summary>
public static class ContentRootLocator
{
    public const string MarkerFile = "SaeWorkbench.sln";

    public static string Find()
    {
        var explicitRoot = Environment.GetEnvironmentVariable("WORKBENCH_CONTENT_ROOT");
        if (!string.IsNullOrWhiteSpace(explicitRoot)) return Path.GetFullPath(explicitRoot);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, MarkerFile))) return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}
