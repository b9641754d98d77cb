using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Ml.Lm.Training;

/// <summary>Train and validation windows, each flat [windows × WindowLength] token ids.</summary>
public sealed record LmTrainingData(int[] Train, int[] Validation, int WindowLength)
{
    public int TrainWindows => Train.Length / WindowLength;
    public int ValidationWindows => Validation.Length / WindowLength;

    /// <summary>Tokenises both splits of <paramref name="corpus"/> into windows of <paramref name="windowLength"/>.</summary>
    public static LmTrainingData FromCorpus(TextCorpus corpus, ITokenizer tokenizer, int windowLength)
    {
        var train = TokenWindows.Materialize(corpus, tokenizer, CorpusSplit.Train, windowLength, out var trainCount);
        var validation = TokenWindows.Materialize(corpus, tokenizer, CorpusSplit.Validation, windowLength, out var validationCount);
        if (trainCount == 0) throw new ArgumentException($"Corpus {corpus.Folder} has no complete training window of {windowLength} tokens");
        if (validationCount == 0) throw new ArgumentException($"Corpus {corpus.Folder} has no complete validation window of {windowLength} tokens");
        return new LmTrainingData(train, validation, windowLength);
    }
}
