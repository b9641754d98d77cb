using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.HttpOverrides;
using MudBlazor.Services;
using SaeWorkbench.Data;
using SaeWorkbench.Research;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Web.Components;
using SaeWorkbench.Web.Endpoints;
using SaeWorkbench.Web.Live;

namespace SaeWorkbench.Web.Hosting;

public static class WorkbenchHostExtensions
{
    /// <summary>
    /// How the renderer encodes text into the UTF-8 pages: characters of every script are written as they are, not as
    /// numeric entities (a token in Greek or Chinese, the list's "·" and "×"), while HTML's own characters (&lt; &gt; &amp; " ')
    /// stay encoded, as HtmlEncoder always does. The default encoder escapes everything outside ASCII, so a token in
    /// another script took two to three times its UTF-8 bytes (list-render: 50 English rows 44.6 K characters against
    /// 47.6 K; its CPU difference is within the benchmark's noise).
    /// </summary>
    public static readonly HtmlEncoder PageEncoder = HtmlEncoder.Create(UnicodeRanges.All);

    /// <summary>Everything the workbench registers: settings, data, accounts, jobs, live updates and the UI.</summary>
    public static WebApplicationBuilder AddWorkbench(this WebApplicationBuilder builder)
    {
        builder.AddWorkbenchLogging();
        // Package assets (MudBlazor, blazor.web.js) are served from the build's static web assets manifest in
        // every environment, next to the repository's own wwwroot.
        builder.WebHost.UseStaticWebAssets();
        var settings = builder.Configuration.GetSection("Workbench").Get<WorkbenchSettings>() ?? new WorkbenchSettings();
        var database = builder.Configuration.GetSection("Workbench:Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        var paths = new WorkbenchPaths(builder.Environment.ContentRootPath, settings.DataDirectory, settings.SharedDirectory);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(paths);
        builder.Services.AddWorkbenchData(database, paths.DataDirectory);
        builder.Services.AddResearch();
        if (settings.Jobs.RunnerEnabled) builder.Services.AddJobRunner();
        builder.AddWorkbenchAuth();
        builder.AddLabellingApi();
        var presence = PresenceOptions.From(builder.Configuration);
        builder.Services.AddWorkbenchLive(presence);
        builder.AddWorkbenchScaleOut(settings);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents().AddHubOptions(presence.ApplyTo);
        builder.Services.AddMudServices();
        builder.Services.AddSingleton(PageEncoder);
        builder.Services.AddSingleton<SaeWorkbench.Web.Components.Layout.PrerenderedNavigation>();
        builder.Services.AddSingleton<SaeWorkbench.Web.Components.Features.FeatureDashboardCache>();
        builder.Services.AddProblemDetails();
        // Keys that sign cookies and antiforgery tokens live with the data, so sign-ins survive restarts; in the shared
        // directory (default: the data directory) so that every web node accepts every other node's cookies.
        // New keys use AES-256-GCM (AesGcm, on every OS) instead of the default AES-256-CBC + HMACSHA256, which off Windows
        // runs a managed construction: every page protects and unprotects several payloads (the sign-in cookie, the
        // antiforgery token, the prerendered components' descriptors and state), and GCM does each in about half the time
        // and half the allocations. Keys made before keep their own algorithm until they expire.
        // The key ring is protected by the folder's permissions (owner only), not by an XML encryptor: off Windows there is
        // no machine secret to encrypt it with, and a certificate kept beside the keys would protect nothing. So the
        // folder is made 0700 and the key manager's "no XML encryptor configured" warning, which says exactly this at
        // every new key, is not shown as if it were a fault (its errors still are).
        var keys = new DirectoryInfo(Path.Combine(paths.SharedDirectory, "keys"));
        try
        {
            keys.Create();
            if (!OperatingSystem.IsWindows()) keys.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // PrepareWorkbenchAsync reports an unwritable data directory
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
        builder.Services.AddDataProtection().SetApplicationName("SaeWorkbench")
            .PersistKeysToFileSystem(keys)
            .UseCryptographicAlgorithms(new AuthenticatedEncryptorConfiguration
            {
                EncryptionAlgorithm = EncryptionAlgorithm.AES_256_GCM,
            });
        builder.Services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);
        return builder;
    }

    /// <summary>Checks the data directory and migrates the database before the host accepts requests.</summary>
    public static async Task PrepareWorkbenchAsync(this WebApplication app)
    {
        var paths = app.Services.GetRequiredService<WorkbenchPaths>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SaeWorkbench");
        paths.EnsureWritable();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WorkbenchDbContext>();
        await db.MigrateWorkbenchDatabaseAsync();
        // Markdown written before its HTML was stored is rendered once here, not on every read.
        var backfilled = await SaeWorkbench.Research.Labelling.StoredMarkdown.BackfillAsync(db);
        if (backfilled > 0) logger.LogInformation("Stored the rendered Markdown of {Rows} older rows", backfilled);
        await scope.ServiceProvider.GetRequiredService<SaeWorkbench.Research.Accounts.AccountService>().EnsureRolesAsync();
        logger.LogInformation("Content root {ContentRoot}; data directory {DataDirectory}", paths.ContentRoot, paths.DataDirectory);
        if (app.Services.GetRequiredService<WorkbenchSettings>().SeedDemo)
            await app.Services.GetRequiredService<SaeWorkbench.Research.Demo.DemoWorkspace>().SeedAsync();
    }

    public static WebApplication UseWorkbench(this WebApplication app)
    {
        app.UseForwardedHeaders();
        // Friendly error page everywhere; details go to the log only.
        app.UseExceptionHandler("/error", createScopeForErrors: true);
        // Pages get a friendly 404 page; APIs and the hub keep their status codes (401/403/404) untouched.
        app.UseWhen(ctx => !ctx.Request.Path.StartsWithSegments("/api") && !ctx.Request.Path.StartsWithSegments("/hubs"),
            branch => branch.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        app.UseWorkbenchRequestLogging();
        // Before anything acts on a request: hub connections and cookie-authenticated writes from another origin's page stop here.
        app.UseSameOriginRequests();
        // The repository's wwwroot is served before routing, so no endpoint (or fallback) shadows it.
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseRateLimitAnswers();
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapHealthEndpoints();
        app.MapAccountEndpoints();
        app.MapJobEndpoints();
        app.MapAdminEndpoints();
        app.MapLabellingEndpoints();
        app.MapCrowdEndpoints();
        app.MapApiTokenEndpoints();
        app.MapCollaborationEndpoints();
        app.MapExportEndpoints();
        app.MapExplanationEndpoints();
        app.MapDictionaryEndpoints();
        app.MapSteeringEndpoints();
        app.MapAnalysisEndpoints();
        app.MapModelEndpoints();
        app.MapOpenApi().AllowAnonymous();
        app.MapHub<WorkbenchHub>(WorkbenchHub.Path);
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
