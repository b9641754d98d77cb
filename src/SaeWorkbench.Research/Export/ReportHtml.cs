using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Export;

internal sealed record ReportInput(
    BundleDictionary Dictionary,
    BundleCounts Counts,
    BundleOptionsRecord Options,
    string? ExportedBy,
    DateTimeOffset CreatedAt,
    IReadOnlyList<string> Contributors,
    AgreementFigures Agreement,
    IReadOnlyList<ReportLatent> Latents);

/// <summary>
/// Report.html, a standalone governance catalog — inline CSS and script only, and a Content-Security-Policy
/// that forbids every request, so opening it fetches nothing. Summary, then every labelled latent grouped by tag with
/// its consensus, descriptions (Markdown through <see cref="MarkdownRenderer"/>), status, votes and top contexts;
/// a table of contents, a search box, and print CSS for PDF.
/// </summary>
internal static class ReportHtml
{
    private const string NoTag = "(no tag)";

    public static string Build(ReportInput input)
    {
        var d = input.Dictionary;
        var groups = input.Latents
            .GroupBy(l => l.Record.Consensus.Tag ?? l.Record.Interpretations.FirstOrDefault()?.Tag ?? NoTag)
            .OrderBy(g => g.Key == NoTag ? 1 : 0).ThenBy(g => g.Key, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<title>").Append(E($"{d.Name} · feature catalog")).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
        sb.Append("<header><h1>").Append(E(d.Name)).Append(" — feature catalog</h1>")
          .Append("<p class=\"sub\">").Append(E($"{d.ModelName} · {d.Hook} · {d.Architecture} · {d.DSae:N0} latents × d_in {d.DIn}"))
          .Append("</p></header>\n");

        // Summary.
        sb.Append("<section id=\"summary\"><h2>Summary</h2><table class=\"kv\">");
        Row(sb, "Model", d.ModelName + (d.ModelWeightsSha256 is null ? "" : $" (weights SHA-256 {d.ModelWeightsSha256[..16]}…)"));
        Row(sb, "Hook", d.Hook);
        Row(sb, "SAE", $"{d.Architecture}, d_sae {d.DSae:N0}, d_in {d.DIn}" + (d.K is { } k ? $", k {k}" : "") + $", SHA-256 {d.SaeSha256[..16]}…");
        Row(sb, "Tokens trained", d.TokensTrained.ToString("N0", CultureInfo.InvariantCulture));
        Row(sb, "Exported", $"{input.CreatedAt:yyyy-MM-dd HH:mm} UTC" + (input.ExportedBy is null ? "" : $" by {input.ExportedBy}"));
        Row(sb, "Scope", $"{input.Options.Only} latents; contexts {(input.Options.Contexts ? "included" : "left out")}; authors {(input.Options.Pseudonymised ? "pseudonymised" : "by user name")}");
        sb.Append("</table>");

        sb.Append("<h3>Metrics</h3>");
        if (d.Metrics is JsonObject metrics && metrics.Count > 0)
        {
            sb.Append("<table class=\"kv metrics\">");
            foreach (var (name, value) in metrics) Row(sb, name, value is null ? "—" : Metric(value));
            sb.Append("</table>");
        }
        else sb.Append("<p>No final metrics recorded.</p>");

        var c = input.Counts;
        sb.Append("<h3>Coverage</h3><table class=\"kv\">");
        Row(sb, "Latents in this bundle", c.Latents.ToString("N0", CultureInfo.InvariantCulture));
        Row(sb, "Labelled", Share(c.Labelled, c.Latents));
        Row(sb, "Reviewed", Share(c.Reviewed, c.Latents));
        Row(sb, "Accepted", Share(c.Accepted, c.Latents));
        Row(sb, "Interpretations", c.Interpretations.ToString("N0", CultureInfo.InvariantCulture));
        Row(sb, "Votes", c.Votes.ToString("N0", CultureInfo.InvariantCulture));
        sb.Append("</table>");

        sb.Append("<h3>Agreement (Krippendorff's α)</h3><table class=\"kv\">");
        Row(sb, "Tags (nominal, per latent)", Alpha(input.Agreement.Tags));
        Row(sb, "Confidence (interval, per latent)", Alpha(input.Agreement.Confidence));
        Row(sb, "Votes (nominal, per interpretation)", Alpha(input.Agreement.Votes));
        sb.Append("</table>");

        sb.Append("<h3>Contributors</h3>");
        sb.Append(input.Contributors.Count == 0 ? "<p>None yet.</p>" : "<p class=\"people\">" + string.Join(", ", input.Contributors.Select(E)) + "</p>");
        sb.Append("</section>\n");

        // Table of contents and search.
        sb.Append("<nav id=\"toc\"><h2>Contents</h2><ol><li><a href=\"#summary\">Summary</a></li>");
        foreach (var g in groups)
            sb.Append("<li><a href=\"#").Append(Anchor(g.Key)).Append("\">").Append(E(g.Key)).Append("</a> <span class=\"n\">(")
              .Append(g.Count()).Append(")</span></li>");
        sb.Append("</ol></nav>\n");
        sb.Append("<div class=\"search no-print\"><label for=\"q\">Search labels, descriptions and contexts</label> ")
          .Append("<input id=\"q\" type=\"search\" data-testid=\"report-search\" placeholder=\"e.g. numbers\" autocomplete=\"off\"> ")
          .Append("<span id=\"hits\" aria-live=\"polite\"></span></div>\n");

        // Latents by tag.
        if (groups.Count == 0) sb.Append("<p>No labelled latents in this bundle.</p>");
        foreach (var g in groups)
        {
            sb.Append("<section class=\"tag\" id=\"").Append(Anchor(g.Key)).Append("\"><h2>").Append(E(g.Key)).Append("</h2>\n");
            foreach (var l in g.OrderBy(x => x.Record.Index)) Latent(sb, l);
            sb.Append("</section>\n");
        }
        sb.Append("<footer>Generated by ").Append(E($"{BundleFormat.Tool} {BundleFormat.ToolVersion}"))
          .Append(", bundle format ").Append(BundleFormat.Version).Append(".</footer>\n");
        sb.Append("<script>").Append(Script).Append("</script>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void Latent(StringBuilder sb, ReportLatent l)
    {
        var r = l.Record;
        var search = new StringBuilder().Append(r.Index).Append(' ').Append(r.Consensus.Label);
        foreach (var i in r.Interpretations) search.Append(' ').Append(i.Label).Append(' ').Append(i.Description).Append(' ').Append(i.Author);
        foreach (var ctx in r.TopContexts ?? []) search.Append(' ').Append(ctx.Text);
        sb.Append("<article class=\"latent\" id=\"latent-").Append(r.Index).Append("\" data-search=\"").Append(E(search.ToString().ToLowerInvariant())).Append("\">");
        sb.Append("<h3><span class=\"idx\">#").Append(r.Index).Append("</span> ")
          .Append(E(r.Consensus.Label ?? "(no consensus yet)")).Append(" <span class=\"status s-").Append(E(r.Consensus.Status.ToLowerInvariant())).Append("\">")
          .Append(E(r.Consensus.Status)).Append("</span></h3>");
        sb.Append("<p class=\"stats\">density ").Append(Num(r.Stats.Density, "G3")).Append(" · max ").Append(Num(r.Stats.MaxActivation, "F2"))
          .Append(" · mean ").Append(Num(r.Stats.MeanActivation, "F2")).Append(r.Stats.IsDead ? " · dead" : "").Append("</p>");
        for (var n = 0; n < r.Interpretations.Count; n++)
        {
            var i = r.Interpretations[n];
            var isConsensus = r.Consensus.Label is not null && i.Label == r.Consensus.Label && n == 0;
            sb.Append("<div class=\"interp").Append(isConsensus ? " consensus" : "").Append("\"><div class=\"head\"><strong>").Append(E(i.Label)).Append("</strong>")
              .Append(i.Tag is null ? "" : $" <span class=\"chip\">{E(i.Tag)}</span>")
              .Append(" <span class=\"meta\">by ").Append(E(i.Author)).Append(" · confidence ").Append(i.Confidence).Append("/5 · score ")
              .Append(i.Score.ToString("+0;−0;0", CultureInfo.InvariantCulture)).Append(" (▲").Append(i.UpVotes).Append(" ▼").Append(i.DownVotes).Append(')')
              .Append(i.Review is null ? " · not reviewed" : $" · {E(i.Review.Decision.ToLowerInvariant())}{(i.Review.Reviewer is null ? "" : " by " + E(i.Review.Reviewer))}")
              .Append(i.DetectionScore is { BalancedAccuracy: { } ba } ? $" · detection {ba:P0} ({i.DetectionScore.Ratings} ratings)" : "")
              .Append("</span></div>");
            if (l.DescriptionsHtml[n].Length > 0) sb.Append("<div class=\"md\">").Append(l.DescriptionsHtml[n]).Append("</div>");
            sb.Append("</div>");
        }
        if (r.TopLogits is { } logits && (logits.Positive.Count > 0 || logits.Negative.Count > 0))
        {
            sb.Append("<p class=\"logits\"><span class=\"pos\">promotes</span> ")
              .Append(string.Join(" ", logits.Positive.Select(t => $"<code>{E(t.Token)}</code>")))
              .Append(" <span class=\"neg\">suppresses</span> ")
              .Append(string.Join(" ", logits.Negative.Select(t => $"<code>{E(t.Token)}</code>"))).Append("</p>");
        }
        if (r.TopContexts is { Count: > 0 } contexts)
        {
            sb.Append("<ol class=\"contexts\">");
            foreach (var ctx in contexts.Take(5))
                sb.Append("<li>").Append(ContextHtml(ctx.Text)).Append(" <span class=\"act\">").Append(ctx.PeakActivation.ToString("F2", CultureInfo.InvariantCulture)).Append("</span></li>");
            sb.Append("</ol>");
        }
        sb.Append("</article>\n");
    }

    /// <summary>A context's text, escaped, with the first marked peak token in &lt;mark&gt;.</summary>
    private static string ContextHtml(string text)
    {
        var open = text.IndexOf(BundleFormat.PeakOpen, StringComparison.Ordinal);
        var close = open < 0 ? -1 : text.IndexOf(BundleFormat.PeakClose, open + BundleFormat.PeakOpen.Length, StringComparison.Ordinal);
        if (open < 0 || close < 0) return E(text);
        return E(text[..open]) + "<mark>" + E(text[(open + BundleFormat.PeakOpen.Length)..close]) + "</mark>" + E(text[(close + BundleFormat.PeakClose.Length)..]);
    }

    private static void Row(StringBuilder sb, string key, string value) =>
        sb.Append("<tr><th>").Append(E(key)).Append("</th><td>").Append(E(value)).Append("</td></tr>");

    private static string Metric(JsonNode value) =>
        value is JsonValue v && v.TryGetValue<double>(out var x) ? x.ToString("G5", CultureInfo.InvariantCulture) : value.ToJsonString();

    private static string Share(int part, int whole) =>
        whole == 0 ? "0" : $"{part:N0} ({Percent(part, whole)})";

    /// <summary>A share as a percentage with enough digits that a non-zero count never reads "0.0 %" (2 of 4,096 is
    /// "0.05 %"); below 0.01 % it says "&lt;0.01 %".</summary>
    public static string Percent(int part, int whole)
    {
        if (part == 0) return "0 %";
        var pct = 100.0 * part / whole;
        if (pct < 0.01) return "<0.01 %";
        var format = pct >= 10 ? "0.#" : pct >= 1 ? "0.0#" : pct >= 0.1 ? "0.0#" : "0.0##";
        return pct.ToString(format, CultureInfo.InvariantCulture) + " %";
    }

    private static string Alpha(AlphaResult a) =>
        a.IsDefined ? $"{a.Alpha:F3} over {a.Units} units ({a.PairableValues} values)"
            : string.IsNullOrWhiteSpace(a.UndefinedReason) ? "not defined" : $"not defined ({a.UndefinedReason})";

    private static string Num(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "—";

    private static string Anchor(string tag) =>
        "tag-" + string.Concat(tag.ToLowerInvariant().Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '-'));

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    private const string Css = """
        :root{--fg:#1d1d1f;--muted:#5f6368;--line:#dadce0;--accent:#3f51b5;--ok:#1b7f3b;--warn:#a15c00}
        *{box-sizing:border-box}
        body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);max-width:980px;margin:0 auto;padding:24px}
        h1{font-size:1.7rem;margin:0 0 4px} h2{font-size:1.3rem;border-bottom:2px solid var(--line);padding-bottom:4px;margin-top:32px}
        h3{font-size:1.05rem;margin:18px 0 6px} .sub{color:var(--muted);margin:0}
        table.kv{border-collapse:collapse;margin:4px 0 8px} table.kv th{text-align:left;font-weight:600;padding:2px 16px 2px 0;vertical-align:top;color:var(--muted)}
        table.kv td{padding:2px 0;font-variant-numeric:tabular-nums} table.metrics{columns:2}
        nav ol{columns:2;padding-left:20px} nav a{color:var(--accent);text-decoration:none} .n{color:var(--muted)}
        .search{position:sticky;top:0;background:#fff;padding:10px 0;border-bottom:1px solid var(--line);z-index:1}
        .search input{font:inherit;padding:6px 10px;width:min(420px,70vw);border:1px solid var(--line);border-radius:6px}
        #hits{color:var(--muted);margin-left:8px}
        article.latent{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:12px 0;break-inside:avoid;page-break-inside:avoid}
        article.latent h3{margin:0 0 4px} .idx{color:var(--muted);font-weight:400}
        .status{font-size:.75rem;padding:1px 8px;border-radius:10px;border:1px solid currentColor;vertical-align:middle}
        .s-accepted{color:var(--ok)} .s-proposed{color:var(--warn)} .s-unlabelled{color:var(--muted)}
        .stats,.meta,.act{color:var(--muted);font-size:.85rem} .stats{margin:0 0 6px}
        .interp{border-left:3px solid var(--line);padding:2px 0 2px 10px;margin:6px 0} .interp.consensus{border-left-color:var(--accent)}
        .chip{font-size:.75rem;background:#e8eaf6;border-radius:10px;padding:1px 8px}
        .md p{margin:4px 0} .md code,.logits code{background:#f1f3f4;border-radius:4px;padding:0 3px}
        .logits{font-size:.85rem;margin:6px 0} .pos{color:var(--ok)} .neg{color:#b3261e}
        ol.contexts{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8rem;white-space:pre-wrap;word-break:break-word;margin:6px 0;padding-left:22px}
        mark{background:#ffe082;border-radius:3px;padding:0 1px}
        footer{color:var(--muted);font-size:.8rem;margin-top:40px;border-top:1px solid var(--line);padding-top:8px}
        .hidden{display:none}
        @media print{
          @page{size:A4;margin:16mm 14mm}
          body{max-width:none;padding:0;font-size:10.5pt}
          .no-print{display:none!important} .hidden{display:block!important}
          a{color:inherit;text-decoration:none}
          .md a[href^="http"]::after{content:" (" attr(href) ")";font-size:.85em;color:#555;word-break:break-all}
          h2{break-before:auto;break-after:avoid} h3{break-after:avoid}
          section.tag{break-before:page}
          article.latent{border-color:#999}
          mark{background:none;font-weight:700;text-decoration:underline}
        }
        """;

    private const string Script = """
        (function(){
          var q=document.getElementById('q'),hits=document.getElementById('hits');
          var items=Array.prototype.slice.call(document.querySelectorAll('article.latent'));
          var sections=Array.prototype.slice.call(document.querySelectorAll('section.tag'));
          function run(){
            var terms=q.value.toLowerCase().split(/\s+/).filter(function(t){return t.length>0;});
            var shown=0;
            items.forEach(function(a){
              var text=a.getAttribute('data-search')||'';
              var ok=terms.every(function(t){return text.indexOf(t)>=0;});
              a.classList.toggle('hidden',!ok); if(ok)shown++;
            });
            sections.forEach(function(s){s.classList.toggle('hidden',!s.querySelector('article.latent:not(.hidden)'));});
            hits.textContent=terms.length?shown+' of '+items.length+' latents':'';
          }
          q.addEventListener('input',run);
        })();
        """;
}
