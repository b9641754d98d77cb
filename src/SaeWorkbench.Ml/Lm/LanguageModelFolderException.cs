namespace SaeWorkbench.Ml.Lm;

/// <summary>A model folder (config, weights or tokenizer) that cannot be used, naming the file and the problem.</summary>
public sealed class LanguageModelFolderException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    public string FilePath { get; } = path;
    public string Problem { get; } = problem;
}
