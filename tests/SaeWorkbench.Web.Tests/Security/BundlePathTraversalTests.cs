using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// Every name in a bundle is untrusted: a manifest bundleId that climbs out of the data folder or is an absolute path
/// is refused, and the folder an imported SAE is kept in is named by the workbench, never by the bundle.
/// Attacks by an Admin through POST /api/imports.
/// </summary>
public sealed class BundlePathTraversalTests : IAsyncLifetime
{
    private readonly SecurityHost _h = new();
    private ApiUser _admin = null!;
    private ApiUser _labeler = null!;

    public async Task InitializeAsync()
    {
        _admin = await _h.UserAsync("admin", WorkbenchRoles.Admin);
        _labeler = await _h.UserAsync("lena", WorkbenchRoles.Labeler);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    public static TheoryData<string> EscapingIds => new() { "../../../../../../../../tmp/{0}", "/tmp/{0}", "..", "a/b", "x\u202Ey" };

    [Theory]
    [MemberData(nameof(EscapingIds))]
    public async Task A_bundle_id_that_is_a_path_is_refused_and_nothing_is_written_anywhere(string pattern)
    {
        var marker = $"wb-escape-{Guid.NewGuid():N}";
        var bundleId = string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, marker);
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        SecurityHost.EditManifest(bundle, m => m["bundleId"] = bundleId);
        var before = await _h.FingerprintAsync();

        var response = await _admin.Client.PostAsync("/api/imports", SecurityHost.ZipContent(SecurityHost.Zip(bundle)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("bundleId must be 1–64 letters, digits", await SecurityHost.ProblemTextAsync(response));
        Assert.Equal(before, await _h.FingerprintAsync());
        Assert.False(Directory.Exists(Path.Combine("/tmp", marker)));
        Assert.Empty(_h.ImportedFiles());
    }

    [Fact]
    public async Task An_imported_SAE_is_kept_in_a_folder_named_by_the_workbench_not_by_the_bundle()
    {
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        var bundleId = JsonDocument.Parse(File.ReadAllText(Path.Combine(bundle, "manifest.json"))).RootElement.GetProperty("bundleId").GetString()!;

        var response = await _admin.Client.PostAsync("/api/imports", SecurityHost.ZipContent(SecurityHost.Zip(bundle)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dictionaryId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("dictionaryId").GetInt64();
        await using var db = _h.Db();
        var saePath = await db.Dictionaries.Where(d => d.Id == dictionaryId).Select(d => d.SaePath).SingleAsync();
        Assert.StartsWith(Path.Combine(_h.DataDirectory, "imports") + Path.DirectorySeparatorChar, saePath);
        Assert.DoesNotContain(bundleId, saePath);
        Assert.True(File.Exists(Path.Combine(saePath, "sae_weights.safetensors")));
    }
}
