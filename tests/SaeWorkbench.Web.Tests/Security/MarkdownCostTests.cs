using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Tests.Labelling;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// Markdown is rendered once, when written, and the renderer's work is bounded: a costly text is refused at once, the worst
/// accepted ones render quickly, and reads serve the stored HTML.
/// </summary>
public sealed class MarkdownCostTests(LabellingApiFixture f) : IClassFixture<LabellingApiFixture>
{
    /// <summary>
    /// How many times the CPU of ordinary prose of the same length the worst accepted text may take: a bound relative to
    /// this machine's speed (CPU time, so other work on the machine does not count either). The worst patterns take 3–4×;
    /// a renderer whose cost grew faster than the text would take hundreds.
    /// </summary>
    private const double RenderBound = 6;

    /// <summary>Notes on a latent as people write them: emphasis, code, links and a list, repeated to the length limit.</summary>
    private const string OrdinaryProse =
        "Fires on **French articles** (*le*, *la*, `les`) after a preposition; see [the dashboard](https://example.org/d/12) and the notes below.\n\n" +
        "- strongest on *de la*\n- weaker on `du` and [elided forms](https://example.org/e)\n\n";

    /// <summary>The least CPU time of two renders of 100 KB of <see cref="OrdinaryProse"/> on this thread.</summary>
    private static TimeSpan OrdinaryRenderCpu()
    {
        var text = Fill(OrdinaryProse);
        MarkdownRenderer.Default.Render(Fill(OrdinaryProse, 2_000)); // warm up the pipeline
        var least = TimeSpan.MaxValue;
        for (var i = 0; i < 2; i++)
        {
            var before = ThreadCpuTime();
            Assert.True(MarkdownRenderer.Default.Render(text).IsValid);
            var used = ThreadCpuTime() - before;
            if (used < least) least = used;
        }
        return least;
    }

