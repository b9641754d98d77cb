using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Export;

/// <summary>What a Neuronpedia export wrote.</summary>
public sealed record NeuronpediaExportResult(string Path, string ModelId, string SourceId, int Features, int Activations, int Explanations);

/// <summary>
/// Neuronpedia's bulk-export layout (docs/science.md §11), as its own export script (utils/neuronpedia-utils
/// export-data.py) and its import route read it, so a team can publish what it labelled:
/// <c>{modelId}/{sourceId}/</c> with <c>model.jsonl</c>, <c>sourceset.jsonl</c>, <c>source.jsonl</c> and
/// <c>features/</c>, <c>activations/</c>, <c>explanations/</c> as <c>batch-N.jsonl.gz</c>. Features and explanations
/// hold 1,024 rows per batch in index order; activations batch N holds the contexts of features N·1024 … N·1024 + 1023.
/// Every row of a file has the same fields (Neuronpedia's importer takes the columns from the first row), named as
/// Neuronpedia's export writes them. Authors become one creator id, as in Neuronpedia's own exports (its tables
/// reference users); the bundle's catalog keeps who wrote and voted what.
/// </summary>
public sealed class NeuronpediaExporter(
    IDbContextFactory<WorkbenchDbContext> dbFactory,
    FeatureDashboardReader dashboards,
    TokenText tokenText,
    WorkbenchPaths paths)
{
    /// <summary>Rows per features/explanations batch, and features per activations batch (Neuronpedia's export).</summary>
    public const int BatchSize = 1024;

    /// <summary>The creator id written when none is given.</summary>
    public const string DefaultCreatorId = "saeworkbench";

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes dictionary <paramref name="dictionaryId"/> to <paramref name="outPath"/> (a new folder, or a .zip file with <see cref="ExportOptions.Zip"/>).</summary>
    /// <param name="batchSize">Rows per batch file; Neuronpedia's is <see cref="BatchSize"/> (smaller only to test the batching).</param>
    public async Task<NeuronpediaExportResult> ExportAsync(long dictionaryId, ExportOptions options, string outPath,
        IProgress<(double Progress, string Message)>? progress = null, CancellationToken ct = default, int batchSize = BatchSize)
    {
        if (batchSize < 1) throw new ArgumentException($"batchSize: must be ≥ 1, got {batchSize}");
        var destination = Path.GetFullPath(outPath);
        if (File.Exists(destination) || (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any()))
            throw new IOException($"{destination} already exists; choose a new path for the export");
        var parent = Path.GetDirectoryName(destination) ?? throw new ArgumentException($"out: '{outPath}' has no parent folder");
        Directory.CreateDirectory(parent);
        var work = Path.Combine(parent, $".neuronpedia-{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(work);
        try
        {
            var result = await WriteAsync(dictionaryId, options, work, batchSize, progress, ct);
            ct.ThrowIfCancellationRequested();
            if (options.Zip)
            {
                ZipFile.CreateFromDirectory(work, work + ".zip", CompressionLevel.Optimal, includeBaseDirectory: false);
                File.Move(work + ".zip", destination);
            }
            else
            {
                if (Directory.Exists(destination)) Directory.Delete(destination);
                Directory.Move(work, destination);
            }
            progress?.Report((1, "Neuronpedia export written"));
            return result with { Path = destination };
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            if (File.Exists(work + ".zip")) File.Delete(work + ".zip");
        }
    }

    private async Task<NeuronpediaExportResult> WriteAsync(long dictionaryId, ExportOptions options, string folder, int batchSize,
        IProgress<(double, string)>? progress, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dictionary = await db.Dictionaries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == dictionaryId, ct)
                         ?? throw new ArgumentException($"dictionaryId: there is no dictionary #{dictionaryId}");
        var creator = string.IsNullOrWhiteSpace(options.CreatorId) ? DefaultCreatorId : options.CreatorId.Trim();
        var modelId = SafeName(dictionary.ModelName, "modelId");
        var sourceId = SafeName(NeuronpediaExplanations.LayerOf(dictionary.HookName), "source");
        var setName = sourceId.Contains('-') ? sourceId[(sourceId.IndexOf('-') + 1)..] : sourceId;
        var source = Path.Combine(folder, modelId, sourceId);
        foreach (var sub in new[] { "features", "activations", "explanations" }) Directory.CreateDirectory(Path.Combine(source, sub));
        var createdAt = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture);

        progress?.Report((0.01, "reading latents and labels"));
        var latents = await db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId).OrderBy(l => l.Index).ToListAsync(ct);
        var interpretations = (await (from i in db.Interpretations.AsNoTracking()
                                      join l in db.Latents on i.LatentId equals l.Id
                                      where l.DictionaryId == dictionaryId && !i.IsDeleted
                                      select i).ToListAsync(ct))
            .GroupBy(i => i.LatentId).ToDictionary(g => g.Key, g => g.OrderBy(i => i.CreatedAt).ThenBy(i => i.Id).ToList());
        var selected = latents.Where(l => options.Scope switch
        {
            ExportScope.Labelled => interpretations.ContainsKey(l.Id),
            ExportScope.Accepted => l.LabelStatus == LabelStatus.Accepted,
            _ => true,
        }).ToList();
        var tokenizer = tokenText.TokenizerFor(string.IsNullOrWhiteSpace(dictionary.ModelPath) ? null : Resolve(dictionary.ModelPath));
        string Token(int id) => tokenizer is null ? $"[{id}]" : id == tokenizer.EndOfTextId ? "<|endoftext|>" : tokenizer.Decode([id]);

        await WriteJsonlAsync(Path.Combine(source, "model.jsonl"), [new Dictionary<string, object?>
        {
            ["id"] = modelId, ["instruct"] = false, ["creatorId"] = creator, ["displayNameShort"] = modelId, ["displayName"] = modelId,
            ["tlensId"] = null, ["dimension"] = dictionary.DIn, ["visibility"] = "PUBLIC", ["defaultSourceSetName"] = null,
            ["defaultSourceId"] = null, ["inferenceEnabled"] = false, ["layers"] = 0, ["neuronsPerLayer"] = 0, ["createdAt"] = createdAt,
            ["owner"] = "", ["updatedAt"] = createdAt, ["website"] = null,
        }], ct);
        await WriteJsonlAsync(Path.Combine(source, "sourceset.jsonl"), [new Dictionary<string, object?>
        {
            ["modelId"] = modelId, ["name"] = setName, ["creatorId"] = creator, ["hasDashboards"] = true, ["visibility"] = "PUBLIC",
            ["description"] = $"{dictionary.Name}: {dictionary.Architecture} SAE with {dictionary.DSae:N0} latents on {dictionary.HookName}",
            ["type"] = "", ["creatorName"] = "", ["urls"] = Array.Empty<string>(), ["creatorEmail"] = null, ["releaseName"] = null,
            ["defaultOfModelId"] = null, ["defaultRange"] = 1, ["defaultShowBreaks"] = true, ["showDfa"] = false, ["showCorrelated"] = false,
            ["showHeadAttribution"] = false, ["showUmap"] = false, ["createdAt"] = createdAt,
        }], ct);

        var features = new List<Dictionary<string, object?>>();
        var activations = new List<Dictionary<string, object?>>();
        var explanations = new List<Dictionary<string, object?>>();
        long tokensAnalysed = 0;
        int nFeatures = 0, nActivations = 0, nExplanations = 0;
        var featureBatch = 0;
        for (var n = 0; n < selected.Count; n++)
        {
            ct.ThrowIfCancellationRequested();
            var latent = selected[n];
            var index = latent.Index.ToString(CultureInfo.InvariantCulture);
            var view = await dashboards.GetAsync(latent.Id, ct);
            tokensAnalysed = Math.Max(tokensAnalysed, view?.TokensAnalysed ?? 0);
            features.Add(Feature(modelId, sourceId, setName, index, creator, latent.Density, latent.MaxActivation, view, Token));
            if (options.IncludeContexts && view is not null)
                activations.AddRange(Activations(modelId, sourceId, index, creator, view, Token));
            foreach (var i in interpretations.GetValueOrDefault(latent.Id) ?? [])
                explanations.Add(new Dictionary<string, object?>
                {
                    ["id"] = $"sw-{dictionaryId}-{i.Id}", ["modelId"] = modelId, ["layer"] = sourceId, ["index"] = index, ["authorId"] = creator,
                    ["description"] = i.Label, ["embedding"] = null,
                    // A model's explanation carries delphi's explainer type and the model's name as Neuronpedia records
                    // them (docs/science.md §13.4); a person's carries neither, as on Neuronpedia. Scores have no table
                    // in this layout: they travel in the bundle's catalog.
                    ["typeName"] = i.ExplanationModelName is null ? null : NeuronpediaExplanations.MachineType,
                    ["explanationModelName"] = i.ExplanationModelName,
                    ["umap_x"] = null, ["umap_y"] = null, ["umap_cluster"] = null, ["umap_log_feature_sparsity"] = null,
                });
            // Activations batch N holds features N·batch … N·batch + batch − 1 by index, as Neuronpedia's export does.
            var nextBatch = n + 1 < selected.Count ? selected[n + 1].Index / batchSize : int.MaxValue;
            if (nextBatch != latent.Index / batchSize)
            {
                if (activations.Count > 0) await WriteBatchAsync(source, "activations", latent.Index / batchSize, activations, ct);
                nActivations += activations.Count;
                activations.Clear();
            }
            if (features.Count == batchSize || n + 1 == selected.Count)
            {
                await WriteBatchAsync(source, "features", featureBatch++, features, ct);
                nFeatures += features.Count;
                features.Clear();
            }
            if (n % 64 == 0) progress?.Report((0.05 + 0.9 * n / Math.Max(1, selected.Count), $"latent {n + 1} of {selected.Count}"));
        }
        for (var b = 0; b * batchSize < explanations.Count; b++)
            await WriteBatchAsync(source, "explanations", b, explanations.Skip(b * batchSize).Take(batchSize).ToList(), ct);
        nExplanations = explanations.Count;

        await WriteJsonlAsync(Path.Combine(source, "source.jsonl"), [new Dictionary<string, object?>
        {
            ["id"] = sourceId, ["modelId"] = modelId, ["setName"] = setName, ["creatorId"] = creator, ["hasDashboards"] = nActivations > 0,
            ["inferenceEnabled"] = false, ["inferenceHosts"] = Array.Empty<string>(), ["saelensConfig"] = null, ["saelensRelease"] = null,
            ["saelensSaeId"] = null, ["hfRepoId"] = null, ["hfFolderId"] = null, ["visibility"] = "PUBLIC", ["defaultOfModelId"] = null,
            ["hasUmap"] = false, ["hasUmapLogSparsity"] = false, ["hasUmapClusters"] = false, ["num_prompts"] = null,
            ["num_tokens_in_prompt"] = null, ["dataset"] = null,
            ["notes"] = $"Exported by SaeWorkbench from dictionary #{dictionaryId} ({dictionary.Name}, hook {dictionary.HookName}); " +
                        $"{tokensAnalysed:N0} tokens analysed.",
            ["createdAt"] = createdAt,
        }], ct);
        return new NeuronpediaExportResult(folder, modelId, sourceId, nFeatures, nActivations, nExplanations);
    }

    /// <summary>A features row: Neuronpedia's Neuron columns as its export lists them.</summary>
    private static Dictionary<string, object?> Feature(string modelId, string sourceId, string setName, string index, string creator,
        double? density, double? maxActivation, FeatureDashboardView? view, Func<int, string> token)
    {
        double[] Centres(int bins, double lo, double hi) =>
            Enumerable.Range(0, bins).Select(b => Math.Round(lo + (b + 0.5) * (hi - lo) / bins, 6)).ToArray();
        var histogram = view?.Histogram ?? [];
        var max = view?.MaxActivation ?? maxActivation ?? 0;
        return new Dictionary<string, object?>
        {
            ["modelId"] = modelId,
            ["layer"] = sourceId,
            ["index"] = index,
            ["maxActApprox"] = max,
            ["creatorId"] = creator,
            ["frac_nonzero"] = view?.Density ?? density ?? 0,
            ["freq_hist_data_bar_heights"] = histogram.Select(c => (double)c).ToArray(),
            ["freq_hist_data_bar_values"] = Centres(histogram.Length, 0, max),
            ["logits_hist_data_bar_heights"] = (view?.LogitHistogram ?? []).Select(c => (double)c).ToArray(),
            ["logits_hist_data_bar_values"] = view is null ? [] : Centres(view.LogitHistogram.Length, view.LogitHistogramMin, view.LogitHistogramMax),
            ["neuron_alignment_indices"] = Array.Empty<int>(),
            ["neuron_alignment_l1"] = Array.Empty<double>(),
            ["neuron_alignment_values"] = Array.Empty<double>(),
            ["correlated_neurons_indices"] = Array.Empty<int>(),
            ["correlated_neurons_l1"] = Array.Empty<double>(),
            ["correlated_neurons_pearson"] = Array.Empty<double>(),
            ["decoder_weights_dist"] = Array.Empty<double>(),
            ["neg_str"] = (view?.LogitNegative ?? []).Select(t => token(t.TokenId)).ToArray(),
            ["neg_values"] = (view?.LogitNegative ?? []).Select(t => Math.Round(t.Effect, 6)).ToArray(),
            ["pos_str"] = (view?.LogitPositive ?? []).Select(t => token(t.TokenId)).ToArray(),
            ["pos_values"] = (view?.LogitPositive ?? []).Select(t => Math.Round(t.Effect, 6)).ToArray(),
            ["sourceSetName"] = setName,
            ["topkCosSimIndices"] = (view?.Neighbours ?? []).Select(x => x.LatentIndex).ToArray(),
            ["topkCosSimValues"] = (view?.Neighbours ?? []).Select(x => Math.Round(x.Cosine, 6)).ToArray(),
            ["vector"] = Array.Empty<double>(),
            ["vectorLabel"] = null,
            ["hookName"] = null,
            ["vectorDefaultSteerStrength"] = null,
            ["hasVector"] = false,
        };
    }

    /// <summary>
    /// Activations rows: the top contexts (no bin) then the interval samples with their equal-width bin (binMin, binMax]
    /// and the share of activations in it (binContains), as Neuronpedia's dashboards carry them.
    /// </summary>
    private static IEnumerable<Dictionary<string, object?>> Activations(string modelId, string sourceId, string index, string creator,
        FeatureDashboardView view, Func<int, string> token)
    {
        var rows = view.TopExamples.Select(e => (Example: e, Bin: (FeatureIntervalView?)null))
            .Concat(view.Intervals.SelectMany(b => b.Examples.Select(e => (Example: e, Bin: (FeatureIntervalView?)b))));
        var n = 0;
        foreach (var (e, bin) in rows)
        {
            var values = e.Activations.Select(v => Math.Round(v, 5)).ToArray();
            var peak = values.Length == 0 ? 0 : Array.IndexOf(values, values.Max());
            yield return new Dictionary<string, object?>
            {
                ["id"] = $"sw-{modelId}-{sourceId}-{index}-{n++}",
                ["modelId"] = modelId,
                ["layer"] = sourceId,
                ["index"] = index,
                ["creatorId"] = creator,
                ["dataSource"] = null,
                ["tokens"] = e.TokenIds.Select(token).ToArray(),
                ["maxValue"] = values.Length == 0 ? 0 : values.Max(),
                ["minValue"] = values.Length == 0 ? 0 : values.Min(),
                ["values"] = values,
                ["maxValueTokenIndex"] = peak,
                ["dfaValues"] = Array.Empty<double>(),
                ["dfaMaxValue"] = null,
                ["dfaTargetIndex"] = null,
                ["binContains"] = bin is null ? null : Math.Round(bin.Share, 6),
                ["binMin"] = bin is null ? null : Math.Round(bin.BinMin, 6),
                ["binMax"] = bin is null ? null : Math.Round(bin.BinMax, 6),
            };
        }
    }

    private static async Task WriteBatchAsync(string source, string kind, int batch, IEnumerable<Dictionary<string, object?>> rows, CancellationToken ct)
    {
        var path = Path.Combine(source, kind, $"batch-{batch}.jsonl.gz");
        await using var file = File.Create(path);
        await using var gzip = new GZipStream(file, CompressionLevel.Optimal);
        await using var writer = new StreamWriter(gzip, new UTF8Encoding(false));
        foreach (var row in rows) await writer.WriteAsync(JsonSerializer.Serialize(row, Json) + "\n");
    }

    private static async Task WriteJsonlAsync(string path, IEnumerable<Dictionary<string, object?>> rows, CancellationToken ct) =>
        await File.WriteAllTextAsync(path, string.Concat(rows.Select(r => JsonSerializer.Serialize(r, Json) + "\n")), new UTF8Encoding(false), ct);

    /// <summary>Model and source ids become folder names: refuse what could climb out of the export or is empty.</summary>
    private static string SafeName(string name, string field)
    {
        var n = name.Trim();
        if (n.Length == 0 || n is "." or ".." || n.IndexOfAny(['/', '\\', ':', '\0']) >= 0 || n.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"{field}: '{name}' cannot name a Neuronpedia export folder");
        return n;
    }

    private string Resolve(string path) => paths.Resolve(path);
}
