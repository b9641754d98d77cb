using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Steering;

/// <summary>What a steering request may ask (who may send one is <see cref="Permissions"/>' table).</summary>
public static class SteeringRules
{
    /// <summary>Checks what can be checked without the model: throws <see cref="ArgumentException"/> with a message for the user.</summary>
    public static void Validate(SteeringRequest r, SteeringLimits limits, int dSae)
    {
        if (string.IsNullOrWhiteSpace(r.Prompt)) throw new ArgumentException("type a prompt");
        if (r.Prompt.Length > limits.MaxPromptCharacters)
            throw new ArgumentException($"the prompt has {r.Prompt.Length} characters; at most {limits.MaxPromptCharacters} are allowed");
        if (r.MaxNewTokens < 1 || r.MaxNewTokens > limits.MaxNewTokens)
            throw new ArgumentException($"max tokens must be between 1 and {limits.MaxNewTokens}, got {r.MaxNewTokens}");
        if (r.Samples < 1 || r.Samples > limits.MaxSamples)
            throw new ArgumentException($"samples must be between 1 and {limits.MaxSamples}, got {r.Samples}");
        if ((long)r.MaxNewTokens * r.Samples > limits.MaxTokensTimesSamples)
            throw new ArgumentException($"max tokens × samples is {r.MaxNewTokens * r.Samples}; at most {limits.MaxTokensTimesSamples} per request");
        if (!double.IsFinite(r.Temperature) || r.Temperature < 0 || r.Temperature > 10)
            throw new ArgumentException("temperature must be between 0 and 10");
        if (!double.IsFinite(r.TopP) || r.TopP is <= 0 or > 1) throw new ArgumentException("top-p must be in (0, 1]");
        if (r.Interventions.Count == 0) throw new ArgumentException("add at least one intervention");
        if (r.Interventions.Count > limits.MaxInterventions)
            throw new ArgumentException($"at most {limits.MaxInterventions} interventions per request");
        r.InterventionSet.Validate(dSae);
    }

    /// <summary>Tags as stored: lower case, trimmed, unique, separated by single spaces.</summary>
    public static string NormaliseTags(string? tags) =>
        string.Join(' ', (tags ?? "").Split([' ', ',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t.ToLowerInvariant()).Where(t => t.Length <= 40).Distinct().Take(10));
}
