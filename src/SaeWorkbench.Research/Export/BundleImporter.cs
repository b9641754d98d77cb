using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Exports;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Research.Export;

/// <summary>
/// People of an imported bundle become placeholder accounts named "imported:&lt;author&gt;" (one per distinct author,
/// reviewer or voter name in the bundle, reused by later imports). They have no password and are locked out for
/// ever, so nobody can sign in as them, and they never merge with a local account of the same name: an import cannot
/// put words in a local person's mouth. Exports show them under their original name.
/// </summary>
public static class ImportedAccounts
{
    public const string Prefix = "imported:";

    public static string UserNameFor(string author) => Prefix + author;

    /// <summary>
    /// Why <paramref name="name"/> cannot name an imported person, or null: 1–200 characters on one line, without
    /// control characters or bidirectional overrides (the rule for text people type), and without markup characters
    /// (&lt; &gt; &amp; " ' `), which no account name holds.
    /// </summary>
    public static string? NameProblem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "name is empty";
        if (name.Length > 200) return $"name has {name.Length} characters; at most 200";
        if (name.Trim() != name) return $"name '{name}' starts or ends with white space";
        if (Labelling.TextRules.FirstForbiddenInLine(name) is { } bad) return $"name contains {bad}";
        var markup = name.IndexOfAny(['<', '>', '&', '"', '\'', '`']);
        return markup >= 0 ? $"name contains the markup character '{name[markup]}' at position {markup + 1}" : null;
    }

    /// <summary>The name an export shows: the original author for a placeholder account, else the user name.</summary>
    public static string DisplayName(string userName) =>
        userName.StartsWith(Prefix, StringComparison.Ordinal) ? userName[Prefix.Length..] : userName;
}

/// <param name="Created">False when the bundle had been imported before (nothing was changed).</param>
public sealed record ImportResult(long DictionaryId, bool Created, string BundleId, int Latents, int Interpretations, int Votes, int PlaceholderAccounts);

/// <summary>
/// Imports a verified bundle (<see cref="BundleReader"/>) in one transaction: the dictionary and its
/// latents with their statistics, the catalog's analysis excerpts, interpretations (with their version count), votes,
/// reviews, and placeholder accounts for the people (<see cref="ImportedAccounts"/>); consensus is recomputed with
/// the one consensus rule. The bundle id makes it idempotent: importing the same bundle again changes nothing.
/// A refused bundle writes nothing (the SAE copy is removed again if the transaction fails).
/// </summary>
public sealed class BundleImporter(IDbContextFactory<WorkbenchDbContext> dbFactory, LabellingTransactions transactions, WorkbenchPaths paths)
{
    public async Task<ImportResult> ImportAsync(string bundlePath, Actor actor, CancellationToken ct = default)
    {
        Permissions.Require(actor.Role, WorkbenchAction.ImportBundle);
        var scratch = Path.Combine(paths.DataDirectory, "imports", ".scratch");
        Directory.CreateDirectory(scratch);
        using var bundle = BundleReader.Open(bundlePath, scratch);
        var manifest = bundle.Manifest;
        Taxonomy taxonomy;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var existing = await db.Set<BundleImport>().AsNoTracking().FirstOrDefaultAsync(b => b.BundleId == manifest.BundleId, ct);
            if (existing is not null)
                return new ImportResult(existing.DictionaryId, false, manifest.BundleId, 0, 0, 0, 0);
            taxonomy = WorkspaceTaxonomy.Parse(await db.WorkspaceSettings.Select(w => w.TaxonomyJson).FirstOrDefaultAsync(ct));
        }
        var labels = ValidateLabels(bundle.Records, taxonomy);

