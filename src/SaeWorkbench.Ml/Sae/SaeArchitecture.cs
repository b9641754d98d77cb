namespace SaeWorkbench.Ml.Sae;

/// <summary>The SAE architectures of docs/science.md §2. JSON writes the name ("TopK"), never the number, so API
/// clients do not depend on declaration order; numbers are still read.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<SaeArchitecture>))]
public enum SaeArchitecture
{
    /// <summary>ReLU with decoder-norm-weighted L1 (SAELens "standard").</summary>
    Relu,
    /// <summary>TopK with AuxK (Gao et al. 2024).</summary>
    TopK,
    /// <summary>BatchTopK (Bussmann et al. 2024); a JumpReLU at inference and on save.</summary>
    BatchTopK,
    /// <summary>JumpReLU with a rectangle straight-through estimator (Gemma Scope).</summary>
    JumpRelu,
    /// <summary>
    /// Gated (Rajamanoharan et al. 2024; SAELens "gated"): a gate 1[x·W_enc + b_gate &gt; 0] times a magnitude
    /// ReLU(x·(W_enc ⊙ exp r_mag) + b_mag). Read from published dictionaries only; not trained here.
    /// </summary>
    Gated,
}

public static class SaeArchitectureNames
{
    /// <summary>Names used on the command line and in training configs.</summary>
    public static string CliName(this SaeArchitecture a) => a switch
    {
        SaeArchitecture.Relu => "relu",
        SaeArchitecture.TopK => "topk",
        SaeArchitecture.BatchTopK => "batchtopk",
        SaeArchitecture.JumpRelu => "jumprelu",
        SaeArchitecture.Gated => "gated",
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    public static SaeArchitecture Parse(string name) => name.ToLowerInvariant() switch
    {
        "relu" or "standard" => SaeArchitecture.Relu,
        "topk" => SaeArchitecture.TopK,
        "batchtopk" => SaeArchitecture.BatchTopK,
        "jumprelu" => SaeArchitecture.JumpRelu,
        _ => throw new ArgumentException($"unknown SAE architecture '{name}'; expected relu, topk, batchtopk or jumprelu"),
    };
}
