using Bunit;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Web.Components.Features;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The feature list's rows (bUnit): what each latent fires on, its label as text never markup, and its density bar.</summary>
public sealed class FeatureTableTests : MudComponentTest
{
    private static readonly string Tokens = LatentPreview.EncodeTokens([new(" war", 12), new("\n", 2)]);
    private static readonly string Snippet = LatentPreview.EncodeContext(new ContextSnippet("after the <b>long", " war", " of\n1812"));

    private IRenderedComponent<FeatureTable> Render(params FeatureRow[] rows) =>
        Context.Render<FeatureTable>(p => p.Add(t => t.Rows, rows).Add(t => t.Href, i => $"dictionaries/3/features/{i}?q=a&b=\"x\""));

    [Fact]
    public void Rows_show_top_tokens_with_counts_the_strongest_context_and_link_each_latent()
    {
        var cut = Render(
            new FeatureRow(7, 0.0123, 4.5, 1.0, false, LabelStatus.Accepted, "<script>alert(1)</script> & \"quotes\"", "syntax<b>", TopTokens: Tokens, TopContext: Snippet, BestScore: 0.8123),
            new FeatureRow(8, 0, 0, 0, true, LabelStatus.Unlabelled, null, null),
            new FeatureRow(9, null, null, null, false, LabelStatus.Proposed, null, null, ConsensusHidden: true));
        Assert.Empty(cut.FindAll("tbody script, tbody b"));
        var rows = cut.FindAll("tbody tr");
        Assert.Equal(["7", "8", "9"], rows.Select(r => r.GetAttribute("data-index")));
        var cells = rows[0].QuerySelectorAll("td");
        Assert.Equal("#7", cells[0].TextContent.Trim());
        Assert.Equal("dictionaries/3/features/7?q=a&b=\"x\"", cells[0].QuerySelector("a")!.GetAttribute("href"));
        Assert.Contains("<script>alert(1)</script> & \"quotes\"", cells[1].TextContent);
        Assert.Contains("Accepted · syntax<b>", cells[1].TextContent);
        Assert.Equal(["·war×12", "↵×2"], cells[2].QuerySelectorAll(".token-chip").Select(c => c.TextContent));
        Assert.Equal("after the <b>long war of↵1812", cells[2].QuerySelector(".context-snippet")!.TextContent);
        Assert.Equal(" war", cells[2].QuerySelector(".context-snippet mark")!.TextContent);
        Assert.Equal(0.0123.ToString("P3", System.Globalization.CultureInfo.InvariantCulture), cells[3].TextContent.Trim());
        Assert.Equal(["4.5", "0.81"], cells.Skip(4).Select(c => c.TextContent.Trim()));

        var dead = rows[1].QuerySelectorAll("td");
        Assert.Contains("never fired", dead[2].TextContent);
        Assert.Equal("dead", dead[3].TextContent.Trim());
        Assert.Contains("hidden (blind)", rows[2].QuerySelectorAll("td")[1].TextContent);
        Assert.Contains("not analysed yet", rows[2].QuerySelectorAll("td")[2].TextContent);
    }

    [Fact]
    public void A_consensus_label_written_by_a_model_carries_the_machine_mark_and_a_persons_does_not()
    {
        var cut = Render(
            new FeatureRow(1, 0.01, 2, 1, false, LabelStatus.Accepted, "Names of months.", null, ConsensusByModel: true),
            new FeatureRow(2, 0.01, 2, 1, false, LabelStatus.Accepted, "Years in dates.", null));
        var marks = cut.FindAll("tbody td [data-testid=machine-made]");
        Assert.Single(marks);
        Assert.Equal("1", marks[0].Closest("tr")!.GetAttribute("data-index"));
        Assert.Equal("machine", marks[0].TextContent.Trim());
        Assert.Equal("Machine-made, written by a language model", marks[0].GetAttribute("aria-label"));
    }

    [Fact]
    public void A_page_of_fifty_rows_is_plain_markup_inside_one_table_component()
    {
        var rows = Enumerable.Range(0, 50)
            .Select(i => new FeatureRow(i, 0.01, 2, 1, false, LabelStatus.Proposed, $"label {i}", "syntax", TopTokens: Tokens, TopContext: Snippet))
            .ToArray();
        var cut = Render(rows);
        Assert.Equal(50, cut.FindAll("tbody tr").Count);
        // A component per cell was most of the list's rendering cost; each row's link is a plain, focusable anchor.
        Assert.Empty(cut.FindComponents<MudBlazor.MudLink>());
        Assert.Empty(cut.FindComponents<MudBlazor.MudText>());
        Assert.Single(cut.FindComponents<MudBlazor.MudSimpleTable>());
        var link = cut.Find("tbody tr[data-index='49'] a.feature-link");
        Assert.Equal("dictionaries/3/features/49?q=a&b=\"x\"", link.GetAttribute("href"));
        Assert.Equal("Proposed · syntax", cut.Find("tbody tr[data-index='49'] .feature-status").TextContent);
    }

    [Theory]
    [InlineData(1.0, "100%")]
    [InlineData(0.001, "50%")]
    [InlineData(1e-6, "0%")]
    [InlineData(1e-9, "0%")]
    [InlineData(0.0, "0%")]
    public void The_density_bar_is_logarithmic_from_a_millionth_to_all_tokens(double density, string width)
    {
        Assert.Equal(width, FeatureTable.DensityBar(new FeatureRow(0, density, 1, 1, density == 0, LabelStatus.Unlabelled, null, null)));
        var cut = Render(new FeatureRow(0, density, 1, 1, false, LabelStatus.Unlabelled, null, null));
        Assert.Equal($"width:{width}", cut.Find(".density-bar > span").GetAttribute("style"));
    }
}
