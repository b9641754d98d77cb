using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>Records a dictionary (a SAELens folder on disk) and one row per latent in the database.</summary>
public sealed class DictionaryRegistry(IDbContextFactory<WorkbenchDbContext> dbFactory)
{
    /// <summary>
    /// Registers the dictionary folder at <paramref name="saeFolder"/> (any published format, docs/science.md §11), read
    /// with the default options: a folder trained here. An import goes through <see cref="DictionaryImporter"/>, which
    /// stores its options in the import record.
    /// Latent densities come from its sparsity file (log10 density) when present. Everything is written in one transaction.
    /// </summary>
    public async Task<SaeDictionary> RegisterAsync(string saeFolder, string name, string? modelPath, string metricsJson,
        string trainingConfigJson, long tokensTrained, long? sourceJobId, string? userId, CancellationToken ct = default,
        SaeWorkbench.Research.Labelling.Services.Actor? auditActor = null)
    {
        using var sae = SaeFolders.Load(saeFolder);
        return await RegisterAsync(sae, saeFolder, name, modelPath, metricsJson, trainingConfigJson, tokensTrained, sourceJobId, userId, ct, auditActor);
    }

    /// <summary>Registers an already read dictionary <paramref name="sae"/> that lives in <paramref name="saeFolder"/>.</summary>
    public async Task<SaeDictionary> RegisterAsync(SaeLensSae sae, string saeFolder, string name, string? modelPath, string metricsJson,
        string trainingConfigJson, long tokensTrained, long? sourceJobId, string? userId, CancellationToken ct = default,
        SaeWorkbench.Research.Labelling.Services.Actor? auditActor = null)
    {
        var auto = sae.Autoencoder;
        var dictionary = new SaeDictionary
        {
            Name = name,
            ModelName = sae.Metadata.ModelName,
            ModelPath = modelPath,
            HookName = sae.Metadata.HookName,
            Architecture = SaeLensFolder.ArchitectureNameOrNull(auto) ?? $"{auto.Architecture.CliName()} transcoder",
            DIn = auto.DIn,
            DSae = auto.DSae,
            K = auto.K > 0 ? auto.K : null,
            TokensTrained = tokensTrained,
            SaePath = Path.GetFullPath(saeFolder),
            WeightsSha256 = Sha256Of(SaeFolders.WeightsFile(saeFolder)),
            MetricsJson = metricsJson,
            TrainingConfigJson = trainingConfigJson,
            SourceJobId = sourceJobId,
            CreatedById = userId,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Dictionaries.Add(dictionary);
        await db.SaveChangesAsync(ct);
        if (auditActor is not null)
        {
            // A person's import is audited in the same transaction as the dictionary it creates.
            SaeWorkbench.Research.Audit.AuditRecorder.Add(db, auditActor, DictionaryImporter.AuditAction, nameof(SaeDictionary), dictionary.Id, null,
                new { dictionary.Name, dictionary.SaePath, dictionary.ModelPath, dictionary.HookName, dictionary.DSae }, DateTimeOffset.UtcNow);
            await db.SaveChangesAsync(ct);
        }
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var i = 0; i < auto.DSae; i++)
        {
            double? density = sae.Log10Density is { } l ? SaeMetrics.DensityFromLog10(l[i]) : null;
            db.Latents.Add(new Latent { DictionaryId = dictionary.Id, Index = i, Density = density, IsDead = density is { } p && Ml.Analysis.LatentLiveness.IsDead(p) });
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return dictionary;
    }

    /// <summary>The registered models' names and folders, for the model-name check of an import.</summary>
    public async Task<IReadOnlyList<(string Name, string FolderPath)>> RegisteredModelsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.RegisteredModels.AsNoTracking().OrderBy(m => m.Name).Select(m => new { m.Name, m.FolderPath }).ToListAsync(ct);
        return rows.Select(r => (r.Name, r.FolderPath)).ToList();
    }

    /// <summary>The dictionary's model folder as recorded (null when unknown), for pages that show its tokens.</summary>
    public async Task<string?> ModelPathAsync(long dictionaryId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Dictionaries.AsNoTracking().Where(d => d.Id == dictionaryId).Select(d => d.ModelPath).FirstOrDefaultAsync(ct);
    }

    public async Task<IReadOnlyList<SaeDictionary>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Dictionaries.AsNoTracking().OrderByDescending(d => d.Id).ToListAsync(ct);
    }

    public async Task<SaeDictionary?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Dictionaries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, ct);
    }

    /// <summary>
    /// Labelling coverage of every dictionary: latents with a consensus label (proposed or accepted) and
    /// those a reviewer accepted, in one grouped query. Dictionaries without any are absent.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, LabelCoverage>> CoverageAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Latents.AsNoTracking().Where(l => l.LabelStatus != LabelStatus.Unlabelled)
            .GroupBy(l => new { l.DictionaryId, l.LabelStatus })
            .Select(g => new { g.Key.DictionaryId, g.Key.LabelStatus, Count = g.Count() })
            .ToListAsync(ct);
        return rows.GroupBy(r => r.DictionaryId).ToDictionary(g => g.Key, g => new LabelCoverage(
            g.Sum(r => r.Count), g.Where(r => r.LabelStatus == LabelStatus.Accepted).Sum(r => r.Count)));
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>How many of a dictionary's latents carry a consensus label, and how many of those a reviewer accepted.</summary>
public readonly record struct LabelCoverage(int Labelled, int Accepted);
