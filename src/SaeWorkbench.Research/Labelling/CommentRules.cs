namespace SaeWorkbench.Research.Labelling;

/// <summary>
/// A comment is Markdown (rendered by <see cref="MarkdownRenderer"/>), not blank, at most
/// 10,000 characters (a comment is a remark; long write-ups belong in a description).
/// </summary>
public static class CommentRules
{
    public const int MaxBodyLength = 10_000;

    private static readonly MarkdownRenderer Renderer = new(MaxBodyLength);

    /// <summary>The safe HTML of the comment and the people it mentions, or why it is refused.</summary>
    public static Validated<ValidComment> Validate(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return Validated<ValidComment>.Fail("body", "The comment is empty.");
        var rendered = Renderer.Render(body, field: "body");
        return rendered.IsValid
            ? Validated<ValidComment>.Ok(new ValidComment(body, rendered.Html, Mentions.Parse(body)))
            : new Validated<ValidComment>(null, rendered.Validation);
    }
}

/// <param name="MentionedUserNames">Distinct user names after '@', for notifications.</param>
public sealed record ValidComment(string Body, string BodyHtml, IReadOnlyList<string> MentionedUserNames);
