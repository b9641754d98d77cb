using AngleSharp.Html.Parser;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Web.Components.Features;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The feature list's rows are markup written by hand, so every value is checked encoded.</summary>
public sealed class FeatureRowsHtmlTests
{
    [Fact]
    public void Rows_link_each_latent_and_show_labels_as_text_never_markup()
    {
        FeatureRow[] rows =
        [
            new(7, 0.0123, 4.5, 1.0, false, LabelStatus.Accepted, "<script>alert(1)</script> & \"quotes\"", "syntax<b>"),
            new(8, 0, 0, 0, true, LabelStatus.Unlabelled, null, null),
            new(9, null, null, null, false, LabelStatus.Proposed, "secret", "entity", ConsensusHidden: true),
        ];
        var html = FeatureRowsHtml.Render(rows, i => $"dictionaries/3/features/{i}?q=a&b=\"x\"").Value;
        var table = new HtmlParser().ParseDocument($"<table><tbody>{html}</tbody></table>");
        Assert.Empty(table.QuerySelectorAll("script, b"));
        var trs = table.QuerySelectorAll("tr");
        Assert.Equal(["7", "8", "9"], trs.Select(t => t.GetAttribute("data-index")));
        var cells = trs[0].QuerySelectorAll("td").Select(c => c.TextContent).ToList();
        Assert.Equal(["#7", "<script>alert(1)</script> & \"quotes\"", "Accepted", "syntax<b>", 0.0123.ToString("P3", System.Globalization.CultureInfo.InvariantCulture), "4.5"], cells);
        Assert.Equal("dictionaries/3/features/7?q=a&b=\"x\"", trs[0].QuerySelector("a")!.GetAttribute("href"));
        Assert.Equal(["#8", "—", "Unlabelled", "", "dead", "0"], trs[1].QuerySelectorAll("td").Select(c => c.TextContent));
        Assert.Equal("hidden (blind)", trs[2].QuerySelectorAll("td")[2].TextContent);
        Assert.Equal(["—", "—"], trs[2].QuerySelectorAll("td").Skip(4).Select(c => c.TextContent));
    }
}
