namespace SaeWorkbench.Data.Exports;

/// <summary>
/// A bundle imported into this workbench. The bundle id is unique, so importing the same bundle
/// again finds this row and changes nothing.
/// </summary>
public class BundleImport
{
    public long Id { get; set; }

    /// <summary>The bundle id of its manifest.json.</summary>
    public required string BundleId { get; set; }

    /// <summary>SHA-256 of the bundle's sae/sae_weights.safetensors.</summary>
    public required string SaeSha256 { get; set; }

    public long DictionaryId { get; set; }
    public string? ImportedById { get; set; }
    public DateTimeOffset ImportedAt { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>The manifest as imported (provenance: tool, exporting user, options, counts).</summary>
    public string ManifestJson { get; set; } = "{}";
}

/// <summary>
/// What an imported latent's catalog record said about its analysis (top logit tokens, top contexts as text),
/// kept because an imported dictionary has no analysis of its own; exports of it carry these on.
/// </summary>
public class ImportedLatentDetail
{
    public long Id { get; set; }
    public long LatentId { get; set; }

    /// <summary>JSON of the catalog's topLogits object, or null.</summary>
    public string? TopLogitsJson { get; set; }

    /// <summary>JSON of the catalog's topContexts array, or null.</summary>
    public string? TopContextsJson { get; set; }
}

public enum SuggestionStatus
{
    Pending,
    Accepted,
    Rejected,
}

/// <summary>
/// An older dictionary's consensus label offered for a matching latent of a newer one
/// ("from dictionary X, cosine 0.96"), until a labeller accepts or rejects it.
/// </summary>
public class LabelSuggestion
{
    public long Id { get; set; }

    /// <summary>The latent of the newer dictionary the suggestion is for.</summary>
    public long LatentId { get; set; }

    public long SourceDictionaryId { get; set; }
    public int SourceLatentIndex { get; set; }
    public long? SourceInterpretationId { get; set; }

    /// <summary>Decoder cosine between the two latents (≥ the carry-over threshold).</summary>
    public double Cosine { get; set; }

    public required string Label { get; set; }
    public string Description { get; set; } = "";
    public string? Tag { get; set; }
    public int Confidence { get; set; } = 3;

    public SuggestionStatus Status { get; set; }
    public string? DecidedById { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }

    /// <summary>The interpretation an acceptance created.</summary>
    public long? CreatedInterpretationId { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>Workspace secrets (one row): the key of the stable export pseudonyms.</summary>
public class WorkspaceSecret
{
    public int Id { get; set; } = 1;

    /// <summary>HMAC-SHA256 key for author pseudonyms ("Labeller-7f3a9c"); never exported.</summary>
    public byte[] PseudonymKey { get; set; } = [];
}
