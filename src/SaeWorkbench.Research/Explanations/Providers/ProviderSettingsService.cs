using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Explanations.Providers;

/// <summary>The provider settings as pages and the API see them: whether a key is stored, never the key.</summary>
public sealed record ProviderSettingsView(string BaseUrl, string Model, bool HasKey, int TimeoutSeconds, int MaxRetries, int MaxConcurrency,
    bool Streaming, bool Logprobs, long TokenBudgetPerJob, DateTimeOffset? UpdatedAt)
{
    public bool IsConfigured => BaseUrl.Length > 0 && Model.Length > 0;
}

/// <summary>An Admin's edit. <see cref="ApiKey"/>: null keeps the stored key, empty removes it, anything else replaces it.</summary>
public sealed record ProviderSettingsInput(string? BaseUrl, string? Model, string? ApiKey, int TimeoutSeconds = 60, int MaxRetries = 3,
    int MaxConcurrency = 4, bool Streaming = false, bool Logprobs = false, long TokenBudgetPerJob = 2_000_000);

/// <summary>
/// The OpenAI-compatible endpoint an Admin configures (docs/architecture.md §9): the key is encrypted
/// with ASP.NET Data Protection before it is stored, decrypted only to build a client on the server, and never
/// returned, logged, audited or exported.
/// </summary>
public sealed class ProviderSettingsService(IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions,
    IDataProtectionProvider protection, ILoggerFactory loggers)
{
    private const string Purpose = "SaeWorkbench.Explanations.ProviderApiKey.v1";
    private IDataProtector Protector => protection.CreateProtector(Purpose);

    public async Task<ProviderSettingsView> GetAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.ExplanationProviderSettings.AsNoTracking().FirstOrDefaultAsync(ct);
        return row is null ? new ProviderSettingsView("", "", false, 60, 3, 4, false, false, 2_000_000, null) : ViewOf(row);
    }

    public static ValidationResult Validate(ProviderSettingsInput input)
    {
        var result = ValidationResult.Valid;
        var url = input.BaseUrl?.Trim() ?? "";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo))
            result = result.And(ValidationResult.Fail("baseUrl", "Enter the API root as an http(s) address without a user name, e.g. http://127.0.0.1:8000/v1."));
        var model = input.Model?.Trim() ?? "";
        if (model.Length is 0 or > 200) result = result.And(ValidationResult.Fail("model", "Enter the model name the endpoint expects (1–200 characters)."));
        if (input.ApiKey is { Length: > 1000 }) result = result.And(ValidationResult.Fail("apiKey", "The key is longer than 1,000 characters."));
        if (input.TimeoutSeconds is < 1 or > 3600) result = result.And(ValidationResult.Fail("timeoutSeconds", "Timeout: 1 to 3,600 seconds."));
        if (input.MaxRetries is < 0 or > 10) result = result.And(ValidationResult.Fail("maxRetries", "Retries: 0 to 10."));
        if (input.MaxConcurrency is < 1 or > 64) result = result.And(ValidationResult.Fail("maxConcurrency", "Concurrent requests: 1 to 64."));
        if (input.TokenBudgetPerJob is < 1_000 or > 10_000_000_000) result = result.And(ValidationResult.Fail("tokenBudgetPerJob", "Token budget per job: 1,000 to 10,000,000,000."));
        return result;
    }

    public async Task<Outcome<ProviderSettingsView>> UpdateAsync(Actor actor, ProviderSettingsInput input, CancellationToken ct = default)
    {
        if (actor.Role != Role.Admin)
            return Outcome<ProviderSettingsView>.Refused(ValidationResult.Fail("role", "Only an Admin can configure the explanation provider."));
        var valid = Validate(input);
        if (!valid.IsValid) return Outcome<ProviderSettingsView>.Refused(valid);
        return await transactions.RunAsync(async (w, ct) =>
        {
            var row = await w.Db.ExplanationProviderSettings.FirstOrDefaultAsync(ct);
            if (row is null) w.Db.ExplanationProviderSettings.Add(row = new ExplanationProviderSettings());
            var before = ViewOf(row);
            row.BaseUrl = input.BaseUrl!.Trim();
            row.Model = input.Model!.Trim();
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

    /// <summary>A client for the configured endpoint; a clear error when none is configured or the key cannot be read here.</summary>
    public async Task<OpenAiChatClient> CreateClientAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.ExplanationProviderSettings.AsNoTracking().FirstOrDefaultAsync(ct);
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
        }, loggers.CreateLogger<OpenAiChatClient>());
    }

    private static ProviderSettingsView ViewOf(ExplanationProviderSettings s) =>
        new(s.BaseUrl, s.Model, s.ProtectedApiKey is not null, s.TimeoutSeconds, s.MaxRetries, s.MaxConcurrency, s.Streaming, s.Logprobs,
            s.TokenBudgetPerJob, s.UpdatedById is null ? null : s.UpdatedAt);
}
