namespace SaeWorkbench.Ml.Lm.Training;

/// <summary>Cross-entropy (nats/token) of count-based models, the bar a trained model must clear.</summary>
public sealed record NgramBaselineLosses(double Unigram, double Bigram, long TrainTargets, long ValidationTargets);

/// <summary>
/// Unigram and bigram models fitted on the training windows and scored on the validation windows, on the
/// same targets as the language model (every window position after the first). The unigram uses add-one
/// (Laplace) smoothing; the bigram uses Witten-Bell smoothing, interpolating with that unigram by the number
/// of distinct successors of the context (Chen &amp; Goodman 1998, §2.4), a stronger bar than add-one.
/// </summary>
public static class NgramBaselines
{
    public static NgramBaselineLosses Compute(int[] train, int[] validation, int windowLength, int vocabSize)
    {
        var unigram = new long[vocabSize];
        var contextCount = new long[vocabSize];
        var bigram = new Dictionary<long, long>();
        long trainTargets = 0;
        for (var start = 0; start + windowLength <= train.Length; start += windowLength)
            for (var i = start + 1; i < start + windowLength; i++)
            {
                unigram[train[i]]++;
                contextCount[train[i - 1]]++;
                var key = ((long)train[i - 1] << 32) | (uint)train[i];
                bigram[key] = bigram.GetValueOrDefault(key) + 1;
                trainTargets++;
            }
        var successorTypes = new long[vocabSize];
        foreach (var key in bigram.Keys) successorTypes[key >> 32]++;

        double unigramNll = 0, bigramNll = 0;
        long validationTargets = 0;
        for (var start = 0; start + windowLength <= validation.Length; start += windowLength)
            for (var i = start + 1; i < start + windowLength; i++)
            {
                var (previous, next) = (validation[i - 1], validation[i]);
                var pUnigram = (unigram[next] + 1.0) / (trainTargets + vocabSize);
                var types = successorTypes[previous];
                var pBigram = types == 0
                    ? pUnigram
                    : (bigram.GetValueOrDefault(((long)previous << 32) | (uint)next) + types * pUnigram) /
                      (contextCount[previous] + types);
                unigramNll -= Math.Log(pUnigram);
                bigramNll -= Math.Log(pBigram);
                validationTargets++;
            }
        if (validationTargets == 0) throw new ArgumentException("The validation split has no complete window");
        return new NgramBaselineLosses(unigramNll / validationTargets, bigramNll / validationTargets, trainTargets, validationTargets);
    }
}
