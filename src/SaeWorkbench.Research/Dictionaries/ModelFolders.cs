using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>Reads what a form needs from a model folder without loading its weights.</summary>
public sealed class ModelFolders(WorkbenchPaths paths, ServerPathPolicy folders)
{
    /// <summary>Absolute path; relative paths are under the content root (the repository).</summary>
    public string Resolve(string path) => paths.Resolve(path);

    /// <summary>
    /// A folder a user typed: confined by <see cref="ServerPathPolicy"/> first (the refusal does not say whether it
    /// exists), then described.
    /// </summary>
    public (IReadOnlyList<string> Hooks, int DModel, string? Error) Describe(string folder)
    {
        if (string.IsNullOrWhiteSpace(folder)) return ([], 0, "Enter a model folder.");
        var check = folders.Folder(folder);
        return check.Error is { } error ? ([], 0, $"Model folder: {error}.") : DescribeRecorded(check.FullPath!);
    }

    /// <summary>The model's hook names and residual width, or the reason the folder cannot be used; for a folder the
    /// server recorded itself (a dictionary's model), not one a user typed.</summary>
    public (IReadOnlyList<string> Hooks, int DModel, string? Error) DescribeRecorded(string folder)
    {
        var config = Path.Combine(Resolve(folder), HuggingFaceModels.ConfigFile);
        if (!File.Exists(config)) return ([], 0, $"No {HuggingFaceModels.ConfigFile} in {Resolve(folder)}.");
        try
        {
            var info = HuggingFaceModels.Inspect(Resolve(folder));
            return (info.HookNames, info.DModel, null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or LanguageModelFolderException or System.Text.Json.JsonException)
        {
            return ([], 0, e.Message);
        }
    }
}
