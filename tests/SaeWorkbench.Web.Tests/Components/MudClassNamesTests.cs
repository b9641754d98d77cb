using System.Text.RegularExpressions;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>
/// MudBlazor's <c>mud-*</c> class names are its internals: markup that writes them by hand breaks silently when an upgrade
/// renames one, so components (MudText, MudPaper …) or our own CSS classes stand in for them (docs/architecture.md §10).
/// The heatmap, the one place that builds markup by hand, uses only its own classes.
/// </summary>
public sealed partial class MudClassNamesTests
{
    /// <summary>
    /// Files that still write a <c>mud-*</c> class, each with its reason. The list only shrinks: an entry whose file no
    /// longer needs it fails the test, so it is removed with the fix.
    /// </summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
    };

    [Fact]
    public void No_razor_or_CSharp_file_outside_the_allow_list_writes_a_MudBlazor_class_name_by_hand()
    {
        var root = RepositoryRoot.Path;
        var offending = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => HandWrittenMudClasses(File.ReadAllText(f))
                .Select(line => (File: Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'), Line: line)))
            .ToList();

        var unexpected = offending.Where(o => !Allowed.ContainsKey(o.File)).Select(o => $"{o.File}:{o.Line}").ToList();
        Assert.True(unexpected.Count == 0, "hand-written mud-* classes (use a MudBlazor component or our own CSS):\n" + string.Join("\n", unexpected));
        var stale = Allowed.Keys.Where(file => !offending.Any(o => o.File == file)).ToList();
        Assert.True(stale.Count == 0, "allow-listed files that no longer write a mud-* class (remove them from the list):\n" + string.Join("\n", stale));
    }

    [Fact]
    public void No_stylesheet_of_ours_selects_a_MudBlazor_class_name()
    {
        // A selector on a mud-* class breaks as silently as markup that writes one; our own class on the component is
        // what a rule selects. The palette's custom properties (var(--mud-palette-…)) are MudBlazor's public theme API.
        var root = RepositoryRoot.Path;
        var selectors = Directory.EnumerateFiles(Path.Combine(root, "wwwroot"), "*.css", SearchOption.AllDirectories)
            .SelectMany(f => File.ReadAllLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line)))
            .Where(l => MudSelector().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(selectors.Count == 0, "CSS rules that select a mud-* class:\n" + string.Join("\n", selectors));
    }

    [Theory]
    [InlineData("""<div class="mud-paper pa-3">""")]
    [InlineData("""<label for="x" class="mr-2 mud-typography-body2">""")]
    [InlineData("""<MudStack Class="mud-width-full">""")]
    [InlineData("""html.Append("<span class=\"mud-chip\">");""")]
    [InlineData("""<span class='mud-typography-caption'>""")]
    [InlineData("""<div class="@($"mud-elevation-{n}")">""")]
    [InlineData("""builder.AddAttribute(1, "class", "mud-nav-link");""")]
    public void A_hand_written_mud_class_is_found_in_markup_and_in_CSharp_strings(string line) =>
        Assert.Equal([1], HandWrittenMudClasses(line));

    [Theory]
    [InlineData("""<MudText Typo="Typo.caption" Class="mr-2">""")]
    [InlineData("""<span class="heatmap tok peak" style="background:var(--mud-palette-primary)">""")]
    [InlineData("""<div class="my-mud-box">""")]
    [InlineData("""element.Find(".mud-typography-caption")""")]
    public void Our_own_classes_MudBlazor_palette_variables_and_selectors_are_not_reported(string line) =>
        Assert.Empty(HandWrittenMudClasses(line));

    /// <summary>The 1-based lines of <paramref name="text"/> that set a <c>class</c> attribute to a value with a <c>mud-*</c> class.</summary>
    internal static List<int> HandWrittenMudClasses(string text) =>
        text.Split('\n').Select((line, i) => (line, i)).Where(l => MudClass().IsMatch(l.line)).Select(l => l.i + 1).ToList();

    // A class attribute (markup, a component's Class, an escaped or single-quoted string, an interpolation, or a render-tree
    // "class" attribute) whose value holds a word starting with "mud-".
    [GeneratedRegex("""(?:\bclass\s*=\s*[@$(]*\\?["'](?:@\(\$?")?|"class"\s*,\s*[@$]*")[^"'\\]*(?<![\w-])mud-""", RegexOptions.IgnoreCase)]
    private static partial Regex MudClass();

    [GeneratedRegex(@"\.mud-[a-z]")]
    private static partial Regex MudSelector();
}
