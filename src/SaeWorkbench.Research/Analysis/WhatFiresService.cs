using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Analysis;

/// <summary>A latent that fires on a token: its index, activation, and label as the viewer may see it (null: none or hidden).</summary>
public sealed record FiringLatent(int Index, float Activation, string? Label, LabelStatus Status);

/// <summary>One token of the text (position 0 is BOS), as readable text, with its strongest latents, strongest first.</summary>
public sealed record FiringToken(int Position, int TokenId, string Text, IReadOnlyList<FiringLatent> Latents);

/// <summary>Which latents of a dictionary fire on a text, token by token, and over the whole text.</summary>
public sealed record WhatFiresResult(long DictionaryId, string DictionaryName, IReadOnlyList<FiringToken> Tokens, IReadOnlyList<FiringLatent> OverText);

/// <summary>
/// "Which latents fire on this text" over a whole dictionary (Neuronpedia's search over all features): the test-text
/// run of <see cref="TestTextService"/> (same model queue and model-pass budget), each latent named by its label where
/// blind mode lets the viewer see it (<see cref="InterpretationVisibility"/>, the same rule as the list and the feature page).
/// </summary>
public sealed class WhatFiresService(IDbContextFactory<WorkbenchDbContext> dbFactory, TestTextService testText, TokenText tokens, WorkbenchPaths paths)
{
    /// <summary>Longest text accepted, in characters (the model's context bounds it further, in tokens).</summary>
    public const int MaxTextLength = 4_000;

    /// <summary>Most latents listed per token.</summary>
    public const int MaxPerToken = 20;

    /// <summary>
    /// Runs <paramref name="text"/> through dictionary <paramref name="dictionaryId"/> for <paramref name="viewer"/>,
    /// listing up to <paramref name="perToken"/> latents per token. Bad input throws <see cref="ArgumentException"/>
    /// naming the field, an unknown dictionary <see cref="KeyNotFoundException"/>, a dictionary whose model cannot
    /// be run <see cref="InvalidOperationException"/> or <see cref="IOException"/>; a spent model-pass budget throws <see cref="Limits.RateLimitedException"/> (nothing runs).
    /// </summary>
    public async Task<WhatFiresResult> RunAsync(Actor viewer, long dictionaryId, string? text, int perToken = 5, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("text: paste or type a text to run");
        if (text.Length > MaxTextLength) throw new ArgumentException($"text: {text.Length:N0} characters is more than the {MaxTextLength:N0} accepted; shorten it");
        if (perToken is < 1 or > MaxPerToken) throw new ArgumentException($"perToken: ask for 1 to {MaxPerToken} latents per token, not {perToken}");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dictionary = await db.Dictionaries.AsNoTracking().Where(d => d.Id == dictionaryId)
                             .Select(d => new { d.Name, d.ModelPath }).SingleOrDefaultAsync(ct)
                         ?? throw new KeyNotFoundException($"there is no dictionary #{dictionaryId}");
        var run = await testText.RunAsync(viewer.UserId, dictionaryId, text, new TestTextOptions { Count = perToken }, ct);
        var indices = run.Tokens.SelectMany(t => t.TopLatents).Concat(run.TopOverText).Select(l => l.Latent).Distinct().ToList();
        var latents = await db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId && indices.Contains(l.Index))
            .Select(l => new { l.Id, l.Index, l.ConsensusLabel, l.LabelStatus }).ToListAsync(ct);
        var hidden = await InterpretationVisibility.HiddenConsensusAsync(db, viewer, latents.Select(l => l.Id).ToList(), ct);
        var labels = latents.ToDictionary(l => l.Index, l => hidden.Contains(l.Id)
            ? (Label: (string?)null, Status: LabelStatus.Unlabelled)
            : (Label: l.ConsensusLabel, Status: l.LabelStatus));

        FiringLatent Named(LatentActivation a) =>
            labels.TryGetValue(a.Latent, out var l) ? new FiringLatent(a.Latent, a.Activation, l.Label, l.Status) : new FiringLatent(a.Latent, a.Activation, null, LabelStatus.Unlabelled);

        var tokenizer = tokens.TokenizerFor(dictionary.ModelPath is null ? null : paths.Resolve(dictionary.ModelPath));
        return new WhatFiresResult(dictionaryId, dictionary.Name,
            run.Tokens.Select(t => new FiringToken(t.Position, t.TokenId, ReadableToken.Of(tokenizer, t.TokenId), t.TopLatents.Select(Named).ToList())).ToList(),
            run.TopOverText.Select(Named).ToList());
    }
}
