using System.CommandLine;
using SaeWorkbench.Cli.Commands;

var root = new RootCommand("SaeWorkbench command line: the workbench's jobs, headless.");
foreach (var command in LmCommands.Create()) root.Subcommands.Add(command);
SaeCommands.AddTo(root);
DictionaryCommands.AddTo(root);
AnalyzeCommand.AddTo(root);
WorkerCommand.AddTo(root);
SteerCommand.AddTo(root);
ExportCommands.AddTo(root);
DictionaryFormatCommands.AddTo(root);
return root.Parse(args).Invoke();
