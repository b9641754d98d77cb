using System.CommandLine;
using SaeWorkbench.Cli.Commands;

namespace SaeWorkbench.Cli;

/// <summary>The <c>sae</c> command tree: Program runs it, and a test checks every command the README lists against it.</summary>
public static class SaeCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("SaeWorkbench command line: the workbench's jobs, headless.");
        foreach (var command in LmCommands.Create()) root.Subcommands.Add(command);
        SaeCommands.AddTo(root);
        DictionaryCommands.AddTo(root);
        AnalyzeCommand.AddTo(root);
        WorkerCommand.AddTo(root);
        SteerCommand.AddTo(root);
        ExportCommands.AddTo(root);
        DictionaryFormatCommands.AddTo(root);
        return root;
    }
}
