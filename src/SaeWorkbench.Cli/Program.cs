using SaeWorkbench.Cli;

return SaeCommandLine.Build().Parse(args).Invoke();
