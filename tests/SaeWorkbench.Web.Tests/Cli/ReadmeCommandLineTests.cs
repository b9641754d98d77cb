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
        var lines = ReadmeCommandLines(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md")));
        var root = SaeCommandLine.Build();
        var problems = lines.SelectMany(line => Check(root, line).Select(p => $"`{line}`: {p}")).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // The README documents the CLI in code blocks; finding none would mean this test checks nothing.
        Assert.True(lines.Count >= 10, $"only {lines.Count} command lines found in the README's code blocks");
    }

    [Fact]
    public void Every_command_of_the_command_line_is_named_in_the_README()
    {
        var lines = ReadmeCommandLines(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md")));
        var root = SaeCommandLine.Build();
        var named = lines.Select(line => Reached(root, line)).ToHashSet();
        var missing = Leaves(root).Where(c => !named.Contains(c)).Select(Typed).ToList();
        Assert.True(missing.Count == 0, "commands the README does not name: " + string.Join(", ", missing));
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
    public void The_command_table_names_commands_and_the_options_its_descriptions_show()
    {
        const string readme = """
            | setting | default | meaning |
            | --- | --- | --- |
            | `Workbench:Redis` | *(empty)* | not a command |

            | command | what it does |
            | --- | --- |
            | `lm info` / `run` / `tokenize` | sizes; run it (`lm run --model <dir> --hooks a,b`); tokenize text |
            | `train` | an SAE (`--arch relu\|topk`, `--latents`, `--target-k` (default true)); checkpoints go to `<out>.checkpoints` |
            | `export` / `import` | bundles; `export --format neuronpedia [--creator id]` |

            - `sae inspect <dir> [--json]`: the format.
              `--center-writing-weights true|false` overrides the centring;
            - `sae encode --sae <dir>`: reads activations.
            """;
        Assert.Equal(["lm info", "lm run", "lm tokenize", "lm run --model <dir> --hooks a,b", "train", "train --arch relu\\|topk",
                "train --latents", "train --target-k", "export", "import", "export --format neuronpedia [--creator id]",
                "inspect --center-writing-weights true|false", "inspect <dir> [--json]", "encode --sae <dir>"],
            ReadmeCommandLines(readme));
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
    /// block; the command table's rows (each command of the first cell, and the code spans of the description that start
    /// with one of them or with an option); the option spans of a list item that starts with an inline <c>sae</c> command;
    /// then every inline code span of the prose that starts with <c>sae</c>.
    /// </summary>
    internal static List<string> ReadmeCommandLines(string markdown)
    {
        var result = new List<string>();
        var inline = new List<string>();
        var inBlock = false;
        var inCommandTable = false;
        string? listCommand = null;
        foreach (var raw in markdown.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("```", StringComparison.Ordinal)) { inBlock = !inBlock; continue; }
            if (!inBlock)
            {
                if (line.StartsWith("| command |", StringComparison.Ordinal)) { inCommandTable = true; continue; }
                if (!line.StartsWith('|')) inCommandTable = false;
                else if (inCommandTable && !line.StartsWith("| ---", StringComparison.Ordinal)) result.AddRange(TableRow(line));
                // A list item's continuation lines are indented; anything else ends the item.
                if (line.StartsWith("- ", StringComparison.Ordinal)) listCommand = InlineCommand().Match(line) is { Success: true } m && m.Index == 2 ? Reached(m.Groups["rest"].Value) : null;
                else if (!raw.StartsWith("  ", StringComparison.Ordinal)) listCommand = null;
                if (listCommand is not null)
                    result.AddRange(CodeSpan().Matches(line).Select(m => m.Groups[1].Value.Trim()).Where(c => c.StartsWith("--", StringComparison.Ordinal)).Select(c => $"{listCommand} {c}"));
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

    /// <summary>
    /// One row of the command table: its first cell's commands (<c>`lm info` / `run`</c>: later ones share the first one's
    /// group), then the description's code spans that start with one of those commands, and its option spans (of the
    /// row's first command).
    /// </summary>
    private static IEnumerable<string> TableRow(string row)
    {
        var cells = Regex.Split(row.Trim('|'), @"(?<!\\)\|");
        var names = CodeSpan().Matches(cells[0]).Select(m => m.Groups[1].Value.Trim()).ToList();
        if (names.Count == 0) yield break;
        var group = names[0].Contains(' ') ? names[0][..names[0].LastIndexOf(' ')] + " " : "";
        var commands = names.Select((n, i) => i == 0 ? n : group + n).ToList();
        foreach (var c in commands) yield return c;
        foreach (var span in cells.Skip(1).SelectMany(c => CodeSpan().Matches(c)).Select(m => m.Groups[1].Value.Trim()))
        {
            if (span.StartsWith("--", StringComparison.Ordinal)) yield return $"{commands[0]} {span}";
            else if (commands.Any(c => span == c || span.StartsWith(c + " ", StringComparison.Ordinal))) yield return span;
        }
    }

    /// <summary>The leading words of <paramref name="line"/> that are not arguments or options: the command it names.</summary>
    private static string Reached(string line) =>
        string.Join(' ', Tokens(line).TakeWhile(t => !t.StartsWith('-') && !t.StartsWith('<') && !t.Contains('/') && !t.Contains('.')));

    [GeneratedRegex(@"`sae(?:\s+(?<rest>[^`]*))?`")]
    private static partial Regex InlineCommand();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex CodeSpan();

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

    /// <summary>The command <paramref name="line"/> reaches in the tree.</summary>
    private static Command Reached(RootCommand root, string line)
    {
        Command command = root;
        foreach (var token in Tokens(line))
        {
            var next = command.Subcommands.FirstOrDefault(c => c.Name == token || c.Aliases.Contains(token));
            if (next is null) break;
            command = next;
        }
        return command;
    }

    /// <summary>Every command without sub-commands, below <paramref name="command"/>.</summary>
    private static IEnumerable<Command> Leaves(Command command) =>
        command.Subcommands.Count == 0 ? [command] : command.Subcommands.SelectMany(Leaves);

    /// <summary>A command's path from the root, as typed (<c>sae lm info</c>).</summary>
    private static string Typed(Command command)
    {
        var names = new List<string> { command.Name };
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, parent is RootCommand ? "sae" : parent.Name);
        return string.Join(' ', names);
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
}
