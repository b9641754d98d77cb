namespace SaeWorkbench.Research.Labelling;

/// <summary>What a person submits for an interpretation (create or edit), as plain data.</summary>
/// <param name="Label">The short label; stored trimmed.</param>
/// <param name="Description">Markdown; optional.</param>
/// <param name="Confidence">1 (a guess) to 5 (certain).</param>
/// <param name="Tag">A taxonomy key; optional.</param>
public sealed record InterpretationDraft(string? Label, string? Description, int Confidence, string? Tag);

/// <summary>A draft that passed <see cref="InterpretationRules.Validate"/>, normalised for storage.</summary>
/// <param name="Tag">The taxonomy's own spelling of the key, or null.</param>
public sealed record ValidInterpretation(string Label, string Description, string DescriptionHtml, int Confidence, string? Tag);

/// <summary>The one rule for what an interpretation may hold.</summary>
public static class InterpretationRules
{
    public const int MaxLabelLength = 120;
    public const int MaxDescriptionLength = MarkdownRenderer.DefaultMaxLength;
    public const int MinConfidence = 1;
    public const int MaxConfidence = 5;

    /// <summary>
    /// Every field is checked and every failing field reported at once. Label: trimmed, 1–120
    /// UTF-16 characters (so a 120-character database column always fits), one line, no control
    /// characters or bidirectional overrides. Description: at most 100,000 characters, rendered once
    /// here so the stored HTML and the validation agree. Confidence: 1–5. Tag: empty, or a key of
    /// <paramref name="taxonomy"/>.
    /// </summary>
    public static Validated<ValidInterpretation> Validate(InterpretationDraft draft, Taxonomy taxonomy, MarkdownRenderer? renderer = null)
    {
        renderer ??= MarkdownRenderer.Default;
        var label = draft.Label?.Trim() ?? "";
        var validation = ValidateLabel(label);

        var description = draft.Description ?? "";
        var rendered = description.Length > MaxDescriptionLength
            ? new RenderedMarkdown("", ValidationResult.Fail("description",
                $"The description is too long: {TextRules.Count(description.Length)} characters; the limit is {TextRules.Count(MaxDescriptionLength)}."))
            : renderer.Render(description);
        validation = validation.And(rendered.Validation);

        if (draft.Confidence is < MinConfidence or > MaxConfidence)
            validation = validation.And(ValidationResult.Fail("confidence",
                $"Confidence must be a whole number from {MinConfidence} to {MaxConfidence}; got {draft.Confidence}."));

        TaxonomyTag? tag = null;
        if (!string.IsNullOrWhiteSpace(draft.Tag))
        {
            tag = taxonomy.Find(draft.Tag);
            if (tag is null)
                validation = validation.And(ValidationResult.Fail("tag",
                    $"\"{draft.Tag.Trim()}\" is not a tag of this workspace; choose one of: {string.Join(", ", taxonomy.Tags.Select(t => t.Key))}."));
        }

        return validation.IsValid
            ? Validated<ValidInterpretation>.Ok(new ValidInterpretation(label, description, rendered.Html, draft.Confidence, tag?.Key))
            : new Validated<ValidInterpretation>(null, validation);
    }

    /// <summary>The label rule alone (for inline edits and the queue form).</summary>
    public static ValidationResult ValidateLabel(string? label)
    {
        label = label?.Trim() ?? "";
        if (label.Length == 0) return ValidationResult.Fail("label", "The label is empty; write a short name for what the latent detects.");
        if (label.Length > MaxLabelLength)
            return ValidationResult.Fail("label", $"The label is {label.Length} characters; the limit is {MaxLabelLength}. Put the detail in the description.");
        return TextRules.FirstForbiddenInLine(label) is { } bad
            ? ValidationResult.Fail("label", $"The label contains {bad}; labels are one line of plain text.")
            : ValidationResult.Valid;
    }
}
