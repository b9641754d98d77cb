using System.Net;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;

namespace SaeWorkbench.Research.Labelling;

/// <summary>
/// User Markdown is rendered once, when it is written, and its sanitised HTML stored beside the source; reads use the stored
/// HTML (docs/architecture.md §9). Rows written before the HTML was stored get it from <see cref="BackfillAsync"/>
/// at start-up; until then (or for any row it missed) a read renders it.
/// </summary>
public static class StoredMarkdown
{
    private static readonly MarkdownRenderer CommentRenderer = new(CommentRules.MaxBodyLength);

    /// <summary>The stored HTML, or the HTML of <paramref name="source"/> when none is stored yet.</summary>
    public static string Html(string? stored, string? source, MarkdownRenderer? renderer = null) =>
        stored ?? Render(source, renderer ?? MarkdownRenderer.Default);

    /// <summary>
    /// The HTML to store for an already saved <paramref name="source"/>: rendered, or — for older text that today's rules refuse
    /// (too costly to render) — the text itself, encoded, so that nothing a user wrote disappears.
    /// </summary>
    public static string Render(string? source, MarkdownRenderer renderer)
    {
        if (string.IsNullOrEmpty(source)) return "";
        var rendered = renderer.Render(source);
        return rendered.IsValid ? rendered.Html : "<p>" + WebUtility.HtmlEncode(source) + "</p>";
    }

    /// <summary>Renders and stores the HTML of every row that has none (interpretations, their versions, comments, steering reviews), in batches.</summary>
    public static async Task<int> BackfillAsync(WorkbenchDbContext db, CancellationToken ct = default)
    {
        var filled = 0;
        const int batch = 200;
        while (await db.Interpretations.Where(i => i.DescriptionHtml == null).OrderBy(i => i.Id).Take(batch).ToListAsync(ct) is { Count: > 0 } rows)
        {
            foreach (var i in rows) i.DescriptionHtml = Render(i.Description, MarkdownRenderer.Default);
            filled += await db.SaveChangesAsync(ct);
        }
        while (await db.InterpretationVersions.Where(v => v.DescriptionHtml == null).OrderBy(v => v.Id).Take(batch).ToListAsync(ct) is { Count: > 0 } rows)
        {
            foreach (var v in rows) v.DescriptionHtml = Render(v.Description, MarkdownRenderer.Default);
            filled += await db.SaveChangesAsync(ct);
        }
        while (await db.Comments.Where(c => c.BodyHtml == null).OrderBy(c => c.Id).Take(batch).ToListAsync(ct) is { Count: > 0 } rows)
        {
            foreach (var c in rows) c.BodyHtml = Render(c.Body, CommentRenderer);
            filled += await db.SaveChangesAsync(ct);
        }
        while (await db.SteeringReviews.Where(r => r.CommentHtml == null).OrderBy(r => r.Id).Take(batch).ToListAsync(ct) is { Count: > 0 } rows)
        {
            foreach (var r in rows) r.CommentHtml = Render(r.Comment, MarkdownRenderer.Default);
            filled += await db.SaveChangesAsync(ct);
        }
        db.ChangeTracker.Clear();
        return filled;
    }
}
