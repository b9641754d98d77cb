namespace SaeWorkbench.Ml.Lm.Tokenization;

/// <summary>
/// A language model's tokenizer as the rest of the workbench uses it: text to ids and back, one id's vocabulary
/// entry, and the special token every sequence starts with. Implemented for GPT-2's vocab.json + merges.txt and
/// for Hugging Face tokenizer.json files.
/// </summary>
public interface ITokenizer
{
    /// <summary>One more than the largest token id.</summary>
    int VocabSize { get; }

    /// <summary>
    /// The token put at position 0 of every sequence the workbench feeds the model (the model's BOS; GPT-2 uses
    /// <c>&lt;|endoftext|&gt;</c>). Activation statistics, dashboards and metrics skip this position.
    /// </summary>
    int EndOfTextId { get; }

    /// <summary>Token ids of <paramref name="text"/>, taken literally: no BOS or other special token is added.</summary>
    int[] Encode(string text);

    string Decode(IEnumerable<int> ids);

    /// <summary>The vocabulary entry of one id (e.g. "Ġthe" for byte-level BPE, "▁the" for SentencePiece).</summary>
    string TokenString(int id);

    /// <summary>
    /// Token ids of <paramref name="text"/> with the special tokens the tokenizer's own files add around it (the
    /// post-processor of tokenizer.json, e.g. Llama 3's <c>&lt;|begin_of_text|&gt;</c>, Gemma's <c>&lt;bos&gt;</c>;
    /// nothing for GPT-2 and Qwen), as Hugging Face's <c>encode(text, add_special_tokens=True)</c> does.
    /// </summary>
    int[] EncodeWithSpecialTokens(string text) => Encode(text);

    /// <summary>The beginning-of-sequence token the tokenizer files name, if any.</summary>
    int? BosTokenId => null;

    /// <summary>The end-of-sequence token the tokenizer files name, if any (for instruct models, the end of a turn).</summary>
    int? EosTokenId => null;
}