        // Every name in a bundle is untrusted: the folder the SAE is kept in is named by us, never by the manifest.
        var saeTarget = Path.Combine(paths.DataDirectory, "imports", $"bundle-{Guid.NewGuid():N}", BundleFormat.SaeFolder);
        CopyFolder(bundle.SaeFolder, saeTarget);
        var keep = false;
        try
        {
            var result = await transactions.RunAsync((w, ct) => WriteAsync(w, bundle, labels, saeTarget, actor, ct), ct);
            keep = result.Created; // another import of the same bundle may have won the race
            return result;
        }
        finally
        {
            if (!keep && Directory.Exists(saeTarget)) Directory.Delete(Path.GetDirectoryName(saeTarget)!, recursive: true);
        }
    }

    private static async Task<ImportResult> WriteAsync(LabellingWrite w, VerifiedBundle bundle, IReadOnlyDictionary<CatalogInterpretation, ValidInterpretation> labels,
        string saePath, Actor actor, CancellationToken ct)
    {
        var db = w.Db;
        var m = bundle.Manifest;
        var d = m.Dictionary;
        var existing = await db.Set<BundleImport>().AsNoTracking().FirstOrDefaultAsync(b => b.BundleId == m.BundleId, ct);
        if (existing is not null) return new ImportResult(existing.DictionaryId, false, m.BundleId, 0, 0, 0, 0);

        // The command line's local operator has no account row; the dictionary then has no creator.
        var creator = await db.Users.AnyAsync(u => u.Id == actor.UserId, ct) ? actor.UserId : null;
        var dictionary = new SaeDictionary
        {
            Name = d.Name, ModelName = d.ModelName, HookName = d.Hook, Architecture = d.Architecture, DIn = d.DIn, DSae = d.DSae, K = d.K,
            TokensTrained = d.TokensTrained, SaePath = saePath, WeightsSha256 = d.SaeSha256,
            MetricsJson = d.Metrics?.ToJsonString() ?? "{}", TrainingConfigJson = d.TrainingConfig?.ToJsonString() ?? "{}",
            CreatedById = creator, CreatedAt = w.Now,
        };
        db.Dictionaries.Add(dictionary);
        await db.SaveChangesAsync(ct);

        var byIndex = bundle.Records.ToDictionary(r => r.Index);
        var latents = new Latent[d.DSae];
        for (var i = 0; i < d.DSae; i++)
        {
            var s = byIndex.GetValueOrDefault(i)?.Stats;
            latents[i] = new Latent
            {
                DictionaryId = dictionary.Id, Index = i, Density = s?.Density, MaxActivation = s?.MaxActivation, MeanActivation = s?.MeanActivation,
                IsDead = s?.IsDead ?? false,
            };
        }
        db.Latents.AddRange(latents);
        await db.SaveChangesAsync(ct);

        // People → placeholder accounts.
        var people = bundle.Records.SelectMany(r => r.Interpretations.SelectMany(i =>
                i.Votes.Select(v => v.Voter).Append(i.Author).Append(i.Review?.Reviewer ?? "")))
            .Where(p => p.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var userIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var created = 0;
        foreach (var person in people)
        {
            var userName = ImportedAccounts.UserNameFor(person);
            var normalized = userName.ToUpperInvariant();
            var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedUserName == normalized, ct);
            if (user is null)
            {
                user = new WorkbenchUser
                {
                    UserName = userName, NormalizedUserName = normalized, LockoutEnabled = true, LockoutEnd = DateTimeOffset.MaxValue,
                    SecurityStamp = Guid.NewGuid().ToString("N"), CreatedAt = w.Now,
                };
                db.Users.Add(user);
                created++;
            }
            userIds[person] = user.Id;
        }
        await db.SaveChangesAsync(ct);

        // Interpretations, versions, votes, reviews, and the analysis excerpts.
        var interpretationCount = 0;
        var voteCount = 0;
        var threshold = await db.WorkspaceSettings.Select(s => (int?)s.ConsensusThreshold).FirstOrDefaultAsync(ct) ?? Consensus.DefaultScoreThreshold;
        if (!Consensus.ValidateThreshold(threshold).IsValid) threshold = Consensus.DefaultScoreThreshold;
        foreach (var r in bundle.Records)
        {
            var latent = latents[r.Index];
            if (r.TopLogits is not null || r.TopContexts is not null)
                db.Set<ImportedLatentDetail>().Add(new ImportedLatentDetail
                {
                    LatentId = latent.Id,
                    TopLogitsJson = r.TopLogits is null ? null : JsonSerializer.Serialize(r.TopLogits, BundleFormat.Json),
                    TopContextsJson = r.TopContexts is null ? null : JsonSerializer.Serialize(r.TopContexts, BundleFormat.Json),
                });
            if (r.Interpretations.Count == 0) continue;
            var rows = new List<DataLabelling.Interpretation>();
            foreach (var c in r.Interpretations)
            {
                var decision = c.Review is null ? DataLabelling.ReviewDecision.None
                    : Enum.TryParse<DataLabelling.ReviewDecision>(c.Review.Decision, out var dec) ? dec
                    : throw new BundleException($"latent {r.Index}: review decision '{c.Review.Decision}' is unknown (Accepted, Rejected)");
                var valid = labels[c];
                var i = new DataLabelling.Interpretation
                {
                    LatentId = latent.Id, AuthorId = userIds[c.Author], Label = valid.Label, Description = valid.Description,
                    DescriptionHtml = valid.DescriptionHtml, Tag = valid.Tag,
                    Confidence = valid.Confidence, Version = Math.Max(1, c.Versions), CreatedAt = c.CreatedAt, UpdatedAt = c.UpdatedAt,
                    Score = c.Votes.Sum(v => v.Value), UpVotes = c.Votes.Count(v => v.Value > 0), DownVotes = c.Votes.Count(v => v.Value < 0),
                    Review = decision, ReviewerId = c.Review?.Reviewer is { } rv ? userIds[rv] : null, ReviewReason = c.Review?.Reason,
                    ReviewedAt = c.Review?.ReviewedAt,
                    DetectionScore = c.DetectionScore?.BalancedAccuracy, DetectionRatings = c.DetectionScore?.Ratings ?? 0,
                };
                db.Interpretations.Add(i);
                rows.Add(i);
            }
            await db.SaveChangesAsync(ct);
            for (var n = 0; n < rows.Count; n++)
            {
                var (i, c) = (rows[n], r.Interpretations[n]);
                db.InterpretationVersions.Add(new DataLabelling.InterpretationVersion
                {
                    InterpretationId = i.Id, Version = i.Version, Label = i.Label, Description = i.Description, DescriptionHtml = i.DescriptionHtml,
                    Tag = i.Tag, Confidence = i.Confidence, EditedById = i.AuthorId, EditedAt = i.UpdatedAt,
                });
                foreach (var v in c.Votes)
                    db.Votes.Add(new DataLabelling.Vote { InterpretationId = i.Id, UserId = userIds[v.Voter], Value = v.Value, CreatedAt = c.UpdatedAt, UpdatedAt = c.UpdatedAt });
                interpretationCount++;
                voteCount += c.Votes.Count;
            }
            var consensus = Consensus.Of(rows.Select(LabellingService.Standing), threshold);
            var chosen = consensus.Interpretation is { } s ? rows.First(x => x.Id == s.Id) : null;
            latent.LabelStatus = consensus.Status switch
            {
                ConsensusStatus.Accepted => LabelStatus.Accepted,
                ConsensusStatus.Proposed => LabelStatus.Proposed,
                _ => LabelStatus.Unlabelled,
            };
            latent.ConsensusInterpretationId = chosen?.Id;
            latent.ConsensusLabel = chosen?.Label;
            latent.ConsensusTag = chosen?.Tag;
        }
        var record = new BundleImport
        {
            BundleId = m.BundleId, SaeSha256 = d.SaeSha256, DictionaryId = dictionary.Id, ImportedById = actor.UserId, ImportedAt = w.Now,
            ManifestJson = JsonSerializer.Serialize(m, BundleFormat.Json),
        };
        db.Set<BundleImport>().Add(record);
        await db.SaveChangesAsync(ct);
        AuditRecorder.Add(db, actor, "bundle.import", "Dictionary", dictionary.Id, null,
            new { m.BundleId, d.Name, d.SaeSha256, latents = d.DSae, interpretations = interpretationCount, votes = voteCount, placeholderAccounts = created }, w.Now);
        await db.SaveChangesAsync(ct);
        return new ImportResult(dictionary.Id, true, m.BundleId, d.DSae, interpretationCount, voteCount, created);
    }

    /// <summary>
    /// The rules an interpretation typed here would have to pass (<see cref="InterpretationRules.Validate"/> against this
    /// workspace's taxonomy), names a person could have (<see cref="ImportedAccounts.NameProblem"/>), and consistent
    /// votes. Returns each interpretation normalised for storage.
    /// </summary>
    private static Dictionary<CatalogInterpretation, ValidInterpretation> ValidateLabels(IReadOnlyList<CatalogRecord> records, Taxonomy taxonomy)
    {
        var valid = new Dictionary<CatalogInterpretation, ValidInterpretation>(ReferenceEqualityComparer.Instance);
        foreach (var r in records)
        foreach (var c in r.Interpretations)
        {
            string Where() => $"{BundleFormat.Catalog}, latent {r.Index}";
            if (c is null) throw new BundleException($"{Where()}: an interpretation is null");
            if (ImportedAccounts.NameProblem(c.Author) is { } author) throw new BundleException($"{Where()}: author {author}");
            if (c.Review?.Reviewer is { } reviewer && ImportedAccounts.NameProblem(reviewer) is { } rp) throw new BundleException($"{Where()}: reviewer {rp}");
            if (c.Review?.Reason is { } reason && (reason.Length > 4000 || Labelling.TextRules.FirstForbiddenInMultiline(reason) is not null))
                throw new BundleException($"{Where()}: the review reason must be at most 4,000 characters without control characters or bidirectional overrides");
            var checkedDraft = InterpretationRules.Validate(new InterpretationDraft(c.Label, c.Description, c.Confidence, c.Tag), taxonomy);
            if (!checkedDraft.Validation.IsValid) throw new BundleException($"{Where()}: {checkedDraft.Validation}");
            if (c.Votes is null || c.Votes.Any(v => v is null || v.Value is not (1 or -1)))
                throw new BundleException($"{Where()}: votes must be +1 or −1 by a named voter");
            if (c.Votes.Select(v => ImportedAccounts.NameProblem(v.Voter)).FirstOrDefault(p => p is not null) is { } voter)
                throw new BundleException($"{Where()}: voter {voter}");
            if (c.Votes.Select(v => v.Voter).Distinct().Count() != c.Votes.Count) throw new BundleException($"{Where()}: a voter votes twice on one interpretation");
            if (c.Score != c.Votes.Sum(v => v.Value)) throw new BundleException($"{Where()}: score {c.Score} disagrees with its votes ({c.Votes.Sum(v => v.Value)})");
            valid[c] = checkedDraft.Value!;
        }
        return valid;
    }

    private static void CopyFolder(string from, string to)
    {
        var temp = to + $".tmp-{Guid.NewGuid():N}";
        Directory.CreateDirectory(temp);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(temp, Path.GetFileName(file)));
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        Directory.Move(temp, to);
    }
}
