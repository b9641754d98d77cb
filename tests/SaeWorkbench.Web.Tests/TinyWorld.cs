using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Web.Tests;

/// <summary>A tiny GPT-2 folder and corpus, built by the project's own code, for end-to-end job tests.</summary>
public static class TinyWorld
{
    private static readonly string[] Sentences =
    [
        "the president spoke to the congress about the state of the union",
        "the economy is growing and the people are working",
        "we must defend the nation and keep the peace",
        "taxes and trade and the budget of the government",
        "the army and the navy serve the country with honor",
        // Markup in the corpus must reach pages as text only.
        "the clerk wrote <script>alert(1)</script> in the record",
    ];

    /// <summary>Writes a corpus folder (txt files) and a randomly initialised model folder; returns their paths.</summary>
    public static (string Model, string Corpus) Create(string root)
    {
        var corpus = Directory.CreateDirectory(Path.Combine(root, "corpus")).FullName;
        var random = new Random(7);
        for (var f = 0; f < 12; f++)
        {
            var lines = Enumerable.Range(0, 40).Select(_ => Sentences[random.Next(Sentences.Length)]);
            File.WriteAllText(Path.Combine(corpus, $"doc{f:D2}.txt"), string.Join(". ", lines) + ".");
        }
        var tokenizer = BpeTrainer.Train(Sentences, 300);
        TorchSharp.torch.manual_seed(3);
        using var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 32, 16, 2, 2, BosTokenId: tokenizer.EndOfTextId));
        var folder = Path.Combine(root, "model");
        HuggingFaceGpt2.Save(model, folder, tokenizer);
        return (folder, corpus);
    }
}
