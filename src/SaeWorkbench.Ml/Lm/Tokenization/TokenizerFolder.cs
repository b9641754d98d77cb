namespace SaeWorkbench.Ml.Lm.Tokenization;

/// <summary>The one place a model folder's tokenizer is read, whatever the model family.</summary>
public static class TokenizerFolder
{
    /// <summary>True when the folder holds tokenizer.json, or vocab.json + merges.txt.</summary>
    public static bool ExistsIn(string folder) =>
        File.Exists(Path.Combine(folder, "tokenizer.json")) ||
        (File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt")));

    /// <summary>
    /// The tokenizer of a Hugging Face folder: tokenizer.json (+ tokenizer_config.json, chat_template.jinja) when
    /// present, as the fast tokenizers of transformers prefer it; otherwise GPT-2's vocab.json + merges.txt.
    /// </summary>
    public static ITokenizer Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new LanguageModelFolderException(folder, "folder not found");
        if (File.Exists(Path.Combine(folder, "tokenizer.json"))) return HuggingFaceTokenizer.Load(folder);
        if (File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt")))
            return Gpt2Tokenizer.Load(folder);
        throw new LanguageModelFolderException(folder, "no tokenizer: expected tokenizer.json, or vocab.json + merges.txt");
    }
}
