using System.Text.Json;
using SaeWorkbench.Research.Export;

namespace SaeWorkbench.Research.Tests.Explanations;

public sealed class NeuronpediaExportTests
{
    private static CatalogInterpretation Interpretation(string author, string label, string? model, IReadOnlyList<CatalogModelScore>? scores,
        CatalogDetectionScore? human = null) =>
        new(author, label, "", null, 3, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1, 2, 2, 0, [], null, human, model, scores);

    [Fact]
    public void Machine_explanations_carry_their_model_the_delphi_type_and_Neuronpedias_score_type_names()
    {
        var record = new CatalogRecord(7, new CatalogConsensus("Proposed", "dates", null), [
            Interpretation("ann", "dates", null, [new CatalogModelScore("detection", "judge-8b", "detection-v1", 11, 0.75, null, 20, 0, false)],
                new CatalogDetectionScore(0.9, 1, 0.8, 3)),
            Interpretation("tiny-instruct", "Names of months.", "tiny-instruct", [
                new CatalogModelScore("detection", "judge-8b", "detection-v1", 12, 0.8, 0.85, 20, 1, false),
                new CatalogModelScore("fuzzing", "judge-8b", "fuzzing-v1", 12, 0.6, null, 20, 0, false),
                new CatalogModelScore("fuzzing", "old-judge", "fuzzing-v1", 5, 0.1, null, 20, 0, true),
            ]),
        ], new CatalogStats(0.01, 3, 1, false), null, null);

        var lines = NeuronpediaExplanations.Write("gpt2", "blocks.6.hook_resid_post", [record]).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();

        Assert.Equal("human", lines[0].GetProperty("typeName").GetString());
        Assert.Equal(JsonValueKind.Null, lines[0].GetProperty("explanationModelName").ValueKind);
        Assert.Equal(["human_detection_balanced_accuracy", "eleuther_recall"],
            lines[0].GetProperty("scores").EnumerateArray().Select(s => s.GetProperty("explanationScoreTypeName").GetString()));
        Assert.Equal("eleuther_acts_top20", lines[1].GetProperty("typeName").GetString());
        Assert.Equal("tiny-instruct", lines[1].GetProperty("explanationModelName").GetString());
        var scores = lines[1].GetProperty("scores").EnumerateArray().ToList();
        // The stale score of an earlier version is left out.
        Assert.Equal([("eleuther_recall", 0.8), ("eleuther_fuzz", 0.6)],
            scores.Select(s => (s.GetProperty("explanationScoreTypeName").GetString(), s.GetProperty("value").GetDouble())));
        Assert.Equal("judge-8b", scores[0].GetProperty("explanationScoreModelName").GetString());
        Assert.Equal("6-res-sw", lines[1].GetProperty("layer").GetString());
    }
}
