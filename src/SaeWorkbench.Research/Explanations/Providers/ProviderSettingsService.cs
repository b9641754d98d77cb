using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Data.Models;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Lm.Tokenization.Jinja;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Inference;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Models;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Explanations.Providers;

/// <summary>
/// The provider settings' defaults, for the API's input, the view before an Admin saved anything and the Admin page:
/// the settings row's own starting values (<see cref="ExplanationProviderSettings"/>, in SaeWorkbench.Data).
/// </summary>
public static class ProviderDefaults
{
    // The values are the provider row's own starting values (Data), so a new row and a form's defaults cannot differ.
    public const int TimeoutSeconds = ExplanationProviderSettings.DefaultTimeoutSeconds;
    public const int MaxRetries = ExplanationProviderSettings.DefaultMaxRetries;
    public const int MaxConcurrency = ExplanationProviderSettings.DefaultMaxConcurrency;

    /// <summary>Prompt and completion tokens one explain or score job may spend.</summary>
    public const long TokenBudgetPerJob = ExplanationProviderSettings.DefaultTokenBudgetPerJob;

    /// <summary>Local kind: most new tokens per reply; greedy (temperature 0), nucleus off (top-p 1), seed 0.</summary>
    public const int MaxNewTokens = ExplanationProviderSettings.DefaultMaxNewTokens;
    public const double TopP = ExplanationProviderSettings.DefaultTopP;
}

/// <summary>
/// The provider settings as pages and the API see them: whether a key is stored, never the key. <see cref="Kind"/> is
/// "endpoint" (an OpenAI-compatible server at <see cref="BaseUrl"/>) or "local" (a registered instruct model, run on
/// the workbench's inference queue with the generation limits below). For a local model: <see cref="RegisteredModelId"/>
/// and <see cref="RegisteredModelName"/> name the registered model; <see cref="LocalProblem"/> says why it cannot be
/// used now (it was unregistered); <see cref="IsFolderFromBefore"/> marks a folder path saved before models were
/// picked from the registry that is not registered (it keeps working as a folder until an Admin picks a model).
/// </summary>
public sealed record ProviderSettingsView(string BaseUrl, string Model, bool HasKey, int TimeoutSeconds, int MaxRetries, int MaxConcurrency,
    bool Streaming, bool Logprobs, long TokenBudgetPerJob, DateTimeOffset? UpdatedAt, string Kind = ExplanationProviderSettings.EndpointKind,
    string? ModelPath = null, int MaxNewTokens = ProviderDefaults.MaxNewTokens, double Temperature = 0, double TopP = ProviderDefaults.TopP, long Seed = 0,
    long? RegisteredModelId = null, string? RegisteredModelName = null, string? LocalProblem = null)
{
    public bool IsLocal => Kind == ExplanationProviderSettings.LocalKind;

    public bool IsFolderFromBefore => IsLocal && RegisteredModelId is null && !string.IsNullOrEmpty(ModelPath);

    public bool IsConfigured => IsLocal
        ? LocalProblem is null && (RegisteredModelName is not null || IsFolderFromBefore)
        : BaseUrl.Length > 0 && Model.Length > 0;

    /// <summary>The name explanations and scores are recorded under (and the model account's): the endpoint's model
    /// name, or the registered model's name (a folder from before: the folder's name).</summary>
    public string ModelName => IsLocal
        ? RegisteredModelName ?? (LocalProblem is null && !string.IsNullOrEmpty(ModelPath) ? LocalChatOptions.NameOf(ModelPath) : "")
        : Model;

    /// <summary>Log-probabilities for AUROC: asked of an endpoint when the Admin says it supports them; a local model always has them.</summary>
    public bool UsesLogprobs => IsLocal || Logprobs;
}

