using System.Text.RegularExpressions;

namespace SaeWorkbench.Research.Labelling;

/// <summary>One tag of a workspace taxonomy. <see cref="Key"/> is what is stored on an
/// interpretation; <see cref="Name"/> is what people see.</summary>
public sealed record TaxonomyTag(string Key, string Name, string Description);

/// <summary>
/// The tags an interpretation may carry, in display order (the queue's keys 1–9 pick the first nine).
/// Admins edit it; <see cref="Validate"/> is the rule for an edited taxonomy.
/// </summary>
public sealed partial class Taxonomy
{
    public const int MaxTags = 30;
    public const int MaxNameLength = 40;
    public const int MaxDescriptionLength = 500;

    public Taxonomy(IReadOnlyList<TaxonomyTag> tags)
    {
        var validation = Validate(tags);
        if (!validation.IsValid) throw new ArgumentException(validation.ToString(), nameof(tags));
        Tags = tags.ToArray();
    }

    /// <summary>The default taxonomy of a new workspace.</summary>
    public static Taxonomy Default { get; } = new(
    [
        new("lexical-token", "lexical/token", "Fires on a specific token or a small set of surface forms."),
        new("syntax", "syntax", "Tracks a grammatical role or structure (clause boundaries, agreement, brackets)."),
        new("topic-semantic", "topic/semantic", "Fires across a topic or meaning, whatever the surface form."),
        new("entity", "entity", "Fires on mentions of a specific entity or kind of entity."),
        new("format-position", "format/position", "Tracks layout, markup, or the position in the context."),
        new("polysemantic", "polysemantic", "Fires on several unrelated things."),
        new("uninterpretable", "uninterpretable", "No pattern a person can name."),
    ]);

    public IReadOnlyList<TaxonomyTag> Tags { get; }

    /// <summary>The tag with this key (keys compare case-insensitively), or null.</summary>
    public TaxonomyTag? Find(string? key) =>
        key is null ? null : Tags.FirstOrDefault(t => string.Equals(t.Key, key.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The rule for a taxonomy an Admin saves: 1–30 tags; keys are unique lower-case slugs
    /// (a–z, 0–9, '-', at most 40 characters); names are 1–40 characters on one line, unique;
    /// descriptions at most 500 characters.</summary>
    public static ValidationResult Validate(IReadOnlyList<TaxonomyTag> tags)
    {
        if (tags.Count == 0) return ValidationResult.Fail("tags", "A taxonomy needs at least one tag.");
        if (tags.Count > MaxTags) return ValidationResult.Fail("tags", $"A taxonomy has at most {MaxTags} tags; this one has {tags.Count}.");
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < tags.Count; i++)
        {
            var tag = tags[i];
            var field = $"tags[{i}]";
            if (tag.Key is null || !KeyPattern().IsMatch(tag.Key))
                return ValidationResult.Fail($"{field}.key", $"Tag key \"{tag.Key}\" must be 1–40 characters of a–z, 0–9 and '-', starting with a letter or digit.");
            if (!keys.Add(tag.Key)) return ValidationResult.Fail($"{field}.key", $"Tag key \"{tag.Key}\" is used twice.");
            var name = tag.Name?.Trim() ?? "";
            if (name.Length is 0 or > MaxNameLength)
                return ValidationResult.Fail($"{field}.name", $"Tag name must be 1–{MaxNameLength} characters.");
            if (TextRules.FirstForbiddenInLine(name) is { } bad)
                return ValidationResult.Fail($"{field}.name", $"Tag name contains {bad}.");
            if (!names.Add(name)) return ValidationResult.Fail($"{field}.name", $"Tag name \"{name}\" is used twice.");
            if ((tag.Description?.Length ?? 0) > MaxDescriptionLength)
                return ValidationResult.Fail($"{field}.description", $"Tag description has at most {MaxDescriptionLength} characters.");
        }
        return ValidationResult.Valid;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex KeyPattern();
}
