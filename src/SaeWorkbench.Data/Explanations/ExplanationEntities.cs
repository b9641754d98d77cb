namespace SaeWorkbench.Data.Explanations;

/// <summary>
/// One detection or fuzzing score of one interpretation by one rater model (docs/science.md §13), with everything
/// needed to re-run it: the interpretation's version, the model, the prompt version, the seed and the sample.
/// </summary>
public class ExplanationScore
{
    public long Id { get; set; }
    public long InterpretationId { get; set; }

    /// <summary>The interpretation's version that was scored; an edit makes the score stale, not wrong.</summary>
    public int InterpretationVersion { get; set; }

    /// <summary>"detection" or "fuzzing".</summary>
    public required string Scorer { get; set; }

    /// <summary>The rater model's name, as the provider reports it.</summary>
    public required string ModelName { get; set; }

    public required string PromptVersion { get; set; }
    public long Seed { get; set; }

    /// <summary>The contexts shown, in order, as JSON: source example id, activating or not, bin, highlighted positions.</summary>
    public string SampleJson { get; set; } = "[]";

    /// <summary>The model's answer per context (1, 0 or null), as JSON.</summary>
    public string AnswersJson { get; set; } = "[]";

    public int Contexts { get; set; }
    public int Unanswered { get; set; }
    public int TruePositives { get; set; }
    public int FalsePositives { get; set; }
    public int TrueNegatives { get; set; }
    public int FalseNegatives { get; set; }
    public double? BalancedAccuracy { get; set; }
    public double? Auroc { get; set; }
    public int PromptTokens { get; set; }
    public int CompletionTokens { get; set; }

    /// <summary>The job that produced it, if any.</summary>
    public long? JobId { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// The explanation model an Admin configured (one row): an OpenAI-compatible endpoint, or a registered local instruct
/// model run on the workbench's own inference queue. The API key is stored only as ASP.NET Data Protection
/// ciphertext and never leaves the server.
/// </summary>
public class ExplanationProviderSettings
{
    public const string EndpointKind = "endpoint";
    public const string LocalKind = "local";

    // The starting values of a new provider row, its column defaults and the Research layer's ProviderDefaults: one source.
    public const int DefaultTimeoutSeconds = 60;
    public const int DefaultMaxRetries = 3;
    public const int DefaultMaxConcurrency = 4;
    public const long DefaultTokenBudgetPerJob = 2_000_000;
    public const int DefaultMaxNewTokens = 512;
    public const double DefaultTopP = 1;

    public int Id { get; set; } = 1;

    /// <summary><see cref="EndpointKind"/> or <see cref="LocalKind"/>.</summary>
    public string Kind { get; set; } = EndpointKind;

    /// <summary>
    /// Local kind: the registered model (RegisteredModels.Id) the Admin picked. No foreign key on purpose: unregistering
    /// the model leaves the id behind, so the provider can say which model went missing instead of forgetting it.
    /// </summary>
    public long? RegisteredModelId { get; set; }

    /// <summary>
    /// Local kind: the picked model's folder when it was picked (kept to name it if it is unregistered later); on rows
    /// saved before models were picked from the registry, the folder as the Admin typed it.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>Local kind: most new tokens per reply.</summary>
    public int MaxNewTokens { get; set; } = DefaultMaxNewTokens;

    /// <summary>Local kind: 0 = greedy.</summary>
    public double Temperature { get; set; }

    /// <summary>Local kind: nucleus mass (1 = off).</summary>
    public double TopP { get; set; } = DefaultTopP;

    /// <summary>Local kind: seed of the sampler, so sampled answers repeat.</summary>
    public long Seed { get; set; }

    /// <summary>The API root, e.g. http://127.0.0.1:8000/v1.</summary>
    public string BaseUrl { get; set; } = "";

    public string Model { get; set; } = "";

    /// <summary>Data Protection ciphertext of the key; null when the endpoint needs none.</summary>
    public string? ProtectedApiKey { get; set; }

    public int TimeoutSeconds { get; set; } = DefaultTimeoutSeconds;
    public int MaxRetries { get; set; } = DefaultMaxRetries;
    public int MaxConcurrency { get; set; } = DefaultMaxConcurrency;
    public bool Streaming { get; set; }

    /// <summary>Default token budget of one explain or score job (prompt + completion tokens).</summary>
    public long TokenBudgetPerJob { get; set; } = DefaultTokenBudgetPerJob;

    /// <summary>Whether the endpoint returns token log-probabilities (enables AUROC).</summary>
    public bool Logprobs { get; set; }

    public string? UpdatedById { get; set; }
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;
}
