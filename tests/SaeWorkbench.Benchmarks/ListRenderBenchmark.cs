using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using MudBlazor.Services;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Web.Components.Features;

namespace SaeWorkbench.Benchmarks;

/// <summary>
/// What the feature list's own components cost to prerender, without HTTP, the layout or the query: one page of 50 rows
/// (five top tokens and a context each) rendered to HTML with <see cref="HtmlRenderer"/>, as the server prerenders it,
/// beside the same rows with a MudLink and a caption MudText per row (how the table was written before), the same rows
/// written with the default HtmlEncoder instead of the host's page encoder, and the filters form; and the layout's theme provider (CSS kept per theme and mode) beside MudThemeProvider. Interleaved batches, medians of process CPU per page; the shared machine's load moves all of them alike.
/// Arguments: [batches = 30] [pages per batch = 20].
/// </summary>
public sealed class ListRenderBenchmark : IBenchmark
{
    public string Name => "list-render";
    public string Description => "feature list rows and filters prerendered to HTML: CPU per page, plain rows vs a component per cell";

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        var batches = args.Count > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 30;
        var perBatch = args.Count > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20;
        using var provider = Services(pageEncoder: true);
        using var renderer = new HtmlRenderer(provider, NullLoggerFactory.Instance);
        using var defaultProvider = Services(pageEncoder: false);
        using var defaultEncoding = new HtmlRenderer(defaultProvider, NullLoggerFactory.Instance);

        var rows = Rows(50);
        Func<int, string> href = i => $"dictionaries/2/features/{i}?sort=density&desc=true";
        var table = ParameterView.FromDictionary(new Dictionary<string, object?> { [nameof(FeatureTable.Rows)] = rows, [nameof(FeatureTable.Href)] = href });
        var filters = ParameterView.FromDictionary(new Dictionary<string, object?> { [nameof(FeatureFilters.Query)] = new FeatureQuery() });
        var perCell = ParameterView.FromDictionary(new Dictionary<string, object?> { [nameof(ComponentPerCellRows.Rows)] = rows, [nameof(ComponentPerCellRows.Href)] = href });
        var theme = ParameterView.FromDictionary(new Dictionary<string, object?>
        {
            [nameof(MudThemeProvider.Theme)] = SaeWorkbench.Web.Components.Layout.WorkbenchTheme.Theme, [nameof(MudThemeProvider.IsDarkMode)] = false,
            [nameof(MudThemeProvider.ObserveSystemDarkModeChange)] = false,
        });

        static string Render<T>(HtmlRenderer on, ParameterView parameters) where T : IComponent =>
            on.Dispatcher.InvokeAsync(async () => (await on.RenderComponentAsync<T>(parameters)).ToHtmlString()).GetAwaiter().GetResult();
        Action Pages<T>(HtmlRenderer on, ParameterView parameters) where T : IComponent => () => { for (var i = 0; i < perBatch; i++) Render<T>(on, parameters); };

