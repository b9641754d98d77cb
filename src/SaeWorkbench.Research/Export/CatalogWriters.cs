using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Export;

/// <summary>catalog.csv: one row per latent for spreadsheets (RFC 4180 quoting; text cells that a spreadsheet would
/// run as a formula get a leading apostrophe).</summary>
public static class CatalogCsv
{
    public static readonly string[] Columns =
    [
        "index", "status", "label", "tag", "interpretations", "score", "authors", "density", "max_activation", "mean_activation", "dead",
        "top_positive_tokens", "top_negative_tokens", "top_context",
    ];

    public static string Write(IEnumerable<CatalogRecord> records)
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(',', Columns)).Append("\r\n");
        foreach (var r in records)
        {
            var consensus = r.Interpretations.FirstOrDefault(i => i.Label == r.Consensus.Label);
            string[] cells =
            [
                Num(r.Index), r.Consensus.Status, Text(r.Consensus.Label), Text(r.Consensus.Tag), Num(r.Interpretations.Count),
                consensus is null ? "" : Num(consensus.Score), Text(string.Join("; ", r.Interpretations.Select(i => i.Author).Distinct())),
                Num(r.Stats.Density), Num(r.Stats.MaxActivation), Num(r.Stats.MeanActivation), r.Stats.IsDead ? "true" : "false",
                Text(r.TopLogits is null ? null : string.Join(" ", r.TopLogits.Positive.Select(t => t.Token))),
                Text(r.TopLogits is null ? null : string.Join(" ", r.TopLogits.Negative.Select(t => t.Token))),
                Text(r.TopContexts is { Count: > 0 } c ? c[0].Text : null),
            ];
            sb.Append(string.Join(',', cells.Select(Quote))).Append("\r\n");
        }
        return sb.ToString();
    }

    private static string Num(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";
    private static string Num(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Text(string? v) =>
        string.IsNullOrEmpty(v) ? "" : v[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + v : v;

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + cell.Replace("\"", "\"\"") + "\"" : cell;
}

/// <summary>
/// neuronpedia/explanations.jsonl (docs/science.md §8): one line per interpretation, with the Neuronpedia explanation
/// fields {modelId, layer, index, description, typeName, explanationModelName, authorId, votes, scores}.
/// </summary>
public static partial class NeuronpediaExplanations
{
    /// <summary>Neuronpedia's layer id for a TransformerLens hook: "2-res-sw" for blocks.2.hook_resid_post (sw: SaeWorkbench).</summary>
    public static string LayerOf(string hook)
    {
        var m = BlockHook().Match(hook);
        if (!m.Success) return hook;
        var site = m.Groups[2].Value switch
        {
            var s when s.StartsWith("hook_resid", StringComparison.Ordinal) => "res",
            var s when s.StartsWith("mlp", StringComparison.Ordinal) || s == "hook_mlp_out" => "mlp",
            var s when s.StartsWith("attn", StringComparison.Ordinal) || s == "hook_attn_out" => "att",
            _ => "other",
        };
        return $"{m.Groups[1].Value}-{site}-sw";
    }

    public static string Write(string modelName, string hook, IEnumerable<CatalogRecord> records)
    {
        var layer = LayerOf(hook);
        var sb = new StringBuilder();
        foreach (var r in records)
        foreach (var i in r.Interpretations)
        {
            sb.Append(JsonSerializer.Serialize(new
            {
                modelId = modelName,
                layer,
                index = r.Index.ToString(CultureInfo.InvariantCulture),
                description = i.Label,
                typeName = i.ExplanationModelName is null ? HumanType : MachineType,
                explanationModelName = i.ExplanationModelName,
                authorId = i.Author,
                votes = i.Score,
                scores = Scores(i),
                tag = i.Tag,
                confidence = i.Confidence,
                reviewStatus = i.Review?.Decision ?? "Pending",
                isConsensus = r.Consensus.Label is not null && r.Consensus.Label == i.Label,
            }, BundleFormat.Json)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Neuronpedia's explanation type of a person's explanation.</summary>
    public const string HumanType = "human";

    /// <summary>
    /// Neuronpedia's explanation type for explanations from EleutherAI delphi's default explainer (activating contexts
    /// with per-token activations), the format ours follows (docs/science.md §13); ours shows 10 top contexts and 10
    /// interval samples.
    /// </summary>
    public const string MachineType = "eleuther_acts_top20";

    /// <summary>Neuronpedia's score type names for delphi's scorers: detection is "recall" there, fuzzing "fuzz".</summary>
    public static string ScoreTypeName(string scorer) => scorer switch
    {
        "detection" => "eleuther_recall",
        "fuzzing" => "eleuther_fuzz",
        _ => scorer,
    };

    private static IReadOnlyList<object> Scores(CatalogInterpretation i)
    {
        var scores = new List<object>();
        if (i.DetectionScore is { BalancedAccuracy: { } ba })
            scores.Add(new { value = ba, explanationScoreTypeName = "human_detection_balanced_accuracy", explanationScoreModelName = (string?)null, ratings = i.DetectionScore.Ratings });
        foreach (var s in i.ModelScores ?? [])
            if (s is { BalancedAccuracy: { } value, Stale: false })
                scores.Add(new { value, explanationScoreTypeName = ScoreTypeName(s.Scorer), explanationScoreModelName = s.Model, auroc = s.Auroc, promptVersion = s.PromptVersion, seed = s.Seed });
        return scores;
    }

    [GeneratedRegex(@"^blocks\.(\d+)\.(.+)$")]
    private static partial Regex BlockHook();
}

/// <summary>Agreement figures of a bundle (Krippendorff's alpha, <see cref="Agreement"/>).</summary>
public sealed record AgreementFigures(AlphaResult Tags, AlphaResult Confidence, AlphaResult Votes)
{
    /// <summary>Tags and confidence: units are latents, coders the authors of interpretations; votes: units are
    /// interpretations, coders the voters, values +1/−1.</summary>
    public static AgreementFigures Of(IEnumerable<CatalogRecord> records)
    {
        var list = records.ToList();
        var tags = list.SelectMany(r => r.Interpretations.Where(i => i.Tag is not null)
                .GroupBy(i => i.Author).Select(g => new CodedValue<string>(r.Index.ToString(CultureInfo.InvariantCulture), g.Key, g.First().Tag!)))
            .ToList();
        var confidence = list.SelectMany(r => r.Interpretations
                .GroupBy(i => i.Author).Select(g => new CodedValue<double>(r.Index.ToString(CultureInfo.InvariantCulture), g.Key, g.First().Confidence)))
            .ToList();
        var votes = list.SelectMany(r => r.Interpretations.SelectMany((i, n) => i.Votes.Select(v =>
                new CodedValue<int>($"{r.Index}/{n}", v.Voter, v.Value))))
            .ToList();
        return new AgreementFigures(Agreement.Nominal(tags), Agreement.Interval(confidence), Agreement.Nominal(votes));
    }
}
