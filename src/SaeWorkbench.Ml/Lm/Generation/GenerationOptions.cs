namespace SaeWorkbench.Ml.Lm.Generation;

/// <summary>How to sample a continuation.</summary>
public sealed record GenerationOptions
{
    /// <summary>At most this many new tokens per prompt (fewer when the context fills up).</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>Softmax temperature; 0 means greedy (always the most likely token).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Sample only among the k most likely tokens; 0 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus sampling: the smallest set of tokens whose probability reaches p (Holtzman et al. 2020); 1 disables.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Seed of the sampling generator; the same seed, prompts and options give the same text. Null: random.</summary>
    public long? Seed { get; init; }

    /// <summary>Generation of a prompt ends when its text contains one of these (the stop text is not returned).</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>End a prompt's generation when the model emits &lt;|endoftext|&gt;.</summary>
    public bool StopAtEndOfText { get; init; } = true;

    /// <summary>Reuse keys and values of earlier positions; false recomputes the whole sequence every step.</summary>
    public bool UseKvCache { get; init; } = true;

    /// <summary>Prepend &lt;|endoftext|&gt; to each prompt, as GPT-2 saw at document starts.</summary>
    public bool PrependBos { get; init; } = true;

    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), "must be ≥ 0");
        if (Temperature < 0) throw new ArgumentOutOfRangeException(nameof(Temperature), "must be ≥ 0");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), "must be ≥ 0");
        if (TopP is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(TopP), "must be in (0, 1]");
    }
}

/// <summary>Why a prompt's generation ended.</summary>
public enum FinishReason { None, MaxTokens, EndOfText, StopSequence, ContextFull }

/// <summary>
/// One streamed token. <see cref="Text"/> is the new text it completes; it can be empty while a multi-byte
/// character or a possible stop sequence is still incomplete, and the last token of a prompt carries the rest.
/// </summary>
public sealed record GeneratedToken(int PromptIndex, int Step, int TokenId, string Text, FinishReason Finish)
{
    public bool IsLast => Finish != FinishReason.None;
}

/// <summary>The whole result for one prompt.</summary>
public sealed record GenerationResult(string Prompt, int[] TokenIds, string Text, FinishReason Finish);