        (string What, Action Run, int Chars)[] cases =
        [
            ("FeatureTable, 50 plain rows (as shipped)", Pages<FeatureTable>(renderer, table), Render<FeatureTable>(renderer, table).Length),
            ("the same rows with a MudLink and a MudText per row", Pages<ComponentPerCellRows>(renderer, perCell), Render<ComponentPerCellRows>(renderer, perCell).Length),
            ("FeatureTable with the default encoder (non-ASCII as entities)", Pages<FeatureTable>(defaultEncoding, table), Render<FeatureTable>(defaultEncoding, table).Length),
            ("FeatureFilters (native controls)", Pages<FeatureFilters>(renderer, filters), Render<FeatureFilters>(renderer, filters).Length),
            ("WorkbenchThemeProvider (CSS kept per theme and mode)", Pages<SaeWorkbench.Web.Components.Layout.WorkbenchThemeProvider>(renderer, theme), Render<SaeWorkbench.Web.Components.Layout.WorkbenchThemeProvider>(renderer, theme).Length),
            ("MudThemeProvider (CSS generated on every render)", Pages<MudThemeProvider>(renderer, theme), Render<MudThemeProvider>(renderer, theme).Length),
        ];
        var results = Measure.Interleaved(batches, 3, cases.Select(c => c.Run).ToArray());
        output.WriteLine($"{batches} interleaved batches of {perBatch} pages, medians; {Measure.LoadAverage()}");
        for (var i = 0; i < cases.Length; i++)
            output.WriteLine(FormattableString.Invariant(
                $"{cases[i].What,-66} {results[i].Cpu * 1000 / perBatch,6:F3} ms CPU, {results[i].Wall * 1000 / perBatch,6:F3} ms wall per page, {cases[i].Chars:N0} chars"));
    }

    private static ServiceProvider Services(bool pageEncoder)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMudServices();
        if (pageEncoder) services.AddSingleton(SaeWorkbench.Web.Hosting.WorkbenchHostExtensions.PageEncoder); // as the host registers it
        services.AddSingleton<Microsoft.JSInterop.IJSRuntime, NoBrowser>(); // the theme provider asks for one; a prerender never calls it
        return services.BuildServiceProvider();
    }

    /// <summary>A prerender has no browser to call: any call is a mistake in the benchmark.</summary>
    private sealed class NoBrowser : Microsoft.JSInterop.IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => throw new InvalidOperationException($"{identifier} called in a prerender");

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => InvokeAsync<TValue>(identifier, args);
    }

    private static FeatureRow[] Rows(int count)
    {
        string[] words = [" war", " the", " peace", "ing", " of", "\n", " 1812", " army"];
        return Enumerable.Range(0, count).Select(i => new FeatureRow(
            1000 + i, 0.0001 * (i + 1), 3.5 + i, 1.2, false, (LabelStatus)(i % 4), i % 3 == 0 ? null : $"label number {i} & <more>",
            i % 2 == 0 ? "syntax" : null,
            TopTokens: LatentPreview.EncodeTokens(Enumerable.Range(0, 5).Select(t => new TokenCount(words[(i + t) % words.Length], 12 - t))),
            TopContext: LatentPreview.EncodeContext(new ContextSnippet("the long and costly", words[i % words.Length], " that followed in the spring")),
            BestScore: i % 5 == 0 ? 0.75 : null)).ToArray();
    }

    /// <summary>
    /// The reference: the table's rows written with a MudLink for the index and a caption MudText for the status (the
    /// cells' other content much as in <see cref="FeatureTable"/>), so the figure shows what a component per row costs.
    /// </summary>
    private sealed class ComponentPerCellRows : ComponentBase
    {
        [Parameter] public IReadOnlyList<FeatureRow> Rows { get; set; } = [];
        [Parameter] public Func<int, string> Href { get; set; } = i => i.ToString(System.Globalization.CultureInfo.InvariantCulture);

        protected override void BuildRenderTree(RenderTreeBuilder b)
        {
            b.OpenComponent<MudSimpleTable>(0);
            b.AddAttribute(1, nameof(MudSimpleTable.Dense), true);
            b.AddAttribute(2, nameof(MudSimpleTable.ChildContent), (RenderFragment)(body =>
            {
                body.OpenElement(3, "tbody");
                foreach (var r in Rows)
                {
                    body.OpenElement(4, "tr");
                    body.SetKey(r.Index);
                    body.OpenElement(5, "td");
                    body.OpenComponent<MudLink>(6);
                    body.AddAttribute(7, nameof(MudLink.Href), Href(r.Index));
                    body.AddAttribute(8, nameof(MudLink.ChildContent), (RenderFragment)(c => c.AddContent(9, "#" + r.Index)));
                    body.CloseComponent();
                    body.CloseElement();
                    body.OpenElement(10, "td");
                    body.OpenElement(11, "div");
                    body.AddContent(12, r.ConsensusLabel ?? "—");
                    body.CloseElement();
                    body.OpenComponent<MudText>(13);
                    body.AddAttribute(14, nameof(MudText.Typo), Typo.caption);
                    body.AddAttribute(15, nameof(MudText.ChildContent), (RenderFragment)(c => c.AddContent(16, r.LabelStatus.ToString())));
                    body.CloseComponent();
                    body.CloseElement();
                    body.OpenElement(17, "td");
                    foreach (var t in r.Tokens)
                    {
                        body.OpenElement(18, "span");
                        body.AddAttribute(19, "class", "token-chip");
                        body.AddContent(20, TokenText.Visible(t.Token));
                        body.OpenElement(21, "small");
                        body.AddContent(22, "×" + t.Count);
                        body.CloseElement();
                        body.CloseElement();
                    }
                    if (r.Context is { } ctx)
                    {
                        body.OpenElement(23, "div");
                        body.AddContent(24, TokenText.OneLine(ctx.Before));
                        body.OpenElement(25, "mark");
                        body.AddContent(26, TokenText.OneLine(ctx.Peak));
                        body.CloseElement();
                        body.AddContent(27, TokenText.OneLine(ctx.After));
                        body.CloseElement();
                    }
                    body.CloseElement();
                    body.OpenElement(28, "td");
                    body.OpenElement(29, "span");
                    body.AddAttribute(30, "class", "density-bar");
                    body.OpenElement(31, "span");
                    body.AddAttribute(32, "style", "width:" + FeatureTable.DensityBar(r));
                    body.CloseElement();
                    body.CloseElement();
                    body.AddContent(33, FeatureTable.Density(r));
                    body.CloseElement();
                    body.OpenElement(34, "td");
                    body.AddContent(35, r.MaxActivation?.ToString("G4", System.Globalization.CultureInfo.InvariantCulture));
                    body.CloseElement();
                    body.OpenElement(36, "td");
                    body.AddContent(37, r.BestScore?.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
                    body.CloseElement();
                    body.CloseElement();
                }
                body.CloseElement();
            }));
            b.CloseComponent();
        }
    }
}
