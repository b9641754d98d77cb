namespace SaeWorkbench.Web.Tests;

/// <summary>The clone the tests run from, for tests that read the repository's own files (README, docs, sources).</summary>
internal static class RepositoryRoot
{
    /// <summary>The folder that holds SaeWorkbench.sln, above the test assembly.</summary>
    public static string Path
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "SaeWorkbench.sln"))) dir = dir.Parent;
            Assert.NotNull(dir);
            return dir!.FullName;
        }
    }
}
