using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Exports;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Export;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Tests.Labelling;
using static TorchSharp.torch;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// The real host for the attack tests: its own data directory and one import root (<see cref="Roots"/>) inside a
/// scratch folder that also holds what lies outside the roots (<see cref="Outside"/>). Accounts get API tokens.
/// </summary>
public sealed class SecurityHost : IAsyncDisposable
{
    private readonly WorkbenchFactory _root = new();

    public SecurityHost(params (string Key, string Value)[] settings)
    {
        Folder = Directory.CreateTempSubdirectory("wb-security-").FullName;
        Roots = Directory.CreateDirectory(Path.Combine(Folder, "roots")).FullName;
        Outside = Directory.CreateDirectory(Path.Combine(Folder, "outside")).FullName;
        Host = _root.WithWebHostBuilder(b =>
        {
            b.UseSetting("Workbench:ImportRoots:0", Roots);
            b.UseSetting("Workbench:RateLimits:WritesPerMinute", "100000");
            foreach (var (key, value) in settings) b.UseSetting(key, value);
        });
    }

    public WebApplicationFactory<Program> Host { get; }
    public string Folder { get; }
    public string Roots { get; }
    public string Outside { get; }
    public string DataDirectory => _root.DataDirectory;

    public T Get<T>() where T : notnull => Host.Services.GetRequiredService<T>();

    public WorkbenchDbContext Db() => Get<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();

    public async Task<ApiUser> UserAsync(string name, string role)
    {
        await using var scope = Host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var (user, errors) = await accounts.RegisterAsync(name, LabellingHarness.Password);
        Assert.True(user is not null, string.Join("; ", errors));
        Assert.Empty(await accounts.SetRoleAsync(user!.Id, role));
        var actor = new Actor(user.Id, name, WorkbenchRoles.Highest([role]));
        var created = await Get<ApiTokenService>().CreateAsync(actor, "tests");
        Assert.True(created.Succeeded, created.Validation.ToString());
        var client = Host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Value!.Token);
        return new ApiUser(user.Id, name, created.Value.Token, created.Value.Info.Id, client);
    }

    /// <summary>Rows a refused request must not change: jobs, dictionaries, latents, users, interpretations, imports.</summary>
    public async Task<string> FingerprintAsync()
    {
        await using var db = Db();
        return $"{await db.Jobs.CountAsync()}:{await db.Dictionaries.CountAsync()}:{await db.Latents.CountAsync()}:{await db.Users.CountAsync()}:" +
               $"{await db.Interpretations.CountAsync()}:{await db.Set<BundleImport>().CountAsync()}:{await db.JobMetrics.CountAsync()}";
    }

    /// <summary>Every file under the data directory's imports folder (the SAE copies and the scratch folder).</summary>
    public IReadOnlyList<string> ImportedFiles()
    {
        var imports = Path.Combine(DataDirectory, "imports");
        return Directory.Exists(imports)
            ? Directory.EnumerateFiles(imports, "*", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}.uploads{Path.DirectorySeparatorChar}")).Order().ToList()
            : [];
    }

    /// <summary>
    /// A registered dictionary (random SAE, 5 latents on d_in 4; TopK with k 2 when <paramref name="topK"/>) with one
    /// interpretation by <paramref name="author"/>, exported as a bundle folder under <see cref="Folder"/>.
    /// </summary>
    public async Task<string> ExportBundleFolderAsync(ApiUser author, bool topK = false)
    {
        var sae = Path.Combine(Folder, $"sae-{Guid.NewGuid():N}");
        using (var g = new Generator(3))
        using (var a = new SparseAutoencoder(topK ? SaeArchitecture.TopK : SaeArchitecture.Relu, topK ? 2 : 0,
                   randn([4, 5], generator: g), zeros(5), randn([5, 4], generator: g), zeros(4), null))
            SaeLensFolder.Save(sae, a, new SaeLensMetadata { ModelName = "m", HookName = "blocks.0.hook_resid_post" });
        var dictionary = await Get<DictionaryRegistry>().RegisterAsync(sae, "bundle-source", null, "{}", "{}", 10, null, author.Id);
        await using (var db = Db())
        {
            var latent = await db.Latents.FirstAsync(l => l.DictionaryId == dictionary.Id && l.Index == 0);
            var response = await author.Client.PostAsJsonAsync($"/api/latents/{latent.Id}/interpretations",
                new { label = "Fires on the word state", description = "Mostly *state*.", tag = "lexical-token", confidence = 4 });
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        }
        var folder = Path.Combine(Folder, $"bundle-{Guid.NewGuid():N}");
        await Get<BundleExporter>().ExportAsync(dictionary.Id, new ExportOptions(), folder, author.Id);
        return folder;
    }

    /// <summary>Edits manifest.json of a bundle folder.</summary>
    public static void EditManifest(string bundle, Action<JsonObject> edit)
    {
        var path = Path.Combine(bundle, BundleFormat.Manifest);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(manifest);
        File.WriteAllText(path, manifest.ToJsonString());
    }

    /// <summary>Replaces a file of a bundle folder and lists its new size and hash in the manifest (the SAE's hash too).</summary>
    public static void ReplaceFile(string bundle, string relative, byte[] bytes)
    {
        File.WriteAllBytes(Path.Combine(bundle, relative), bytes);
        var sha = BundleExporter.Sha256File(Path.Combine(bundle, relative));
        EditManifest(bundle, m =>
        {
            var entry = m["files"]!.AsArray().Single(f => (string)f!["path"]! == relative)!;
            entry["bytes"] = bytes.LongLength;
            entry["sha256"] = sha;
            if (relative == $"{BundleFormat.SaeFolder}/{SaeLensFolder.WeightsFile}") m["dictionary"]!["saeSha256"] = sha;
        });
    }

    /// <summary>Edits the first catalog record's first interpretation and lists the catalog's new size and hash.</summary>
    public static void EditFirstInterpretation(string bundle, Action<JsonObject> edit)
    {
        var path = Path.Combine(bundle, BundleFormat.Catalog);
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var record = lines.First(r => r["interpretations"]!.AsArray().Count > 0);
        edit(record["interpretations"]!.AsArray()[0]!.AsObject());
        ReplaceFile(bundle, BundleFormat.Catalog, System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines.Select(l => l.ToJsonString())) + "\n"));
    }

    public static byte[] Zip(string bundle)
    {
        var zip = Path.Combine(Path.GetTempPath(), $"wb-bundle-{Guid.NewGuid():N}.zip");
        try
        {
            ZipFile.CreateFromDirectory(bundle, zip);
            return File.ReadAllBytes(zip);
        }
        finally
        {
            File.Delete(zip);
        }
    }

    public static ByteArrayContent ZipContent(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return content;
    }

    /// <summary>The problem's detail (or every validation error) of a 400 answer, checked to be JSON.</summary>
    public static async Task<string> ProblemTextAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        if (body["errors"] is JsonObject errors)
            return string.Join("\n", errors.SelectMany(kv => kv.Value!.AsArray().Select(e => $"{kv.Key}: {(string)e!}")));
        return (string?)body["detail"] ?? body.ToJsonString();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _root.Dispose();
        try { Directory.Delete(Folder, true); } catch (IOException) { }
    }
}