/// <summary>
/// An Admin's edit. <see cref="ApiKey"/>: null keeps the stored key, empty removes it, anything else replaces it.
/// <see cref="Kind"/> "local" needs <see cref="RegisteredModelId"/> (a registered model with a chat template) — or,
/// for callers that name folders, <see cref="ModelPath"/> of a folder that is registered, stored as that registration —
/// and ignores the endpoint fields, which are kept as they were; "endpoint" needs <see cref="BaseUrl"/> and <see cref="Model"/>.
/// </summary>
public sealed record ProviderSettingsInput(string? BaseUrl, string? Model, string? ApiKey, int TimeoutSeconds = ProviderDefaults.TimeoutSeconds,
    int MaxRetries = ProviderDefaults.MaxRetries, int MaxConcurrency = ProviderDefaults.MaxConcurrency, bool Streaming = false, bool Logprobs = false,
    long TokenBudgetPerJob = ProviderDefaults.TokenBudgetPerJob, string Kind = ExplanationProviderSettings.EndpointKind, string? ModelPath = null,
    int MaxNewTokens = ProviderDefaults.MaxNewTokens, double Temperature = 0, double TopP = ProviderDefaults.TopP, long Seed = 0, long? RegisteredModelId = null);

/// <summary>A registered model as the provider picker lists it: <see cref="Problem"/> says why it cannot explain (null: it can).</summary>
public sealed record LocalModelOption(long Id, string Name, string Family, string FolderPath, string? Problem)
{
    public bool CanExplain => Problem is null;
}

