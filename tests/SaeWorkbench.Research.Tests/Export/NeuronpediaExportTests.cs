using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Export;

namespace SaeWorkbench.Research.Tests.Export;

/// <summary>The Neuronpedia bulk export against the fields Neuronpedia's own export writes (Neuronpedia/README.md says how they were read).</summary>
public class NeuronpediaExportTests
{
    private static JsonObject Reference([CallerFilePath] string source = "") =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(source)!, "Neuronpedia", "neuronpedia-export-fields.json")))!.AsObject();

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

    private static List<JsonObject> Rows(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }

    private static List<JsonObject> AllRows(string folder) =>
        Directory.GetFiles(folder, "batch-*.jsonl.gz").OrderBy(f => int.Parse(Path.GetFileName(f)[6..^9])).SelectMany(Rows).ToList();

    [Fact]
    public async Task Every_file_has_Neuronpedias_layout_and_field_names_and_carries_the_labels_and_dashboards()
    {
        await using var w = await ExportWorkspace.StartAsync();
        var id = await w.AddDictionaryAsync("np", ExportWorkspace.RandomSae(1));
        await w.LabelAsync(id);
        var reference = Reference();
        var output = Path.Combine(w.Folder, "np-export");
        // Five rows per batch instead of 1,024, so twelve latents span three batches.
        var result = await w.Get<NeuronpediaExporter>().ExportAsync(id, new ExportOptions(Format: ExportFormat.Neuronpedia), output, batchSize: 5);

        await using var db = w.Db();
        var dictionary = await db.Dictionaries.SingleAsync(d => d.Id == id);
        Assert.Equal(dictionary.ModelName, result.ModelId);
        Assert.Equal("0-res-sw", result.SourceId);
        var source = Path.Combine(output, result.ModelId, result.SourceId);
        foreach (var (file, key) in new[] { ("model.jsonl", "model"), ("sourceset.jsonl", "sourceset"), ("source.jsonl", "source") })
        {
            var row = JsonNode.Parse(File.ReadAllLines(Path.Combine(source, file)).Single())!.AsObject();
            Assert.Equal(Strings(reference[key]), row.Select(kv => kv.Key));
        }

        // features: one row per latent in index order, 5 per batch, Neuronpedia's columns in its order on every row.
        Assert.Equal(["batch-0.jsonl.gz", "batch-1.jsonl.gz", "batch-2.jsonl.gz"],
            Directory.GetFiles(Path.Combine(source, "features")).Select(Path.GetFileName).Order());
        Assert.Equal(5, Rows(Path.Combine(source, "features", "batch-0.jsonl.gz")).Count);
        var features = AllRows(Path.Combine(source, "features"));
        Assert.Equal(Enumerable.Range(0, ExportWorkspace.DSae).Select(i => i.ToString()), features.Select(f => f["index"]!.GetValue<string>()));
        Assert.All(features, f => Assert.Equal(Strings(reference["features"]), f.Select(kv => kv.Key)));
        var latents = await db.Latents.Where(l => l.DictionaryId == id).OrderBy(l => l.Index).ToListAsync();
        for (var i = 0; i < latents.Count; i++)
        {
            Assert.Equal(latents[i].Density ?? 0, features[i]["frac_nonzero"]!.GetValue<double>(), 9);
            Assert.Equal("res-sw", features[i]["sourceSetName"]!.GetValue<string>());
        }
        var view = (await w.Get<SaeWorkbench.Research.Analysis.FeatureDashboardReader>().GetAsync(id, 3))!;
        Assert.Equal(view.MaxActivation, features[3]["maxActApprox"]!.GetValue<double>(), 6);
        Assert.Equal(view.Histogram.Select(c => (double)c), features[3]["freq_hist_data_bar_heights"]!.AsArray().Select(n => n!.GetValue<double>()));
        Assert.Equal(view.Neighbours.Select(n => n.LatentIndex), features[3]["topkCosSimIndices"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal(view.LogitPositive.Length, features[3]["pos_str"]!.AsArray().Count);

        // activations: batch N holds the contexts of features 5N … 5N + 4; top contexts have no bin, interval samples do.
        var activations = AllRows(Path.Combine(source, "activations"));
        Assert.All(activations, a => Assert.Equal(Strings(reference["activations"]), a.Select(kv => kv.Key)));
        Assert.All(Rows(Path.Combine(source, "activations", "batch-1.jsonl.gz")), a => Assert.InRange(int.Parse(a["index"]!.GetValue<string>()), 5, 9));
        var ofThree = activations.Where(a => a["index"]!.GetValue<string>() == "3").ToList();
        Assert.Equal(view.TopExamples.Count + view.Intervals.Sum(b => b.Examples.Count), ofThree.Count);
        Assert.Null(ofThree[0]["binMin"]);
        Assert.Equal(ofThree.Count, ofThree.Select(a => a["id"]!.GetValue<string>()).Distinct().Count());
        var top = ofThree[0];
        Assert.Equal(view.TopExamples[0].TokenIds.Length, top["tokens"]!.AsArray().Count);
        Assert.Equal(view.TopExamples[0].PeakOffset, top["maxValueTokenIndex"]!.GetValue<int>());

        // explanations: every interpretation, the label as Neuronpedia's description, one creator for all rows.
        var explanations = AllRows(Path.Combine(source, "explanations"));
        Assert.All(explanations, e => Assert.Equal(Strings(reference["explanations"]), e.Select(kv => kv.Key)));
        var labels = await db.Interpretations.Where(i => !i.IsDeleted).Select(i => i.Label).ToListAsync();
        Assert.Equal(labels.Order(), explanations.Select(e => e["description"]!.GetValue<string>()).Order());
        Assert.All(explanations, e => Assert.Equal(NeuronpediaExporter.DefaultCreatorId, e["authorId"]!.GetValue<string>()));
        Assert.Contains(explanations, e => e["index"]!.GetValue<string>() == "2" && e["description"]!.GetValue<string>() == "numbers after a dollar sign");

        // Every required column is present and not null on every row; no user name leaves in any file.
        foreach (var (kind, rows) in new[] { ("features", features), ("activations", activations), ("explanations", explanations) })
            foreach (var column in Strings(reference["required"]![kind]))
                Assert.All(rows, r => Assert.NotNull(r[column]));
        var everything = string.Concat(Directory.GetFiles(source, "*", SearchOption.AllDirectories)
            .Select(f => f.EndsWith(".gz") ? string.Join("\n", Rows(f).Select(r => r.ToJsonString())) : File.ReadAllText(f)));
        foreach (var person in w.People) Assert.DoesNotContain(person.UserName, everything);
    }

    [Fact]
    public async Task A_machine_explanation_carries_delphis_type_and_its_model_and_a_persons_carries_neither()
    {
        await using var w = await ExportWorkspace.StartAsync();
        var id = await w.AddDictionaryAsync("np", ExportWorkspace.RandomSae(3));
        await w.LabelAsync(id);
        var model = await w.Get<SaeWorkbench.Research.Explanations.ModelAccounts>().EnsureAsync("judge-8b");
        var made = await w.Labelling.CreateInterpretationAsync(model, await w.LatentIdAsync(id, 7),
            new SaeWorkbench.Research.Labelling.InterpretationDraft("Names of months.", "", 3, null), "judge-8b", CancellationToken.None);
        Assert.True(made.Succeeded, made.Validation.ToString());

        var result = await w.Get<NeuronpediaExporter>().ExportAsync(id, new ExportOptions(Format: ExportFormat.Neuronpedia), Path.Combine(w.Folder, "np-export"));

        var explanations = AllRows(Path.Combine(result.Path, result.ModelId, result.SourceId, "explanations"));
        var machine = Assert.Single(explanations, e => e["description"]!.GetValue<string>() == "Names of months.");
        Assert.Equal(NeuronpediaExplanations.MachineType, machine["typeName"]!.GetValue<string>());
        Assert.Equal("judge-8b", machine["explanationModelName"]!.GetValue<string>());
        var people = explanations.Where(e => e != machine).ToList();
        Assert.Equal(4, people.Count);
        Assert.All(people, e => Assert.Null(e["typeName"]));
        Assert.All(people, e => Assert.Null(e["explanationModelName"]));
    }

    [Fact]
    public async Task Neuronpedias_batch_size_is_1024_and_the_job_writes_one_zip_with_the_source_folder()
    {
        Assert.Equal(1024, NeuronpediaExporter.BatchSize);
        Assert.Equal(1024, Reference()["batch_size"]!.GetValue<int>());
        await using var w = await ExportWorkspace.StartAsync();
        var id = await w.AddDictionaryAsync("np", ExportWorkspace.RandomSae(2));
        await w.LabelAsync(id);
        var zip = Path.Combine(w.Folder, "np.zip");
        var options = new ExportRequest { DictionaryId = id, Format = "neuronpedia", Only = "labelled", CreatorId = "team-7" }.ToOptions();
        var result = await w.Get<NeuronpediaExporter>().ExportAsync(id, options, zip);
        using var archive = ZipFile.OpenRead(zip);
        var names = archive.Entries.Select(e => e.FullName.Replace('\\', '/')).Where(n => !n.EndsWith('/')).Order().ToList();
        var prefix = $"{result.ModelId}/{result.SourceId}/";
        Assert.Equal([prefix + "activations/batch-0.jsonl.gz", prefix + "explanations/batch-0.jsonl.gz", prefix + "features/batch-0.jsonl.gz",
            prefix + "model.jsonl", prefix + "source.jsonl", prefix + "sourceset.jsonl"], names);
        Assert.Equal(3, result.Features);                                   // latents 2, 5 and 9 are labelled
        Assert.Equal(4, result.Explanations);
        Assert.Contains("\"creatorId\":\"team-7\"", new StreamReader(archive.GetEntry(prefix + "model.jsonl")!.Open()).ReadToEnd());
        Assert.Contains("format: 'csv'", Assert.Single(new ExportRequest { DictionaryId = id, Format = "csv" }.Validate()));
    }
}
