using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

public class AgreementTests
{
    /// <summary>
    /// Reliability data of Krippendorff, K. (2011), "Computing Krippendorff's Alpha-Reliability",
    /// https://repository.upenn.edu/asc_papers/43, section C: 4 observers, 12 units, missing values
    /// (unit 12 has one value and is dropped; n = 40). Published: nominal α = 0.743, interval α = 0.849.
    /// </summary>
    private static readonly int?[][] Krippendorff2011 =
    [
        //         units 1 .. 12
        /* A */ [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
        /* B */ [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
        /* C */ [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
        /* D */ [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
    ];

    private static List<CodedValue<T>> Rows<T>(IReadOnlyList<IReadOnlyList<T?>> byCoder) where T : struct =>
        byCoder.SelectMany((row, coder) => row.Select((value, unit) => (value, unit))
                .Where(p => p.value.HasValue)
                .Select(p => new CodedValue<T>($"u{p.unit + 1}", $"c{coder}", p.value!.Value)))
            .ToList();

    private static List<CodedValue<string>> Rows(params string[][] byCoder) =>
        byCoder.SelectMany((row, coder) => row.Select((value, unit) => (value, unit))
                .Where(p => p.value != ".")
                .Select(p => new CodedValue<string>($"u{p.unit + 1}", $"c{coder}", p.value)))
            .ToList();

    /// <summary>
    /// An independent computation without a coincidence matrix: Krippendorff's pairwise form
    /// α = 1 − (n − 1) · Σ_u [Σ_{i≠j in u} δ²(v_i, v_j) / (m_u − 1)] / Σ_{i≠j over all pairable values} δ²(v_i, v_j).
    /// </summary>
    private static double BruteForceAlpha<T>(IEnumerable<CodedValue<T>> data, Func<T, T, double> delta) where T : notnull
    {
        var units = data.GroupBy(v => v.UnitId).Select(g => g.Select(v => v.Value).ToList()).Where(u => u.Count >= 2).ToList();
        var all = units.SelectMany(u => u).ToList();
        double within = 0;
        foreach (var unit in units)
        {
            double sum = 0;
            for (var i = 0; i < unit.Count; i++)
                for (var j = 0; j < unit.Count; j++)
                    if (i != j) sum += delta(unit[i], unit[j]);
            within += sum / (unit.Count - 1);
        }
        double between = 0;
        for (var i = 0; i < all.Count; i++)
            for (var j = 0; j < all.Count; j++)
                if (i != j) between += delta(all[i], all[j]);
        return 1 - (all.Count - 1) * within / between;
    }

    [Fact]
    public void Nominal_alpha_matches_krippendorffs_published_example_with_missing_data()
    {
        var data = Rows<int>(Krippendorff2011);

        var result = Agreement.Nominal(data);

        Assert.Equal(0.743, result.Alpha, precision: 3);
        Assert.Equal(BruteForceAlpha(data, Agreement.NominalDelta), result.Alpha, precision: 12);
        Assert.Equal(11, result.Units);
        Assert.Equal(40, result.PairableValues);
    }

    [Fact]
    public void Interval_alpha_matches_krippendorffs_published_example_with_missing_data()
    {
        var data = Rows<int>(Krippendorff2011).Select(v => new CodedValue<double>(v.UnitId, v.CoderId, v.Value)).ToList();

        var result = Agreement.Interval(data);

        Assert.Equal(0.849, result.Alpha, precision: 3);
        Assert.Equal(BruteForceAlpha(data, Agreement.IntervalDelta), result.Alpha, precision: 12);
    }

    [Fact]
    public void Nominal_alpha_matches_krippendorffs_two_observer_example()
    {
        // Krippendorff (2011), section B: nominal data, two observers, no missing data; α = 0.692.
        var data = Rows(
            ["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"],
            ["b", "a", "b", "b", "b", "c", "c", "c", "e", "d", "d", "d"]);

        Assert.Equal(0.692, Agreement.Nominal(data).Alpha, precision: 3);
    }

    [Fact]
    public void Nominal_alpha_matches_krippendorffs_binary_example()
    {
        // Krippendorff (2011), section A: binary data, two observers, no missing data; α = 0.095.
        var data = Rows(
            ["0", "1", "0", "0", "0", "0", "0", "0", "1", "0"],
            ["1", "1", "1", "0", "0", "1", "0", "0", "0", "0"]);

        Assert.Equal(0.095, Agreement.Nominal(data).Alpha, precision: 3);
    }

    [Fact]
    public void Perfect_agreement_gives_alpha_one()
    {
        var data = Rows(["syntax", "entity", "syntax", "polysemantic"], ["syntax", "entity", "syntax", "polysemantic"], ["syntax", ".", "syntax", "polysemantic"]);

        var result = Agreement.Nominal(data);

        Assert.True(result.IsDefined);
        Assert.Equal(1.0, result.Alpha, precision: 12);
    }

    [Fact]
    public void A_single_value_everywhere_leaves_alpha_undefined()
    {
        var result = Agreement.Nominal(Rows(["syntax", "syntax"], ["syntax", "syntax"]));

        Assert.False(result.IsDefined);
        Assert.True(double.IsNaN(result.Alpha));
        Assert.Equal("Every value is the same, so there is no variation to agree on.", result.UndefinedReason);
    }

    [Fact]
    public void Units_coded_by_one_coder_are_dropped()
    {
        var withSingles = Rows(["a", "b", "a", "x"], ["a", "b", "b", "."], [".", ".", ".", "y"]);
        var withoutSingles = Rows(["a", "b", "a"], ["a", "b", "b"]);
        withSingles.RemoveAll(v => v.UnitId == "u4" && v.CoderId == "c0"); // u4 keeps only c2's "y"

        Assert.Equal(Agreement.Nominal(withoutSingles).Alpha, Agreement.Nominal(withSingles).Alpha, precision: 12);
        Assert.Equal(3, Agreement.Nominal(withSingles).Units);
    }

    [Fact]
    public void No_unit_with_two_coders_leaves_alpha_undefined()
    {
        var result = Agreement.Nominal(Rows(["a", "."], [".", "b"]));

        Assert.False(result.IsDefined);
        Assert.Equal(0, result.Units);
        Assert.Equal("No unit was coded by two or more coders.", result.UndefinedReason);
    }

    [Fact]
    public void Systematic_disagreement_gives_negative_alpha()
    {
        Assert.True(Agreement.Nominal(Rows(["a", "b", "a", "b"], ["b", "a", "b", "a"])).Alpha < 0);
    }

    [Fact]
    public void Interval_alpha_counts_near_misses_as_partial_agreement()
    {
        var near = Rows<double>([[1, 2, 3, 4, 5], [1, 2, 3, 5, 4]]);
        var far = Rows<double>([[1, 2, 3, 4, 5], [1, 2, 3, 1, 5]]);

        Assert.True(Agreement.Interval(near).Alpha > Agreement.Interval(far).Alpha);
        Assert.Equal(BruteForceAlpha(near, Agreement.IntervalDelta), Agreement.Interval(near).Alpha, precision: 12);
    }

    [Fact]
    public void Two_values_from_one_coder_for_one_unit_are_refused()
    {
        var data = new[] { new CodedValue<string>("u1", "ann", "a"), new CodedValue<string>("u1", "ann", "b") };

        var error = Assert.Throws<ArgumentException>(() => Agreement.Nominal(data));
        Assert.StartsWith("Coder \"ann\" has two values for unit \"u1\"", error.Message);
    }

    [Fact]
    public void Non_finite_interval_values_are_refused() =>
        Assert.Throws<ArgumentException>(() => Agreement.Interval([new("u1", "a", double.NaN), new("u1", "b", 1)]));

    [Fact]
    public void Pair_agreement_uses_only_the_units_both_coders_coded()
    {
        var data = Rows<int>(Krippendorff2011);

        var pairs = Agreement.ByCoderPair(data, Agreement.NominalDelta);

        Assert.Equal(6, pairs.Count);
        var ab = pairs.Single(p => p.CoderA == "c0" && p.CoderB == "c1");
        Assert.Equal(9, ab.SharedUnits);   // A coded units 1–9, B coded all of them
        Assert.Equal(8, ab.AgreeingUnits); // they differ on unit 6
        Assert.Equal(8.0 / 9, ab.PercentAgreement!.Value, precision: 12);
        var abOnly = data.Where(v => v.CoderId is "c0" or "c1" && int.Parse(v.UnitId[1..]) <= 9);
        Assert.Equal(Agreement.Nominal(abOnly).Alpha, ab.Alpha.Alpha, precision: 12);
        var ac = pairs.Single(p => p.CoderA == "c0" && p.CoderB == "c2");
        Assert.Equal(8, ac.SharedUnits);   // C did not code unit 1
    }

    [Fact]
    public void Coders_who_share_no_unit_form_no_pair()
    {
        var pairs = Agreement.ByCoderPair(Rows(["a", "."], [".", "b"]), Agreement.NominalDelta);

        Assert.Empty(pairs);
    }

    [Fact]
    public void Each_coders_agreement_with_others_sums_their_pairs()
    {
        var pairs = Agreement.ByCoderPair(Rows(["a", "b", "c"], ["a", "b", "x"], ["a", ".", "c"]), Agreement.NominalDelta);

        var byCoder = Agreement.ByCoder(pairs);

        // c0–c1 share 3 units and agree on 2; c0–c2 share 2 and agree on 2; c1–c2 share 2 and agree on 1.
        Assert.Equal(
            [new CoderAgreement("c0", 2, 5, 4), new CoderAgreement("c1", 2, 5, 3), new CoderAgreement("c2", 2, 4, 3)],
            byCoder.ToArray());
        Assert.Equal(0.8, byCoder[0].PercentAgreement!.Value, precision: 12);
    }
}