/// <summary>
/// The explanation model an Admin configures (docs/architecture.md §9): an OpenAI-compatible endpoint, whose key is
/// encrypted with ASP.NET Data Protection before it is stored, decrypted only to build a client on the server, and
/// never returned, logged, audited or exported; or an instruct model picked from the <see cref="ModelRegistry"/>
/// (stored by its id, resolved at every use, its folder checked by the <see cref="ServerPathPolicy"/>) and run through
/// the <see cref="ModelHost"/> queue every other use of that model shares.
/// </summary>
public sealed class ProviderSettingsService(IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions,
    IDataProtectionProvider protection, ILoggerFactory loggers, ServerPathPolicy folders, ModelHost host, ModelRegistry registry, TimeProvider clock)
{
    private const string Purpose = "SaeWorkbench.Explanations.ProviderApiKey.v1";
    private IDataProtector Protector => protection.CreateProtector(Purpose);

    public async Task<ProviderSettingsView> GetAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.ExplanationProviderSettings.AsNoTracking().OrderBy(s => s.Id).FirstOrDefaultAsync(ct);
        return row is null ? new ProviderSettingsView("", "", false, ProviderDefaults.TimeoutSeconds, ProviderDefaults.MaxRetries,
            ProviderDefaults.MaxConcurrency, false, false, ProviderDefaults.TokenBudgetPerJob, null) : await ResolvedViewAsync(row, ct);
    }

    /// <summary>
    /// The registered models the Admin can pick from, each with why it cannot explain when it cannot (no tokenizer, no
    /// chat template, folder gone or outside the import roots). Reads each tokenizer, not the weights.
    /// </summary>
    public async Task<IReadOnlyList<LocalModelOption>> LocalModelsAsync(CancellationToken ct = default)
    {
        var models = await registry.ListAsync(ct);
        return await Task.Run(() => models.Select(m => new LocalModelOption(m.Id, m.Name, m.Family, m.FolderPath, ChatTemplateProblem(m.FolderPath))).ToList(), ct);
    }

    /// <summary>Field by field, without the database; the picked local model is checked in <see cref="UpdateAsync"/>.</summary>
    public ValidationResult Validate(ProviderSettingsInput input)
    {
        var result = ValidationResult.Valid;
        var local = input.Kind == ExplanationProviderSettings.LocalKind;
        if (!local && input.Kind != ExplanationProviderSettings.EndpointKind)
            return ValidationResult.Fail("kind", $"Choose \"{ExplanationProviderSettings.EndpointKind}\" (an OpenAI-compatible server) or \"{ExplanationProviderSettings.LocalKind}\" (a model folder).");
        if (local)
        {
            if (input.RegisteredModelId is null && string.IsNullOrWhiteSpace(input.ModelPath))
                result = result.And(ValidationResult.Fail("registeredModelId", "Pick the instruct model from the registered models (the Models page registers more)."));
            else if (input.RegisteredModelId is not null && !string.IsNullOrWhiteSpace(input.ModelPath))
                result = result.And(ValidationResult.Fail("modelPath", "Give the registered model (registeredModelId) or its folder (modelPath), not both."));
            else if (input.ModelPath is { } path && path.Trim().Length > 2000)
                result = result.And(ValidationResult.Fail("modelPath", "The folder path is longer than 2,000 characters."));
        }
        else
        {
            var url = input.BaseUrl?.Trim() ?? "";
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo))
                result = result.And(ValidationResult.Fail("baseUrl", "Enter the API root as an http(s) address without a user name, e.g. http://127.0.0.1:8000/v1."));
            var model = input.Model?.Trim() ?? "";
            if (model.Length is 0 or > 200) result = result.And(ValidationResult.Fail("model", "Enter the model name the endpoint expects (1–200 characters)."));
        }
        if (input.ApiKey is { Length: > 1000 }) result = result.And(ValidationResult.Fail("apiKey", "The key is longer than 1,000 characters."));
        if (input.TimeoutSeconds is < 1 or > 3600) result = result.And(ValidationResult.Fail("timeoutSeconds", "Timeout: 1 to 3,600 seconds."));
        if (input.MaxRetries is < 0 or > 10) result = result.And(ValidationResult.Fail("maxRetries", "Retries: 0 to 10."));
        if (input.MaxConcurrency is < 1 or > 64) result = result.And(ValidationResult.Fail("maxConcurrency", "Concurrent requests: 1 to 64."));
        if (input.TokenBudgetPerJob is < 1_000 or > 10_000_000_000) result = result.And(ValidationResult.Fail("tokenBudgetPerJob", "Token budget per job: 1,000 to 10,000,000,000."));
        if (input.MaxNewTokens is < 1 or > 8192) result = result.And(ValidationResult.Fail("maxNewTokens", "New tokens per reply: 1 to 8,192."));
        if (!double.IsFinite(input.Temperature) || input.Temperature is < 0 or > 5) result = result.And(ValidationResult.Fail("temperature", "Temperature: 0 (greedy) to 5."));
        if (!double.IsFinite(input.TopP) || input.TopP is <= 0 or > 1) result = result.And(ValidationResult.Fail("topP", "Top-p: above 0, at most 1."));
        if (input.Seed < 0) result = result.And(ValidationResult.Fail("seed", "Seed: 0 or more."));
        return result;
    }

    /// <summary>
    /// Why a model folder cannot explain, or null: it must be inside the import roots (the one refusal whether or not it
    /// exists), with config.json and a tokenizer.json whose chat template we can render. The weights are not read here; a
    /// model that cannot be loaded fails the job's first request with the loader's reason.
    /// </summary>
    private string? ChatTemplateProblem(string path)
    {
        var check = folders.Folder(path);
        if (check.FullPath is not { } full) return $"The model folder cannot be used: {check.Error}.";
        if (!File.Exists(Path.Combine(full, HuggingFaceModels.ConfigFile)))
            return "The folder has no config.json: it is not a Hugging Face model folder.";
        if (!File.Exists(Path.Combine(full, "tokenizer.json")))
            return "The folder has no tokenizer.json, so it has no chat template: choose an instruct model.";
        try
        {
            if (TokenizerFolder.Load(full) is not HuggingFaceTokenizer tokenizer || tokenizer.ChatTemplate is null)
                return "The model has no chat template (tokenizer_config.json or chat_template.jinja): choose an instruct model.";
            ChatGenerator.StopTokenIds(full, tokenizer);
        }
        catch (Exception e) when (e is LanguageModelFolderException or JinjaException or ChatGenerationException or System.Text.Json.JsonException or IOException)
        {
            return $"The model's tokenizer cannot be used: {e.Message}";
        }
        return null;
    }

    /// <summary>
    /// The registered model an Admin's local choice names, or the field error: the id must be registered, a folder must
    /// be registered (its real path compared, as the registry records it), and the model must have a chat template.
    /// </summary>
    private async Task<(RegisteredModel? Model, ValidationResult Problem)> PickedModelAsync(ProviderSettingsInput input, CancellationToken ct)
    {
        RegisteredModel? model;
        string field;
        if (input.RegisteredModelId is { } id)
        {
            field = "registeredModelId";
            model = await registry.FindAsync(id, ct);
            if (model is null) return (null, ValidationResult.Fail(field, $"There is no registered model #{id}; pick one of the registered models."));
        }
        else
        {
            field = "modelPath";
            var path = input.ModelPath!.Trim();
            model = await RegisteredAtAsync(path, ct);
            if (model is null)
                return (null, ValidationResult.Fail(field, folders.Folder(path).FullPath is null
                    ? $"The model folder cannot be used: {ServerPathPolicy.Refusal}."
                    : "This folder is not a registered model: register it on the Models page, then pick it here."));
        }
        return ChatTemplateProblem(model.FolderPath) is { } why
            ? (null, ValidationResult.Fail(field, $"'{model.Name}' cannot explain: {why}"))
            : (model, ValidationResult.Valid);
    }

    /// <summary>The registration of the folder at <paramref name="path"/> (followed to its real path inside the import roots), if any.</summary>
    private async Task<RegisteredModel?> RegisteredAtAsync(string path, CancellationToken ct)
    {
        if (folders.Folder(path).FullPath is not { } full) return null;
        var real = Path.TrimEndingDirectorySeparator(full);
        return (await registry.ListAsync(ct)).FirstOrDefault(m => Path.TrimEndingDirectorySeparator(m.FolderPath) == real);
    }

    public async Task<Outcome<ProviderSettingsView>> UpdateAsync(Actor actor, ProviderSettingsInput input, CancellationToken ct = default)
    {
        if (!actor.Can(WorkbenchAction.ManageExplanationProvider))
            return Outcome<ProviderSettingsView>.Forbidden(actor.Role, WorkbenchAction.ManageExplanationProvider);
        var valid = Validate(input);
        RegisteredModel? picked = null;
        if (valid.IsValid && input.Kind == ExplanationProviderSettings.LocalKind)
        {
            (picked, var problem) = await PickedModelAsync(input, ct);
            valid = valid.And(problem);
        }
        if (!valid.IsValid) return Outcome<ProviderSettingsView>.Refused(valid);
        var updated = await transactions.RunAsync(async (w, ct) =>
        {
            var row = await w.Db.ExplanationProviderSettings.OrderBy(s => s.Id).FirstOrDefaultAsync(ct);
            if (row is null) w.Db.ExplanationProviderSettings.Add(row = new ExplanationProviderSettings());
            var before = ViewOf(row);
            row.Kind = input.Kind;
            if (input.Kind == ExplanationProviderSettings.LocalKind)
            {
                // Stored by id and resolved at each use; the folder is kept only to name the model if it is unregistered later.
                row.RegisteredModelId = picked!.Id;
                row.ModelPath = picked.FolderPath;
            }
            else
            {
                row.BaseUrl = input.BaseUrl!.Trim();
                row.Model = input.Model!.Trim();
            }
            (row.MaxNewTokens, row.Temperature, row.TopP, row.Seed) = (input.MaxNewTokens, input.Temperature, input.TopP, input.Seed);
            if (input.ApiKey is not null) row.ProtectedApiKey = input.ApiKey.Length == 0 ? null : Protector.Protect(input.ApiKey);
            (row.TimeoutSeconds, row.MaxRetries, row.MaxConcurrency, row.Streaming, row.Logprobs, row.TokenBudgetPerJob) =
                (input.TimeoutSeconds, input.MaxRetries, input.MaxConcurrency, input.Streaming, input.Logprobs, input.TokenBudgetPerJob);
            row.UpdatedById = actor.UserId;
            row.UpdatedAt = w.Now;
            // The audit records whether a key is stored, never the key or its ciphertext.
            AuditRecorder.Add(w.Db, actor, "settings.explanation-provider", "ExplanationProviderSettings", row.Id, before, ViewOf(row), w.Now);
            await w.Db.SaveChangesAsync(ct);
            return Outcome<ProviderSettingsView>.Ok(ViewOf(row));
        }, ct);
        return updated.Succeeded ? Outcome<ProviderSettingsView>.Ok(await GetAsync(ct)) : updated;
    }

    /// <summary>
    /// Where the stored local choice points now: the registered model (by id; a folder from before is matched to its
    /// registration by real path, which migrates it on read and is stored by id at the next save), the folder from
    /// before when it is not registered, or the sentence saying the picked model was unregistered.
    /// </summary>
    private async Task<(RegisteredModel? Model, string? FolderFromBefore, string? Problem)> ResolveLocalAsync(ExplanationProviderSettings row, CancellationToken ct)
    {
        if (row.RegisteredModelId is { } id)
        {
            if (await registry.FindAsync(id, ct) is { } model) return (model, null, null);
            var was = string.IsNullOrEmpty(row.ModelPath) ? "" : $" '{LocalChatOptions.NameOf(row.ModelPath)}'";
            return (null, null, $"The explanation model{was} (registered model #{id}) is no longer registered: an Admin picks another registered model on the Admin page (Explanation model).");
        }
        if (string.IsNullOrWhiteSpace(row.ModelPath))
            return (null, null, "No local explanation model is picked; an Admin picks a registered model on the Admin page (Explanation model).");
        return await RegisteredAtAsync(row.ModelPath, ct) is { } registered ? (registered, null, null) : (null, row.ModelPath, null);
    }

    private async Task<ProviderSettingsView> ResolvedViewAsync(ExplanationProviderSettings row, CancellationToken ct)
    {
        var view = ViewOf(row);
        if (!view.IsLocal) return view;
        var (model, _, problem) = await ResolveLocalAsync(row, ct);
        return view with { RegisteredModelId = model?.Id ?? row.RegisteredModelId, RegisteredModelName = model?.Name, LocalProblem = problem };
    }

    /// <summary>
    /// The configured chat model: a <see cref="LocalChatModel"/> on the model host's queue, or a client for the endpoint.
    /// A clear error when none is configured, the picked model was unregistered, its folder is no longer allowed or has no
    /// chat template, or the key cannot be read here. Dispose
    /// it when it is <see cref="IDisposable"/>.
    /// </summary>
    public async Task<IChatModel> CreateChatModelAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.ExplanationProviderSettings.AsNoTracking().OrderBy(s => s.Id).FirstOrDefaultAsync(ct);
        if (row?.Kind != ExplanationProviderSettings.LocalKind) return await CreateClientAsync(ct);
        var (model, folderFromBefore, problem) = await ResolveLocalAsync(row, ct);
        if (problem is not null) throw new ChatProviderException(problem);
        // Checked again at use: the import roots, the folder or its tokenizer may have changed since the Admin picked it.
        var folder = model?.FolderPath ?? folderFromBefore!;
        if (ChatTemplateProblem(folder) is { } why)
            throw new ChatProviderException($"The local explanation model{(model is null ? "" : $" '{model.Name}'")} cannot be used: {why}");
        return new LocalChatModel(host, new LocalChatOptions
        {
            ModelFolder = folders.Folder(folder).FullPath!, Name = model?.Name, MaxNewTokens = row.MaxNewTokens, Temperature = row.Temperature,
            TopP = row.TopP, Seed = row.Seed,
        });
    }

    /// <summary>A client for the configured endpoint; a clear error when none is configured or the key cannot be read here.</summary>
    public async Task<OpenAiChatClient> CreateClientAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.ExplanationProviderSettings.AsNoTracking().OrderBy(s => s.Id).FirstOrDefaultAsync(ct);
        if (row is null || row.BaseUrl.Length == 0 || row.Model.Length == 0)
            throw new ChatProviderException("No explanation provider is configured; an Admin sets one on the Admin page.");
        string? key = null;
        if (row.ProtectedApiKey is not null)
        {
            try { key = Protector.Unprotect(row.ProtectedApiKey); }
            catch (CryptographicException)
            {
                throw new ChatProviderException("The stored API key cannot be decrypted here (this process has a different data-protection key ring); " +
                                                "share the key ring folder or ask an Admin to enter the key again.");
            }
        }
        return new OpenAiChatClient(new OpenAiChatOptions
        {
            BaseUrl = new Uri(row.BaseUrl), Model = row.Model, ApiKey = key, Timeout = TimeSpan.FromSeconds(row.TimeoutSeconds),
            MaxRetries = row.MaxRetries, MaxConcurrency = row.MaxConcurrency, Streaming = row.Streaming,
        }, loggers.CreateLogger<OpenAiChatClient>(), clock);
    }

    private static ProviderSettingsView ViewOf(ExplanationProviderSettings s) =>
        new(s.BaseUrl, s.Model, s.ProtectedApiKey is not null, s.TimeoutSeconds, s.MaxRetries, s.MaxConcurrency, s.Streaming, s.Logprobs,
            s.TokenBudgetPerJob, s.UpdatedById is null ? null : s.UpdatedAt, s.Kind, s.ModelPath, s.MaxNewTokens, s.Temperature, s.TopP, s.Seed,
            s.RegisteredModelId);
}
