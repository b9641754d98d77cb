using System.Text.RegularExpressions;

namespace SaeWorkbench.Web.Tests;

/// <summary>
/// The design lives in docs/science.md and docs/architecture.md, and code cites them by section: every cited section
/// must exist, and nothing may cite the team's briefing files or an issue tracker the repository does not contain
/// (history lives in git).
/// </summary>
public sealed partial class DocsCitationTests
{
    private static readonly string[] Scanned = ["src", "tests", "scripts", "wwwroot", "docs"];
    private static readonly string[] Extensions = [".cs", ".razor", ".csproj", ".props", ".js", ".css", ".sh", ".py", ".md"];

    [Fact]
    public void Every_docs_section_that_code_cites_exists()
    {
        var root = RepositoryRoot.Path;
        var sections = new Dictionary<string, HashSet<string>>
        {
            ["science"] = Headings(File.ReadAllText(Path.Combine(root, "docs", "science.md"))),
            ["architecture"] = Headings(File.ReadAllText(Path.Combine(root, "docs", "architecture.md"))),
        };
        var citations = Files(root).SelectMany(f => Citations(File.ReadAllText(f)).Select(c => (File: Relative(root, f), c.Doc, c.Section))).ToList();

        var missing = citations.Where(c => !sections[c.Doc].Contains(c.Section)).Select(c => $"{c.File}: docs/{c.Doc}.md §{c.Section}").Distinct().ToList();
        Assert.True(missing.Count == 0, "citations of sections that do not exist:\n" + string.Join("\n", missing));
        // The code cites both files; finding no citation of one would mean this test checks nothing there.
        Assert.Contains(citations, c => c.Doc == "science");
        Assert.Contains(citations, c => c.Doc == "architecture");
    }

    [Fact]
    public void No_file_cites_the_briefing_files_or_an_issue_number()
    {
        var root = RepositoryRoot.Path;
        var offending = Files(root).Append(Path.Combine(root, "README.md"))
            .Where(f => Path.GetFileName(f) != Path.GetFileName(ThisFile()))
            .SelectMany(f => File.ReadAllLines(f).Select((line, i) => (File: Relative(root, f), Line: i + 1, Text: line)))
            .Where(l => Forbidden().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(offending.Count == 0, "cite docs/science.md or docs/architecture.md by section instead:\n" + string.Join("\n", offending));
    }

    [Theory]
    [InlineData("(docs/science.md §2.4)", "science 2.4")]
    [InlineData("docs/architecture.md §9 and §10", "architecture 9|architecture 10")]
    [InlineData("docs/science.md §6, §7 and §13.4", "science 6|science 7|science 13.4")]
    [InlineData("see docs/science.md for the formulas", "")]
    public void Citations_are_read_with_every_section_they_list(string text, string expected) =>
        Assert.Equal(expected, string.Join("|", Citations(text).Select(c => $"{c.Doc} {c.Section}")));

    [Fact]
    public void Headings_are_read_by_their_section_numbers()
    {
        var headings = Headings("# Title\n## 2. Architectures\n### 2.4 JumpReLU\n#### Memory\n## 13. Scoring\n");
        Assert.Equal(["13", "2", "2.4"], headings.Order(StringComparer.Ordinal));
    }

    private static IEnumerable<(string Doc, string Section)> Citations(string text) =>
        Citation().Matches(text).SelectMany(m => SectionNumber().Matches(m.Groups["sections"].Value).Select(s => (m.Groups["doc"].Value, s.Groups[1].Value)));

    private static HashSet<string> Headings(string markdown) =>
        markdown.Split('\n').Select(l => Heading().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<string> Files(string root) =>
        Scanned.SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*", SearchOption.AllDirectories))
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.Ordinal))
            .Where(f => !Relative(root, f).Split('/').Any(part => part is "bin" or "obj" or "node_modules" or "TestResults"));

    private static string Relative(string root, string file) => Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');

    private static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

    [GeneratedRegex(@"docs/(?<doc>science|architecture)\.md\s*(?<sections>§\s*\d+(?:\.\d+)*(?:\s*(?:,|and|or)\s*§\s*\d+(?:\.\d+)*)*)")]
    private static partial Regex Citation();

    [GeneratedRegex(@"§\s*(\d+(?:\.\d+)*)")]
    private static partial Regex SectionNumber();

    [GeneratedRegex(@"^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s")]
    private static partial Regex Heading();

    // The briefing files by name, a path out of the repository to them, or an issue of a tracker by number.
    [GeneratedRegex(@"\b(?:SCIENCE|ARCHITECTURE)\.md\b|\.\./shared/|\b[Ii]ssues? #?\d")]
    private static partial Regex Forbidden();
}
