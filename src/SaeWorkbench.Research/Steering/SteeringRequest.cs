using System.Text.Json;
using System.Text.Json.Serialization;
using SaeWorkbench.Ml.Interventions;

namespace SaeWorkbench.Research.Steering;

/// <summary>
/// Everything a comparison run depends on, saved with a comparison so it re-runs exactly. Defaults follow
/// Neuronpedia's steering page: 256 new tokens, temperature 0.5.
/// </summary>
public sealed record SteeringRequest
{
    public long DictionaryId { get; init; }
    public string Prompt { get; init; } = "";
    public double Temperature { get; init; } = 0.5;
    public double TopP { get; init; } = 1.0;
    public int MaxNewTokens { get; init; } = 256;
    public long Seed { get; init; }
    public int Samples { get; init; } = 1;
    public IReadOnlyList<LatentIntervention> Interventions { get; init; } = [];
    public PositionScope Scope { get; init; } = PositionScope.All;

    /// <summary>Token positions (0 = BOS) for <see cref="PositionScope.Listed"/>.</summary>
    public IReadOnlyList<int> Positions { get; init; } = [];

    /// <summary>Also intervene at position 0 (BOS); off by default, as the SAE never saw BOS.</summary>
    public bool IncludeBos { get; init; }

    public InterventionSet InterventionSet => new() { Latents = Interventions, Scope = Scope, Positions = Positions, IncludeBos = IncludeBos };

    public SteeringOptions Options(int maxNewTokens) => new()
    {
        MaxNewTokens = maxNewTokens, Temperature = Temperature, TopP = TopP, Seed = Seed, Samples = Samples,
    };
}

/// <summary>A finished run: what was asked, on which dictionary, and both continuations per sample.</summary>
public sealed record SteeringRun(SteeringRequest Request, string DictionaryName, string HookName, SteeringResult Result);

/// <summary>The JSON shape of saved settings and outputs (enums by name).</summary>
public static class SteeringJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException("empty steering JSON");
}

/// <summary>The request's limits, under <c>Workbench:Steering</c> in appsettings.json.</summary>
public sealed class SteeringLimits
{
    /// <summary>Most new tokens one continuation may ask for (the model's context bounds it further).</summary>
    public int MaxNewTokens { get; set; } = 512;

    /// <summary>Most samples (pairs of continuations) per request.</summary>
    public int MaxSamples { get; set; } = 8;

    /// <summary>Most new tokens × samples per request.</summary>
    public int MaxTokensTimesSamples { get; set; } = 1024;

    public int MaxPromptCharacters { get; set; } = 8000;

    public int MaxInterventions { get; set; } = 16;

    /// <summary>Most strengths one sweep runs side by side (each adds a row per sample to the batch).</summary>
    public int MaxSweepStrengths { get; set; } = 6;
}

/// <summary>The user's model-pass budget (<c>Workbench:RateLimits:ModelPassesPerMinute</c>, shared with test text) is spent.</summary>
public sealed class SteeringRateLimitedException(TimeSpan retryAfter) : Limits.RateLimitedException(Limits.WorkKind.ModelPass, retryAfter);