    /// <summary>The CPU time this thread has used (Linux schedstat, nanoseconds); wall time where that is not available.</summary>
    private static TimeSpan ThreadCpuTime()
    {
        const string schedstat = "/proc/thread-self/schedstat";
        if (File.Exists(schedstat) && long.TryParse(File.ReadAllText(schedstat).Split(' ')[0], out var ns)) return TimeSpan.FromTicks(ns / 100);
        return TimeSpan.FromTicks(Stopwatch.GetTimestamp() * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
    }

    private static string Fill(string paragraph, int length = MarkdownRenderer.DefaultMaxLength) =>
        string.Concat(Enumerable.Repeat(paragraph, length / paragraph.Length + 1))[..length];

    [Fact]
    public void A_hundred_kilobytes_of_unclosed_links_is_refused_at_once_with_a_clear_message()
    {
        var text = Fill("[a](");
        var ordinary = OrdinaryRenderCpu();
        var before = ThreadCpuTime();
        var rendered = MarkdownRenderer.Default.Render(text);
        var used = ThreadCpuTime() - before;
        Assert.False(rendered.IsValid);
        Assert.Contains("Markdown markers", rendered.Validation.Errors["description"]);
        Assert.Contains("blank lines", rendered.Validation.Errors["description"]);
        // Refused before rendering: less than rendering ordinary prose of the same length.
        Assert.True(used < ordinary, $"refusing took {used.TotalMilliseconds:F0} ms of CPU, ordinary prose {ordinary.TotalMilliseconds:F0} ms");
    }

    public static TheoryData<string> WorstAcceptedParagraphs()
    {
        // Each paragraph holds just under the marker limit, repeated up to the 100 KB description limit.
        var data = new TheoryData<string>();
        foreach (var pattern in new[] { "[a](", "![a](", "**a", "*a*", "~~a", "==a", "++a", "http://a(", "[a][", "_a" })
        {
            var markers = pattern.Count(c => "[]()*_~=^+<!".Contains(c));
            data.Add(string.Concat(Enumerable.Repeat(pattern, 499 / markers)) + "\n\n");
        }
        data.Add(string.Concat(Enumerable.Repeat("> ", 60)) + "deep quote\n");
        data.Add(string.Concat(Enumerable.Repeat("1. ", 60)) + "deep list\n");
        return data;
    }

    [Theory]
    [MemberData(nameof(WorstAcceptedParagraphs))]
    public void The_worst_texts_within_the_limits_render_within_the_bound(string paragraph)
    {
        var text = Fill(paragraph);
        MarkdownRenderer.Default.Render(Fill(paragraph, 2_000)); // warm up the pipeline
        var ordinary = OrdinaryRenderCpu();
        var before = ThreadCpuTime();
        var rendered = MarkdownRenderer.Default.Render(text);
        var used = ThreadCpuTime() - before;
        // Accepted, or refused by Markdig's nesting limit ([a][ repeated nests brackets): either way within the bound.
        Assert.True(rendered.IsValid || rendered.Validation.Errors["description"] == MarkdownRenderer.TooDeeplyNested, rendered.Validation.ToString());
        Assert.True(used < ordinary * RenderBound,
            $"{paragraph[..Math.Min(12, paragraph.Length)]}…: {used.TotalMilliseconds:F0} ms of CPU, {used / ordinary:F1}× ordinary prose ({ordinary.TotalMilliseconds:F0} ms)");
    }

    [Theory]
    [InlineData("> ")]
    [InlineData("- ")]
    [InlineData("1. ")]
    [InlineData("[[")]
    public void Hostile_nesting_is_refused_before_rendering(string pattern)
    {
        var text = Fill(pattern);
        var ordinary = OrdinaryRenderCpu();
        var before = ThreadCpuTime();
        var rendered = MarkdownRenderer.Default.Render(text);
        var used = ThreadCpuTime() - before;
        Assert.False(rendered.IsValid);
        Assert.True(used < ordinary, $"refusing took {used.TotalMilliseconds:F0} ms of CPU, ordinary prose {ordinary.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public void Code_blocks_and_ordinary_prose_with_many_links_are_not_refused()
    {
        var code = "```python\n" + string.Concat(Enumerable.Repeat("x = f(a[i](b)) * 2 ** k\n", 2_000)) + "```\n";
        Assert.True(MarkdownRenderer.Default.Render(code).IsValid);
        var links = string.Join(" and ", Enumerable.Range(0, 100).Select(n => $"[source {n}](https://example.org/{n})"));
        var rendered = MarkdownRenderer.Default.Render(links + "\n\nMostly *le* and **la**.");
        Assert.True(rendered.IsValid, rendered.Validation.ToString());
        Assert.Contains("<a href=\"https://example.org/99\"", rendered.Html);
    }

    [Fact]
    public async Task Reads_serve_the_HTML_stored_when_the_text_was_written_without_rendering_again()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var created = await LabellingHarness.CreateAsync(f.Ann, latent, description: "Mostly *le*.");
        Assert.Equal(HttpStatusCode.Created, (await f.Ann.Client.PostAsJsonAsync($"/api/latents/{latent}/comments", new { body = "See **this**." })).StatusCode);
        await using (var db = f.Harness.Db())
        {
            Assert.Equal("<p>Mostly <em>le</em>.</p>\n", (await db.Interpretations.SingleAsync(i => i.Id == created.Id)).DescriptionHtml);
            Assert.Equal("<p>Mostly <em>le</em>.</p>\n", (await db.InterpretationVersions.SingleAsync(v => v.InterpretationId == created.Id)).DescriptionHtml);
            Assert.Equal("<p>See <strong>this</strong>.</p>\n", (await db.Comments.SingleAsync(c => c.LatentId == latent)).BodyHtml);
            // Mark the stored HTML: a read that rendered the source again would not show the mark.
            await db.Interpretations.Where(i => i.Id == created.Id).ExecuteUpdateAsync(s => s.SetProperty(i => i.DescriptionHtml, "<p>stored</p>"));
            await db.InterpretationVersions.Where(v => v.InterpretationId == created.Id).ExecuteUpdateAsync(s => s.SetProperty(v => v.DescriptionHtml, "<p>stored version</p>"));
            await db.Comments.Where(c => c.LatentId == latent).ExecuteUpdateAsync(s => s.SetProperty(c => c.BodyHtml, "<p>stored comment</p>"));
        }

        var page = (await f.Ben.Client.GetFromJsonAsync<LatentLabelling>($"/api/latents/{latent}"))!;
        Assert.Equal("<p>stored</p>", Assert.Single(page.Interpretations).DescriptionHtml);
        Assert.Equal("<p>stored comment</p>", Assert.Single(page.Comments).BodyHtml);
        var versions = (await f.Admin.Client.GetFromJsonAsync<List<VersionView>>($"/api/interpretations/{created.Id}/versions"))!;
        Assert.Equal("<p>stored version</p>", Assert.Single(versions).DescriptionHtml);
    }

    [Fact]
    public async Task Rows_written_before_the_HTML_was_stored_get_it_once_from_the_backfill()
    {
        var latent = await f.Harness.SeedLatentAsync();
        var created = await LabellingHarness.CreateAsync(f.Ann, latent, description: "Old *text*.");
        await using var db = f.Harness.Db();
        await db.Interpretations.Where(i => i.Id == created.Id).ExecuteUpdateAsync(s => s.SetProperty(i => i.DescriptionHtml, (string?)null));
        var tooCostlyToday = Fill("[a](", 20_000);
        db.Comments.Add(new DataLabelling.Comment { LatentId = latent, AuthorId = f.Ann.Id, Body = tooCostlyToday });
        await db.SaveChangesAsync();

        Assert.True(await StoredMarkdown.BackfillAsync(db) >= 2);
        Assert.Equal("<p>Old <em>text</em>.</p>\n", (await db.Interpretations.SingleAsync(i => i.Id == created.Id)).DescriptionHtml);
        // Older text that today's rules refuse is kept, shown as plain text rather than rendered.
        Assert.Equal("<p>" + tooCostlyToday + "</p>", (await db.Comments.SingleAsync(c => c.LatentId == latent && c.BodyHtml != null && c.Body == tooCostlyToday)).BodyHtml);
        Assert.Equal(0, await StoredMarkdown.BackfillAsync(db));
    }
}
