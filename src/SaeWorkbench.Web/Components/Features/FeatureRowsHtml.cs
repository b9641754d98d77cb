using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Components;
using SaeWorkbench.Research.Features;

namespace SaeWorkbench.Web.Components.Features;

/// <summary>
/// The feature list's table rows as one markup string: the renderer writes every element, attribute and
/// text of a component as separate pieces of its output buffer — ~2,000 for 50 rows, a third of what a list page
/// allocated — while a markup string is one. Every value from the database (labels, tags) is HTML-encoded; nothing
/// in a row is interactive (the link is an ordinary link).
/// </summary>
public static class FeatureRowsHtml
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;

    /// <param name="href">The feature page of an index (relative, with the list's query string so j/k follow the list).</param>
    public static MarkupString Render(IReadOnlyList<FeatureRow> rows, Func<int, string> href)
    {
        var html = new StringBuilder(rows.Count * 360);
        foreach (var r in rows)
        {
            var index = r.Index.ToString(CultureInfo.InvariantCulture);
            html.Append("<tr data-index=\"").Append(index).Append("\"><td><a href=\"").Append(Encoder.Encode(href(r.Index)))
                .Append("\" class=\"mud-typography mud-link mud-primary-text mud-link-underline-hover\">#").Append(index).Append("</a></td><td>")
                .Append(Encoder.Encode(r.ConsensusLabel ?? "—")).Append("</td><td>")
                .Append(r.ConsensusHidden ? "hidden (blind)" : r.LabelStatus.ToString()).Append("</td><td>")
                .Append(r.ConsensusTag is { } tag ? Encoder.Encode(tag) : "").Append("</td><td>")
                .Append(Encoder.Encode(Density(r))).Append("</td><td>")
                .Append(r.MaxActivation?.ToString("G4", CultureInfo.InvariantCulture) ?? "—").Append("</td></tr>");
        }
        return new MarkupString(html.ToString());
    }

    /// <summary>"dead", the density as a percentage (3 decimals), or "—" before any analysis.</summary>
    public static string Density(FeatureRow r) => r.IsDead ? "dead" : r.Density?.ToString("P3", CultureInfo.InvariantCulture) ?? "—";
}
