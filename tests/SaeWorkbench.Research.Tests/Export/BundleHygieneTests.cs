using System.Text.Json.Nodes;
using SaeWorkbench.Research.Export;

namespace SaeWorkbench.Research.Tests.Export;

/// <summary>What a shared bundle must not contain (server paths) and how its human-facing files read.</summary>
public sealed class BundleHygieneTests
{
    [Fact]
    public async Task The_bundle_cfg_json_names_no_absolute_path_of_the_server()
    {
        await using var w = await ExportWorkspace.StartAsync();
        using var sae = ExportWorkspace.RandomSae(1);
        var id = await w.AddDictionaryAsync("tiny-topk", sae, datasetPath: Path.Combine(w.Folder, "corpora", "demo"));
        var original = File.ReadAllText(Path.Combine(w.Folder, "saes", "tiny-topk", "cfg.json"));
        Assert.Contains(w.Folder, original);

        var result = await w.Get<BundleExporter>().ExportAsync(id, new ExportOptions(), Path.Combine(w.Folder, "out", "b"), w.Admin.UserId);

        var cfg = File.ReadAllText(Path.Combine(result.Path, "sae", "cfg.json"));
        Assert.DoesNotContain(w.Folder, cfg);
        Assert.Equal("corpora/demo", (string?)JsonNode.Parse(cfg)!["metadata"]!["dataset_path"]);
        Assert.DoesNotContain(w.Folder, File.ReadAllText(Path.Combine(result.Path, "manifest.json")));
    }

    [Fact]
    public void Paths_outside_the_server_roots_keep_only_their_last_segment_and_other_strings_are_untouched()
    {
        var json = JsonNode.Parse("""{"a":"/srv/secret/corpus/","b":["/data/x/y.bin","plain text","https://host/path"],"c":{"d":"C:\\Users\\me\\m"},"n":3}""");

        var stripped = BundlePaths.Strip(json, ["/data"])!;

        Assert.Equal("corpus", (string?)stripped["a"]);
        Assert.Equal("x/y.bin", (string?)stripped["b"]![0]);
        Assert.Equal("plain text", (string?)stripped["b"]![1]);
        Assert.Equal("https://host/path", (string?)stripped["b"]![2]);
        Assert.Equal("m", (string?)stripped["c"]!["d"]);
        Assert.Equal(3, (int)stripped["n"]!);
    }

    [Theory]
    [InlineData(2, 4096, "0.049 %")]
    [InlineData(1, 4096, "0.024 %")]
    [InlineData(1, 200_000, "<0.01 %")]
    [InlineData(0, 4096, "0 %")]
    [InlineData(41, 100, "41 %")]
    [InlineData(3, 200, "1.5 %")]
    public void Report_coverage_shares_never_round_a_nonzero_count_to_zero(int part, int whole, string expected) =>
        Assert.Equal(expected, ReportHtml.Percent(part, whole));

    [Fact]
    public void Catalog_csv_writes_token_text_with_real_spaces_not_the_on_screen_marker()
    {
        var tokenizer = SaeWorkbench.Ml.Lm.Tokenization.Gpt2Tokenizer.Load(DemoModelFolder());
        var war = tokenizer.Encode(" war");
        Assert.Single(war);
        var record = new CatalogRecord(0, new CatalogConsensus("Unlabelled", null, null), [],
            new CatalogStats(0.01, 2, 1, false),
            new CatalogLogits([new CatalogToken(war[0], BundleExporter.Token(tokenizer, war[0]), 1)], []), null);

        var csv = CatalogCsv.Write([record]);

        Assert.Contains(", war,", csv);
        Assert.DoesNotContain("·", csv);
    }

    private static string DemoModelFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) return Path.Combine(dir.FullName, "models", "demo-gpt2");
        throw new DirectoryNotFoundException("the repository root (SaeWorkbench.sln) is not above the test binaries");
    }
}
