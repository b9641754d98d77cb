using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Exports;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Settings;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Research.Export;

/// <summary>The written bundle: where it is, its manifest, and how many latents it carries.</summary>
public sealed record ExportResult(string Path, BundleManifest Manifest);

/// <summary>A labelled latent as the report shows it.</summary>
internal sealed record ReportLatent(CatalogRecord Record, IReadOnlyList<string> DescriptionsHtml);

/// <summary>
/// Writes a dictionary as a bundle — manifest.json, sae/ (SAELens), catalog.jsonl, catalog.csv,
/// neuronpedia/explanations.jsonl, report.html — into a folder or one .zip. The bundle is assembled in a temporary
/// folder next to the destination and moved into place, so a failed export leaves nothing half-written.
/// </summary>
public sealed class BundleExporter(
    IDbContextFactory<WorkbenchDbContext> dbFactory,
    FeatureDashboardReader dashboards,
    TokenText tokenText,
    IDetectionScoreSource detectionScores,
    WorkbenchPaths paths)
{
    /// <summary>Exports dictionary <paramref name="dictionaryId"/> to <paramref name="outPath"/> (a new folder, or a .zip file).</summary>
    /// <param name="exporter">Who exports (recorded in the manifest, pseudonymised with the authors); null for the system.</param>
    public async Task<ExportResult> ExportAsync(long dictionaryId, ExportOptions options, string outPath, string? exporterUserId,
        IProgress<(double Progress, string Message)>? progress = null, CancellationToken ct = default)
    {
        if (options.Format != ExportFormat.Bundle) throw new ArgumentException($"format: the bundle exporter writes bundles; {options.Format} is written by its own exporter");
        var destination = Path.GetFullPath(outPath);
        if (File.Exists(destination) || (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any()))
            throw new IOException($"{destination} already exists; choose a new path for the bundle");
        var parent = Path.GetDirectoryName(destination) ?? throw new ArgumentException($"out: '{outPath}' has no parent folder");
        Directory.CreateDirectory(parent);
        var work = Path.Combine(parent, $".bundle-{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(work);
        try
        {
            var manifest = await WriteBundleAsync(dictionaryId, options, work, exporterUserId, progress, ct);
            ct.ThrowIfCancellationRequested();
            if (options.Zip)
            {
                var tempZip = work + ".zip";
                ZipFile.CreateFromDirectory(work, tempZip, CompressionLevel.Optimal, includeBaseDirectory: false);
                File.Move(tempZip, destination);
            }
            else
            {
                if (Directory.Exists(destination)) Directory.Delete(destination);
                Directory.Move(work, destination);
            }
            progress?.Report((1, "bundle written"));
            return new ExportResult(destination, manifest);
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            if (File.Exists(work + ".zip")) File.Delete(work + ".zip");
        }
    }

    private async Task<BundleManifest> WriteBundleAsync(long dictionaryId, ExportOptions options, string folder, string? exporterUserId,
        IProgress<(double, string)>? progress, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dictionary = await db.Dictionaries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == dictionaryId, ct)
                         ?? throw new ArgumentException($"dictionaryId: there is no dictionary #{dictionaryId}");
        var saeFolder = Resolve(dictionary.SaePath);
        if (!File.Exists(Path.Combine(saeFolder, SaeLensFolder.WeightsFile)))
            throw new IOException($"dictionary #{dictionaryId}: its SAE folder {saeFolder} has no {SaeLensFolder.WeightsFile}");

        progress?.Report((0.01, "reading labels"));
        var latents = await db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId).OrderBy(l => l.Index).ToListAsync(ct);
        var interpretations = await (from i in db.Interpretations.AsNoTracking()
                                     join l in db.Latents on i.LatentId equals l.Id
                                     where l.DictionaryId == dictionaryId && !i.IsDeleted
                                     select i).ToListAsync(ct);
        var interpretationIds = interpretations.Select(i => i.Id).ToHashSet();
        var votes = (await (from v in db.Votes.AsNoTracking()
                            join i in db.Interpretations on v.InterpretationId equals i.Id
                            join l in db.Latents on i.LatentId equals l.Id
                            where l.DictionaryId == dictionaryId && !i.IsDeleted
                            select v).ToListAsync(ct))
            .GroupBy(v => v.InterpretationId).ToDictionary(g => g.Key, g => g.OrderBy(v => v.CreatedAt).ThenBy(v => v.Id).ToList());
        var detection = await detectionScores.ScoresAsync(db, interpretationIds, ct);
        // Model scores: the latest per (interpretation, scorer, model), as pages show them (docs/science.md §13).
        var modelScores = (await db.ExplanationScores.AsNoTracking().Where(s => interpretationIds.Contains(s.InterpretationId)).ToListAsync(ct))
            .GroupBy(s => (s.InterpretationId, s.Scorer, s.ModelName))
            .Select(g => g.OrderByDescending(s => s.InterpretationVersion).ThenByDescending(s => s.Id).First())
            .GroupBy(s => s.InterpretationId).ToDictionary(g => g.Key, g => g.OrderBy(s => s.Scorer).ThenBy(s => s.ModelName).ToList());
        var byLatent = interpretations.GroupBy(i => i.LatentId).ToDictionary(g => g.Key, g => g.ToList());

        var selected = latents.Where(l => options.Scope switch
        {
            ExportScope.Labelled => byLatent.ContainsKey(l.Id),
            ExportScope.Accepted => l.LabelStatus == LabelStatus.Accepted,
            _ => true,
        }).ToList();

        // People: user names, or stable pseudonyms.
        var peopleIds = interpretations.Select(i => i.AuthorId)
            .Concat(interpretations.Where(i => i.ReviewerId is not null).Select(i => i.ReviewerId!))
            .Concat(votes.Values.SelectMany(v => v).Select(v => v.UserId))
            .Append(exporterUserId).OfType<string>().Distinct().ToList();
        var userNames = await db.Users.AsNoTracking().Where(u => peopleIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.UserName, ct);
        var key = options.Pseudonymise ? await Pseudonyms.KeyAsync(db, ct) : null;
        string Person(string id) => key is not null
            ? Pseudonyms.Of(key, id)
            : ImportedAccounts.DisplayName(userNames.GetValueOrDefault(id) ?? id);

        var hasAnalysis = await db.LatentAnalyses.AnyAsync(a => a.DictionaryId == dictionaryId && a.IsCurrent, ct);
        var importedDetails = hasAnalysis
            ? new Dictionary<long, ImportedLatentDetail>()
            : await db.Set<ImportedLatentDetail>().AsNoTracking()
                .Where(d => db.Latents.Any(l => l.Id == d.LatentId && l.DictionaryId == dictionaryId))
                .ToDictionaryAsync(d => d.LatentId, ct);
        var tokenizer = tokenText.TokenizerFor(string.IsNullOrWhiteSpace(dictionary.ModelPath) ? null : Resolve(dictionary.ModelPath));

        var records = new List<CatalogRecord>(selected.Count);
        var reportLatents = new List<ReportLatent>();
        for (var n = 0; n < selected.Count; n++)
        {
            ct.ThrowIfCancellationRequested();
            var latent = selected[n];
            var own = byLatent.GetValueOrDefault(latent.Id) ?? [];
            var ordered = Consensus.DisplayOrder(own.Select(Labelling.Services.LabellingService.Standing))
                .Select(s => own.First(i => i.Id == s.Id)).ToList();
            var catalogInterpretations = ordered.Select(i => new CatalogInterpretation(
                i.ExplanationModelName ?? Person(i.AuthorId), i.Label, i.Description, i.Tag, i.Confidence, i.CreatedAt, i.UpdatedAt, i.Version, i.Score, i.UpVotes, i.DownVotes,
                (votes.GetValueOrDefault(i.Id) ?? []).Select(v => new CatalogVote(Person(v.UserId), v.Value)).ToList(),
                i.Review == DataLabelling.ReviewDecision.None ? null
                    : new CatalogReview(i.Review.ToString(), i.ReviewerId is null ? null : Person(i.ReviewerId), i.ReviewReason, i.ReviewedAt),
                detection.GetValueOrDefault(i.Id), i.ExplanationModelName,
                (modelScores.GetValueOrDefault(i.Id) ?? []).Select(s => new CatalogModelScore(s.Scorer, s.ModelName, s.PromptVersion, s.Seed,
                    s.BalancedAccuracy, s.Auroc, s.Contexts, s.Unanswered, s.InterpretationVersion != i.Version)).ToList())).ToList();

            CatalogLogits? logits = null;
            IReadOnlyList<CatalogContext>? contexts = null;
            if (hasAnalysis)
            {
                var view = await dashboards.GetAsync(latent.Id, ct);
                if (view is not null)
                {
                    logits = new CatalogLogits(
                        view.LogitPositive.Take(10).Select(t => new CatalogToken(t.TokenId, Token(tokenizer, t.TokenId), Round(t.Effect))).ToList(),
                        view.LogitNegative.Take(10).Select(t => new CatalogToken(t.TokenId, Token(tokenizer, t.TokenId), Round(t.Effect))).ToList());
                    if (options.IncludeContexts)
                        contexts = view.TopExamples.Select(e => ContextOf(tokenizer, e)).ToList();
                }
            }
            else if (importedDetails.TryGetValue(latent.Id, out var detail))
            {
                logits = detail.TopLogitsJson is null ? null : JsonSerializer.Deserialize<CatalogLogits>(detail.TopLogitsJson, BundleFormat.Json);
                if (options.IncludeContexts && detail.TopContextsJson is not null)
                    contexts = JsonSerializer.Deserialize<List<CatalogContext>>(detail.TopContextsJson, BundleFormat.Json);
            }

            var record = new CatalogRecord(latent.Index,
                new CatalogConsensus(latent.LabelStatus.ToString(), latent.ConsensusLabel, latent.ConsensusTag),
                catalogInterpretations,
                new CatalogStats(latent.Density, latent.MaxActivation, latent.MeanActivation, latent.IsDead),
                logits, contexts);
            records.Add(record);
            if (ordered.Count > 0)
                reportLatents.Add(new ReportLatent(record, ordered.Select(i => StoredMarkdown.Html(i.DescriptionHtml, i.Description)).ToList()));
            if (n % 64 == 0) progress?.Report((0.05 + 0.75 * n / Math.Max(1, selected.Count), $"catalog: latent {n + 1} of {selected.Count}"));
        }

        progress?.Report((0.82, "writing files"));
        // sae/: the SAELens folder as it is on disk.
        var saeOut = Path.Combine(folder, BundleFormat.SaeFolder);
        Directory.CreateDirectory(saeOut);
        foreach (var name in new[] { SaeLensFolder.ConfigFile, SaeLensFolder.WeightsFile, SaeLensFolder.SparsityFile })
        {
            var source = Path.Combine(saeFolder, name);
            if (!File.Exists(source)) continue;
            if (name == SaeLensFolder.ConfigFile)
            {
                // cfg.json carries where the server kept the corpus and checkpoints; a bundle must not leak those paths.
                var cfg = JsonNode.Parse(await File.ReadAllTextAsync(source, ct));
                await File.WriteAllTextAsync(Path.Combine(saeOut, name), (BundlePaths.Strip(cfg, PathRoots())?.ToJsonString(BundleFormat.JsonIndented) ?? "null") + "\n", new UTF8Encoding(false), ct);
            }
            else File.Copy(source, Path.Combine(saeOut, name));
        }
        var saeSha = Sha256File(Path.Combine(saeOut, SaeLensFolder.WeightsFile));

        var utf8 = new UTF8Encoding(false);
        await using (var writer = new StreamWriter(Path.Combine(folder, BundleFormat.Catalog), false, utf8))
            foreach (var r in records) await writer.WriteLineAsync(JsonSerializer.Serialize(r, BundleFormat.Json));
        await File.WriteAllTextAsync(Path.Combine(folder, BundleFormat.CatalogCsv), CatalogCsv.Write(records), utf8, ct);
        Directory.CreateDirectory(Path.Combine(folder, "neuronpedia"));
        await File.WriteAllTextAsync(Path.Combine(folder, BundleFormat.Explanations),
            NeuronpediaExplanations.Write(dictionary.ModelName, dictionary.HookName, records), utf8, ct);

        var contributors = records.SelectMany(r => r.Interpretations.Select(i => i.Author)
                .Concat(r.Interpretations.SelectMany(i => i.Votes.Select(v => v.Voter)))
                .Concat(r.Interpretations.Select(i => i.Review?.Reviewer).OfType<string>()))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var counts = new BundleCounts(records.Count,
            records.Count(r => r.Interpretations.Count > 0),
            records.Count(r => r.Interpretations.Any(i => i.Review is not null)),
            records.Count(r => r.Consensus.Status == nameof(LabelStatus.Accepted)),
            records.Sum(r => r.Interpretations.Count),
            records.Sum(r => r.Interpretations.Sum(i => i.Votes.Count)),
            contributors.Count);
        var modelSha = ModelWeightsSha(dictionary.ModelPath) ?? ModelShaFromImport(db, dictionaryId);
        var bundleDictionary = new BundleDictionary(dictionary.Name, dictionary.ModelName, modelSha, dictionary.HookName, dictionary.Architecture,
            dictionary.DIn, dictionary.DSae, dictionary.K, dictionary.TokensTrained, saeSha,
            BundlePaths.Strip(ParseJson(dictionary.TrainingConfigJson), PathRoots()), BundlePaths.Strip(ParseJson(dictionary.MetricsJson), PathRoots()));
        var exportedBy = exporterUserId is null ? null : Person(exporterUserId);
        var createdAt = DateTimeOffset.UtcNow;
        var optionsRecord = new BundleOptionsRecord(options.Scope.ToString().ToLowerInvariant(), options.IncludeContexts, options.Pseudonymise);

        var report = ReportHtml.Build(new ReportInput(bundleDictionary, counts, optionsRecord, exportedBy, createdAt, contributors,
            AgreementFigures.Of(records), reportLatents));
        await File.WriteAllTextAsync(Path.Combine(folder, BundleFormat.Report), report, utf8, ct);

        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .Select(rel => new BundleFile(rel, new FileInfo(Path.Combine(folder, rel)).Length, Sha256File(Path.Combine(folder, rel))))
            .ToList();
        var manifest = new BundleManifest(BundleFormat.Version, Guid.NewGuid().ToString("N"), BundleFormat.Tool, BundleFormat.ToolVersion,
            createdAt, exportedBy, optionsRecord, bundleDictionary, counts, files);
        await File.WriteAllTextAsync(Path.Combine(folder, BundleFormat.Manifest), JsonSerializer.Serialize(manifest, BundleFormat.JsonIndented) + "\n", utf8, ct);
        return manifest;
    }

    private static string? ModelShaFromImport(WorkbenchDbContext db, long dictionaryId)
    {
        var json = db.Set<BundleImport>().AsNoTracking().Where(b => b.DictionaryId == dictionaryId).Select(b => b.ManifestJson).FirstOrDefault();
        if (json is null) return null;
        return JsonSerializer.Deserialize<BundleManifest>(json, BundleFormat.Json)?.Dictionary.ModelWeightsSha256;
    }

    private string? ModelWeightsSha(string? modelPath)
    {
        if (string.IsNullOrWhiteSpace(modelPath)) return null;
        var file = Path.Combine(Resolve(modelPath), "model.safetensors");
        return File.Exists(file) ? Sha256File(file) : null;
    }

    private string[] PathRoots() => [paths.DataDirectory, paths.SharedDirectory, paths.ContentRoot];

    private string Resolve(string path) => paths.Resolve(path);

    private static JsonNode? ParseJson(string json)
    {
        try { return JsonNode.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json); }
        catch (JsonException) { return JsonValue.Create(json); }
    }

    private static double Round(float value) => Math.Round(value, 5);

    // Files leave the workbench: tokens are written as the tokenizer decodes them (a real leading space), not with
    // the on-screen "·" marker, so spreadsheets and scripts see the text the model saw (docs/science.md §8).
    public static string Token(ITokenizer? tokenizer, int id) =>
        tokenizer is null ? $"[{id}]" : id == tokenizer.EndOfTextId ? "<|endoftext|>" : tokenizer.Decode([id]);

    /// <summary>A context as plain decoded text with the peak token marked.</summary>
    internal static CatalogContext ContextOf(ITokenizer? tokenizer, FeatureExampleView e)
    {
        string Raw(int id) => tokenizer is null ? $"[{id}]" : id == tokenizer.EndOfTextId ? "<|endoftext|>" : tokenizer.Decode([id]);
        var text = new StringBuilder();
        for (var j = 0; j < e.TokenIds.Length; j++)
        {
            if (j == e.PeakOffset) text.Append(BundleFormat.PeakOpen).Append(Raw(e.TokenIds[j])).Append(BundleFormat.PeakClose);
            else text.Append(Raw(e.TokenIds[j]));
        }
        var peak = e.PeakOffset >= 0 && e.PeakOffset < e.TokenIds.Length ? Raw(e.TokenIds[e.PeakOffset]) : "";
        return new CatalogContext(text.ToString(), peak, Math.Round(e.PeakActivation, 5));
    }

    public static string Sha256File(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
