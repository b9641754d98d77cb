extern alias cli;

using System.CommandLine;
using System.Text.RegularExpressions;
using cli::SaeWorkbench.Cli;

namespace SaeWorkbench.Web.Tests.Cli;

/// <summary>
/// The README's command lines against the real <c>sae</c> command tree: every command, sub-command and option a code block
/// shows must exist, so the README cannot drift from the CLI unnoticed.
/// </summary>
public sealed partial class ReadmeCommandLineTests
{
    [Fact]
    public void Every_sae_command_and_option_in_the_README_exists_in_the_command_line()
    {
        var lines = ReadmeCommandLines(File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")));
        var root = SaeCommandLine.Build();
        var problems = lines.SelectMany(line => Check(root, line).Select(p => $"`{line}`: {p}")).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // The README documents the CLI in code blocks; finding none would mean this test checks nothing.
        Assert.True(lines.Count >= 10, $"only {lines.Count} command lines found in the README's code blocks");
    }

    [Fact]
    public void A_misspelt_command_or_option_is_reported()
    {
        var root = SaeCommandLine.Build();
        Assert.Contains(Check(root, "lm infoo models/demo-gpt2"), p => p.Contains("infoo"));
        Assert.Contains(Check(root, "trian --model m"), p => p.Contains("trian"));
        Assert.Contains(Check(root, "train --model m --latentz 8"), p => p.Contains("--latentz"));
        Assert.Empty(Check(root, "import bundle.zip --as alice"));
        Assert.Empty(Check(root, "steer --model m --sae s --prompt 'a b' --latent 3 [--kind add|ablate]"));
    }

    [Fact]
    public void Command_lines_are_read_from_code_blocks_in_every_form_the_README_uses()
    {
        const string readme = """
            Text mentioning sae train outside a block is prose.
            ```bash
            sae lm info models/demo-gpt2   # a comment
            dotnet src/SaeWorkbench.Cli/bin/Release/net10.0/sae.dll worker --name w1
            # or: dotnet run -c Release --project src/SaeWorkbench.Cli -- worker --name w2
            echo unrelated
            ```
            Inline, `sae inspect <dir> [--json]` and `sae worker` are commands too; `dotnet build` is not.
            """;
        Assert.Equal(["lm info models/demo-gpt2", "worker --name w1", "worker --name w2", "inspect <dir> [--json]", "worker"],
            ReadmeCommandLines(readme));
    }

    /// <summary>
    /// What follows <c>sae</c>, <c>…/sae.dll</c> or <c>--project src/SaeWorkbench.Cli --</c> on each line of a fenced code
    /// block, then every inline code span of the prose that starts with <c>sae</c>.
    /// </summary>
    internal static List<string> ReadmeCommandLines(string markdown)
    {
        var result = new List<string>();
        var inline = new List<string>();
        var inBlock = false;
        foreach (var raw in markdown.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("```", StringComparison.Ordinal)) { inBlock = !inBlock; continue; }
            if (!inBlock)
            {
                inline.AddRange(InlineCommand().Matches(line).Select(m => m.Groups["rest"].Value.Trim()));
                continue;
            }
            var match = CommandLine().Match(line);
            if (!match.Success) continue;
            var rest = match.Groups["rest"].Value;
            var comment = rest.IndexOf(" #", StringComparison.Ordinal);
            result.Add((comment >= 0 ? rest[..comment] : rest).Trim());
        }
        return [.. result, .. inline];
    }

    [GeneratedRegex(@"`sae(?:\s+(?<rest>[^`]*))?`")]
    private static partial Regex InlineCommand();

    [GeneratedRegex(@"(?:^sae\s+|sae\.dll\s+|--project\s+src/SaeWorkbench\.Cli\s+--\s+)(?<rest>.*)$")]
    private static partial Regex CommandLine();

    /// <summary>Walks the command path, then checks every <c>--option</c> against the command it reached.</summary>
    internal static List<string> Check(RootCommand root, string line)
    {
        var tokens = Tokens(line);
        Command command = root;
        var i = 0;
        for (; i < tokens.Count; i++)
        {
            var next = command.Subcommands.FirstOrDefault(c => c.Name == tokens[i] || c.Aliases.Contains(tokens[i]));
            if (next is null) break;
            command = next;
        }
        var path = string.Join(' ', ["sae", .. tokens.Take(i)]);
        var problems = new List<string>();
        if (i < tokens.Count && !tokens[i].StartsWith('-') && command.Arguments.Count == 0)
            problems.Add($"'{path}' has no sub-command '{tokens[i]}' (it has: {string.Join(", ", command.Subcommands.Select(c => c.Name))})");
        var options = OptionsOf(command);
        foreach (var token in tokens.Skip(i).Where(t => t.StartsWith("--", StringComparison.Ordinal)))
        {
            var name = token.Split('=')[0];
            if (!options.Contains(name)) problems.Add($"'{path}' has no option {name}");
        }
        return problems;
    }

    /// <summary>The command's own options and the recursive ones of its ancestors (--help), by every alias.</summary>
    private static HashSet<string> OptionsOf(Command command)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void AddAll(Option o)
        {
            names.Add(o.Name);
            foreach (var alias in o.Aliases) names.Add(alias);
        }
        foreach (var o in command.Options) AddAll(o);
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
            foreach (var o in parent.Options.Where(o => o.Recursive)) AddAll(o);
        return names;
    }

    /// <summary>Shell-like words: quotes group; optional-part brackets, choice parentheses and bars, and trailing commas are dropped.</summary>
    private static List<string> Tokens(string line)
    {
        var words = new List<string>();
        foreach (Match m in Regex.Matches(line, "'[^']*'|\"[^\"]*\"|\\S+"))
        {
            var w = m.Value.Trim('[', ']', '(', ')', ',');
            if (w.Length > 0 && w != "|") words.Add(w);
        }
        return words;
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return dir!.FullName;
    }
}
