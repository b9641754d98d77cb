namespace SaeWorkbench.Data.Models;

/// <summary>
/// A language-model folder (Hugging Face layout) an Admin registered, so that every form offers it by name
/// (docs/architecture.md §1). What it is (family, size, dtype) is read from the folder when it is registered.
/// </summary>
public class RegisteredModel
{
    public long Id { get; set; }

    /// <summary>Name shown in the forms; unique.</summary>
    public required string Name { get; set; }

    /// <summary>The folder's real absolute path (links followed), inside the import roots when it was registered.</summary>
    public required string FolderPath { get; set; }

    /// <summary>config.json's model_type, e.g. "llama", "gemma2", "gpt2".</summary>
    public required string Family { get; set; }

    public long Parameters { get; set; }

    /// <summary>The dtype the weights are stored in ("float32", "bfloat16", "float16").</summary>
    public required string StoredDtype { get; set; }

    /// <summary>The dtype the model is loaded and run in by the inference host and the jobs ("float32", "bfloat16", "float16").</summary>
    public string ComputeDtype { get; set; } = "float32";

    public string? RegisteredById { get; set; }
    public DateTimeOffset RegisteredAt { get; set; } = DateTimeOffset.UtcNow;
}
