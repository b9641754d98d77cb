namespace SaeWorkbench.Data.Dictionaries;

/// <summary>A trained or imported SAE ("dictionary") on one model's hook point. Weights live in <see cref="SaePath"/>.</summary>
public class SaeDictionary
{
    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>Model name as recorded in the SAE's cfg metadata (e.g. "demo-gpt2", "gpt2").</summary>
    public required string ModelName { get; set; }

    /// <summary>Folder of the model (Hugging Face layout) on the server's disk.</summary>
    public string? ModelPath { get; set; }

    /// <summary>TransformerLens hook name, e.g. "blocks.2.hook_resid_post" (docs/science.md §9).</summary>
    public required string HookName { get; set; }

    /// <summary>"standard" (ReLU-L1), "topk", "batchtopk" (saved as jumprelu) or "jumprelu".</summary>
    public required string Architecture { get; set; }

    public int DIn { get; set; }
    public int DSae { get; set; }

    /// <summary>k for TopK/BatchTopK.</summary>
    public int? K { get; set; }

    /// <summary>λ for ReLU-L1 / JumpReLU.</summary>
    public double? SparsityCoefficient { get; set; }

    public long TokensTrained { get; set; }

    /// <summary>SAELens folder (cfg.json, sae_weights.safetensors, sparsity.safetensors).</summary>
    public required string SaePath { get; set; }

    /// <summary>SHA-256 of sae_weights.safetensors, for provenance.</summary>
    public string? WeightsSha256 { get; set; }

    /// <summary>Final metrics of docs/science.md §4 as JSON (l0, mse, fvu, explained_variance, ce_loss_recovered …).</summary>
    public string MetricsJson { get; set; } = "{}";

    public string TrainingConfigJson { get; set; } = "{}";

    /// <summary>The job that trained or imported it, if any (its metrics are the training curves).</summary>
    public long? SourceJobId { get; set; }

    public string? CreatedById { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}
