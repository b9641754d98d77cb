using System.CommandLine;

var root = new RootCommand("SaeWorkbench command line: the workbench's jobs, headless.");
return root.Parse(args).Invoke();
