using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Features;

namespace SaeWorkbench.Research.Tests.Features;

/// <summary>The list preview the analysis stores per latent: peak tokens with counts and the strongest context, with the demo model's tokenizer.</summary>
public sealed class LatentPreviewTests
{
    private static readonly ITokenizer Tokenizer = TokenizerFolder.Load(DemoModel());

    private static string DemoModel()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) return Path.Combine(dir.FullName, "models", "demo-gpt2");
        throw new DirectoryNotFoundException("the repository root (SaeWorkbench.sln) is not above the test binaries");
    }

    private static DashboardExample Example(int[] before, string peak, int[] after)
    {
        int[] ids = [.. before, .. Tokenizer.Encode(peak), .. after];
        var activations = new float[ids.Length];
        activations[before.Length] = 3;
        return new DashboardExample(ids, activations, before.Length, 0, before.Length);
    }

    [Fact]
    public void Peak_tokens_are_counted_over_the_top_contexts_and_the_strongest_context_is_cut_around_its_peak()
    {
        Assert.Single(Tokenizer.Encode(" the"));
        Assert.Single(Tokenizer.Encode(" of"));
        var before = Tokenizer.Encode(" and so the long and bitter years of the great northern");
        var after = Tokenizer.Encode(" ended at last in the spring of the year");
        var dashboard = new LatentDashboard(new LatentStatistics(0, 10, 100, 3, 1), [], [
            Example(before, " the", after), Example([Tokenizer.EndOfTextId], " of", []), Example(Tokenizer.Encode("and"), " the", []),
        ], []);

        var (tokens, context) = LatentPreview.From(dashboard, Tokenizer);

        Assert.Equal([new TokenCount(" the", 2), new TokenCount(" of", 1)], LatentPreview.ParseTokens(tokens));
        Assert.True(before.Length > LatentPreview.Before && after.Length > LatentPreview.After);
        Assert.Equal(new ContextSnippet(Tokenizer.Decode(before[^LatentPreview.Before..]), " the", Tokenizer.Decode(after[..LatentPreview.After])),
            LatentPreview.ParseContext(context));
    }

    [Fact]
    public void A_latent_that_never_fired_has_no_preview()
    {
        var dead = new LatentDashboard(new LatentStatistics(0, 0, 100, 0, 0), [], [], []);
        Assert.Equal((null, null), LatentPreview.From(dead, Tokenizer));
        Assert.Empty(LatentPreview.ParseTokens(null));
        Assert.Null(LatentPreview.ParseContext(""));
    }

    [Fact]
    public void Stored_texts_fit_their_columns_and_still_parse()
    {
        var long1 = new string('x', 300);
        var tokens = LatentPreview.EncodeTokens([new(long1, 3), new(long1, 2), new("\u001Eodd\u001F", 1)]);
        Assert.True(tokens.Length <= PreviewLengths.TopTokens);
        Assert.Equal([new TokenCount(long1, 3)], LatentPreview.ParseTokens(tokens));   // whole entries dropped, never cut
        var context = LatentPreview.EncodeContext(new ContextSnippet(new string('b', 700) + "near", " peak", "next" + new string('a', 700)));
        Assert.True(context.Length <= PreviewLengths.TopContext);
        var parsed = LatentPreview.ParseContext(context)!;
        Assert.Equal(" peak", parsed.Peak);
        Assert.EndsWith("near", parsed.Before);   // the text nearest the peak is kept
        Assert.StartsWith("next", parsed.After);
        Assert.Equal([new TokenCount(" odd ", 1)], LatentPreview.ParseTokens(LatentPreview.EncodeTokens([new("\u001Eodd\u001F", 1)])));
    }
}
