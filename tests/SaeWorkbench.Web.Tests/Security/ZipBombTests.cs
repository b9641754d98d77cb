using System.IO.Compression;
using System.Net;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Export;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// A bundle's zip is judged by its manifest and its declared sizes before anything is extracted: only listed bundle
/// files are extracted, each entry and the total are capped, and an entry that expands suspiciously well is refused.
/// Attacks by an Admin through POST /api/imports; each leaves the database and the data folder as they were.
/// </summary>
public sealed class ZipBombTests : IAsyncLifetime
{
    private const int BombBytes = 32 << 20;
    private readonly SecurityHost _h = new();
    private ApiUser _admin = null!;
    private ApiUser _labeler = null!;

    public async Task InitializeAsync()
    {
        _admin = await _h.UserAsync("admin", WorkbenchRoles.Admin);
        _labeler = await _h.UserAsync("lena", WorkbenchRoles.Labeler);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<string> RefusedAsync(byte[] zip)
    {
        var before = await _h.FingerprintAsync();
        var response = await _admin.Client.PostAsync("/api/imports", SecurityHost.ZipContent(zip));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await SecurityHost.ProblemTextAsync(response);
        Assert.Equal(before, await _h.FingerprintAsync());
        Assert.Empty(_h.ImportedFiles());
        return text;
    }

    [Fact]
    public async Task A_listed_file_of_zeros_that_expands_a_thousandfold_is_refused_before_extraction()
    {
        // catalog.csv is listed with its true size and hash, so a reader that extracts first and checks later accepts
        // the bundle and keeps 32 MiB that came from a 32 KiB entry.
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        SecurityHost.ReplaceFile(bundle, BundleFormat.CatalogCsv, new byte[BombBytes]);
        var text = await RefusedAsync(SecurityHost.Zip(bundle));
        Assert.Contains($"'{BundleFormat.CatalogCsv}' expands", text);
        Assert.Contains("is refused as a zip bomb", text);
    }

    [Fact]
    public async Task An_entry_the_manifest_does_not_list_is_never_extracted()
    {
        // An unlisted 32 MiB entry whose compressed data is damaged: a reader that extracts every entry before checking
        // the manifest trips over it ("truncated or corrupt"); one that checks first never opens it.
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        var zip = SecurityHost.Zip(bundle);
        using (var stream = new MemoryStream())
        {
            stream.Write(zip);
            using (var archive = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
            {
                using var entry = archive.CreateEntry("bomb.bin", CompressionLevel.SmallestSize).Open();
                entry.Write(new byte[BombBytes]);
            }
            zip = stream.ToArray();
        }
        var header = zip.AsSpan().IndexOf("bomb.bin"u8); // the local header's name; its data follows
        Assert.True(header > 0);
        zip.AsSpan(header + 200, 64).Fill(0xFF);
        Assert.Contains("'bomb.bin' is in the bundle but not in its manifest", await RefusedAsync(zip));
    }

    [Fact]
    public async Task A_zip_entry_whose_size_disagrees_with_the_manifest_is_refused()
    {
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        SecurityHost.EditManifest(bundle, m => m["files"]!.AsArray().Single(f => (string)f!["path"]! == BundleFormat.Report)!["bytes"] = 10);
        Assert.Contains($"'{BundleFormat.Report}' expands to", await RefusedAsync(SecurityHost.Zip(bundle)));
    }

    [Fact]
    public async Task Declared_sizes_over_the_caps_and_unknown_file_names_are_refused_from_the_manifest_alone()
    {
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        SecurityHost.EditManifest(bundle, m => m["files"]!.AsArray().Single(f => (string)f!["path"]! == BundleFormat.Report)!["bytes"] = 5L << 30);
        Assert.Contains($"'{BundleFormat.Report}' declares 5368709120 bytes; a bundle file has 0 to 4 GiB", await RefusedAsync(SecurityHost.Zip(bundle)));

        var other = await _h.ExportBundleFolderAsync(_labeler);
        File.WriteAllText(Path.Combine(other, "sae", "extra.bin"), "x");
        SecurityHost.EditManifest(other, m => m["files"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject
        {
            ["path"] = "sae/extra.bin", ["bytes"] = 1, ["sha256"] = BundleExporter.Sha256File(Path.Combine(other, "sae", "extra.bin")),
        }));
        Assert.Contains("lists 'sae/extra.bin', which is not a file a bundle holds", await RefusedAsync(SecurityHost.Zip(other)));
    }
}
