using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Lm.Tokenization.Jinja;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Inference;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Explanations.Providers;

/// <summary>
/// The provider settings as pages and the API see them: whether a key is stored, never the key. <see cref="Kind"/> is
/// "endpoint" (an OpenAI-compatible server at <see cref="BaseUrl"/>) or "local" (the instruct model in
/// <see cref="ModelPath"/>, run on the workbench's inference queue with the generation limits below).
/// </summary>
public sealed record ProviderSettingsView(string BaseUrl, string Model, bool HasKey, int TimeoutSeconds, int MaxRetries, int MaxConcurrency,
    bool Streaming, bool Logprobs, long TokenBudgetPerJob, DateTimeOffset? UpdatedAt, string Kind = ExplanationProviderSettings.EndpointKind,
    string? ModelPath = null, int MaxNewTokens = 512, double Temperature = 0, double TopP = 1, long Seed = 0)
{
    public bool IsLocal => Kind == ExplanationProviderSettings.LocalKind;

    public bool IsConfigured => IsLocal ? !string.IsNullOrEmpty(ModelPath) : BaseUrl.Length > 0 && Model.Length > 0;

    /// <summary>The name explanations and scores are recorded under (and the model account's): the endpoint's model
    /// name, or the local model folder's name.</summary>
    public string ModelName => IsLocal ? (string.IsNullOrEmpty(ModelPath) ? "" : LocalChatOptions.NameOf(ModelPath)) : Model;

    /// <summary>Log-probabilities for AUROC: asked of an endpoint when the Admin says it supports them; a local model always has them.</summary>
    public bool UsesLogprobs => IsLocal || Logprobs;
}

/// <summary>
/// An Admin's edit. <see cref="ApiKey"/>: null keeps the stored key, empty removes it, anything else replaces it.
/// <see cref="Kind"/> "local" needs <see cref="ModelPath"/> (a folder inside the import roots) and ignores the
/// endpoint fields, which are kept as they were; "endpoint" needs <see cref="BaseUrl"/> and <see cref="Model"/>.
/// </summary>
public sealed record ProviderSettingsInput(string? BaseUrl, string? Model, string? ApiKey, int TimeoutSeconds = 60, int MaxRetries = 3,
    int MaxConcurrency = 4, bool Streaming = false, bool Logprobs = false, long TokenBudgetPerJob = 2_000_000,
    string Kind = ExplanationProviderSettings.EndpointKind, string? ModelPath = null, int MaxNewTokens = 512, double Temperature = 0,
    double TopP = 1, long Seed = 0);

/// <summary>
/// The explanation model an Admin configures (docs/architecture.md §9): an OpenAI-compatible endpoint, whose key is
/// encrypted with ASP.NET Data Protection before it is stored, decrypted only to build a client on the server, and
/// never returned, logged, audited or exported; or a local instruct model folder, checked by the
/// <see cref="ServerPathPolicy"/> like every path a user names and run through the <see cref="ModelHost"/>.
/// </summary>
public sealed class ProviderSettingsService(IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions,
    IDataProtectionProvider protection, ILoggerFactory loggers, ServerPathPolicy folders, ModelHost host, TimeProvider clock)
{
    private const string Purpose = "SaeWorkbench.Explanations.ProviderApiKey.v1";
    private IDataProtector Protector => protection.CreateProtector(Purpose);

    public async Task<ProviderSettingsView> GetAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.ExplanationProviderSettings.AsNoTracking().OrderBy(s => s.Id).FirstOrDefaultAsync(ct);
        return row is null ? new ProviderSettingsView("", "", false, 60, 3, 4, false, false, 2_000_000, null) : ViewOf(row);
    }

    /// <summary>Field by field; a local model folder is checked too (inside the import roots, a model with a chat template).</summary>
    public ValidationResult Validate(ProviderSettingsInput input)
    {
        var result = ValidationResult.Valid;
        var local = input.Kind == ExplanationProviderSettings.LocalKind;
        if (!local && input.Kind != ExplanationProviderSettings.EndpointKind)
            return ValidationResult.Fail("kind", $"Choose \"{ExplanationProviderSettings.EndpointKind}\" (an OpenAI-compatible server) or \"{ExplanationProviderSettings.LocalKind}\" (a model folder).");
        if (local) result = result.And(ValidateModelFolder(input.ModelPath));
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
    /// A local model folder: inside the import roots (the one refusal whether or not it exists), with config.json and a
    /// tokenizer.json whose chat template we can render. The weights are not read here; a model that cannot be loaded
    /// fails the job's first request with the loader's reason.
    /// </summary>
    private ValidationResult ValidateModelFolder(string? path)
    {
        const string field = "modelPath";
        if (string.IsNullOrWhiteSpace(path)) return ValidationResult.Fail(field, "Enter the instruct model's folder (a Hugging Face folder inside the import roots).");
        if (path.Trim().Length > 2000) return ValidationResult.Fail(field, "The folder path is longer than 2,000 characters.");
        var check = folders.Folder(path.Trim());
        if (check.FullPath is not { } full) return ValidationResult.Fail(field, $"The model folder cannot be used: {check.Error}.");
        if (!File.Exists(Path.Combine(full, HuggingFaceModels.ConfigFile)))
            return ValidationResult.Fail(field, "The folder has no config.json: it is not a Hugging Face model folder.");
        if (!File.Exists(Path.Combine(full, "tokenizer.json")))
            return ValidationResult.Fail(field, "The folder has no tokenizer.json, so it has no chat template: choose an instruct model.");
        try
        {
            if (TokenizerFolder.Load(full) is not HuggingFaceTokenizer tokenizer || tokenizer.ChatTemplate is null)
                return ValidationResult.Fail(field, "The model has no chat template (tokenizer_config.json or chat_template.jinja): choose an instruct model.");
            ChatGenerator.StopTokenIds(full, tokenizer);
        }
        catch (Exception e) when (e is LanguageModelFolderException or JinjaException or ChatGenerationException or System.Text.Json.JsonException or IOException)
        {
            return ValidationResult.Fail(field, $"The model's tokenizer cannot be used: {e.Message}");
        }
        return ValidationResult.Valid;
    }

    public async Task<Outcome<ProviderSettingsView>> UpdateAsync(Actor actor, ProviderSettingsInput input, CancellationToken ct = default)
    {
        if (!actor.Can(WorkbenchAction.ManageExplanationProvider))
            return Outcome<ProviderSettingsView>.Forbidden(actor.Role, WorkbenchAction.ManageExplanationProvider);
        var valid = Validate(input);
        if (!valid.IsValid) return Outcome<ProviderSettingsView>.Refused(valid);
        return await transactions.RunAsync(async (w, ct) =>
        {
            var row = await w.Db.ExplanationProviderSettings.OrderBy(s => s.Id).FirstOrDefaultAsync(ct);
            if (row is null) w.Db.ExplanationProviderSettings.Add(row = new ExplanationProviderSettings());
            var before = ViewOf(row);
            row.Kind = input.Kind;
            if (input.Kind == ExplanationProviderSettings.LocalKind)
            {
                // The path as typed (relative paths stay relative to the content root), so a model registry can name it later.
                row.ModelPath = input.ModelPath!.Trim();
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
    }

    /// <summary>
    /// The configured chat model: a <see cref="LocalChatModel"/> on the model host's queue, or a client for the endpoint.
    /// A clear error when none is configured, the folder is no longer allowed, or the key cannot be read here. Dispose
    /// it when it is <see cref="IDisposable"/>.
    /// </summary>
    public async Task<IChatModel> CreateChatModelAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.ExplanationProviderSettings.AsNoTracking().OrderBy(s => s.Id).FirstOrDefaultAsync(ct);
        if (row?.Kind != ExplanationProviderSettings.LocalKind) return await CreateClientAsync(ct);
        // Checked again at use: the import roots or the folder may have changed since the Admin saved it.
        if (folders.Folder(row.ModelPath ?? "") is not { FullPath: { } full })
            throw new ChatProviderException($"The local explanation model folder cannot be used: {ServerPathPolicy.Refusal}.");
        return new LocalChatModel(host, new LocalChatOptions
        {
            ModelFolder = full, MaxNewTokens = row.MaxNewTokens, Temperature = row.Temperature, TopP = row.TopP, Seed = row.Seed,
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
            s.TokenBudgetPerJob, s.UpdatedById is null ? null : s.UpdatedAt, s.Kind, s.ModelPath, s.MaxNewTokens, s.Temperature, s.TopP, s.Seed);
}
