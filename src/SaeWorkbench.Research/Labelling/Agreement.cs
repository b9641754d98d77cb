namespace SaeWorkbench.Research.Labelling;

/// <summary>One coder's value for one unit: a labeller's tag or confidence for a latent.</summary>
public sealed record CodedValue<T>(string UnitId, string CoderId, T Value) where T : notnull;

/// <summary>Krippendorff's alpha and the figures behind it.</summary>
/// <param name="Alpha">NaN when undefined; see <see cref="UndefinedReason"/>.</param>
/// <param name="Units">Units coded by at least two coders (the others carry no information on agreement).</param>
/// <param name="PairableValues">n: the values in those units.</param>
/// <param name="ObservedDisagreement">D_o.</param>
/// <param name="ExpectedDisagreement">D_e.</param>
public sealed record AlphaResult(double Alpha, int Units, int PairableValues, double ObservedDisagreement, double ExpectedDisagreement, string? UndefinedReason)
{
    public bool IsDefined => UndefinedReason is null;
}

/// <summary>How two coders agree on the units both coded.</summary>
/// <param name="AgreeingUnits">Units where both gave exactly the same value.</param>
public sealed record PairAgreement(string CoderA, string CoderB, int SharedUnits, int AgreeingUnits, AlphaResult Alpha)
{
    /// <summary>Share of shared units with identical values; null when they share none.</summary>
    public double? PercentAgreement => SharedUnits == 0 ? null : (double)AgreeingUnits / SharedUnits;
}

/// <summary>One labeller's row of the Agreement page: how often they agree with everyone else.</summary>
/// <param name="Partners">Other coders sharing at least one unit with this one.</param>
/// <param name="SharedUnits">Unit-pairings with others (a unit shared with two others counts twice).</param>
public sealed record CoderAgreement(string CoderId, int Partners, int SharedUnits, int AgreeingUnits)
{
    public double? PercentAgreement => SharedUnits == 0 ? null : (double)AgreeingUnits / SharedUnits;
}

/// <summary>
/// Agreement between labellers, Krippendorff's alpha (nominal on tags, interval on
/// confidence) by the coincidence-matrix method of Krippendorff, K. (2011), "Computing Krippendorff's
/// Alpha-Reliability", Annenberg School for Communication, University of Pennsylvania,
/// https://repository.upenn.edu/asc_papers/43, section C (any number of coders, missing data):
///   o_ck = Σ_u Σ_{i≠j in u} [v_i = c][v_j = k] / (m_u − 1)   over units with m_u ≥ 2 values,
///   n_c = Σ_k o_ck,  n = Σ_c n_c,
///   α = 1 − D_o / D_e = 1 − (n − 1) Σ_{c,k} o_ck δ²_ck / Σ_{c,k} n_c n_k δ²_ck.
/// Missing data are simply absent rows; units coded by fewer than two coders are dropped. Alpha is
/// undefined (NaN, with a reason) when no unit has two values, or when every pairable value is the
/// same (D_e = 0: there is no variation to agree on).
/// </summary>
public static class Agreement
{
    /// <summary>δ² for nominal data: 0 when equal, else 1.</summary>
    public static double NominalDelta<T>(T a, T b) where T : notnull => EqualityComparer<T>.Default.Equals(a, b) ? 0 : 1;

    /// <summary>δ² for interval data: the squared difference.</summary>
    public static double IntervalDelta(double a, double b) => (a - b) * (a - b);

    public static AlphaResult Nominal<T>(IEnumerable<CodedValue<T>> data) where T : notnull => KrippendorffAlpha(data, NominalDelta);

    public static AlphaResult Interval(IEnumerable<CodedValue<double>> data)
    {
        var list = data.ToList();
        if (list.Any(v => !double.IsFinite(v.Value))) throw new ArgumentException("Interval values must be finite numbers.", nameof(data));
        return KrippendorffAlpha(list, IntervalDelta);
    }

    /// <summary>Alpha for any difference function δ² (symmetric, zero on equal values).</summary>
    public static AlphaResult KrippendorffAlpha<T>(IEnumerable<CodedValue<T>> data, Func<T, T, double> deltaSquared) where T : notnull
    {
        var units = GroupByUnit(data).Where(u => u.Count >= 2).ToList();
        var values = units.SelectMany(u => u).Distinct().ToList();
        var index = values.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i);

        // The coincidence matrix: each ordered pair of values in a unit, weighted 1 / (m_u − 1).
        var coincidences = new double[values.Count, values.Count];
        foreach (var unit in units)
        {
            var weight = 1.0 / (unit.Count - 1);
            for (var i = 0; i < unit.Count; i++)
                for (var j = 0; j < unit.Count; j++)
                    if (i != j) coincidences[index[unit[i]], index[unit[j]]] += weight;
        }

        var marginals = new double[values.Count];
        for (var c = 0; c < values.Count; c++)
            for (var k = 0; k < values.Count; k++) marginals[c] += coincidences[c, k];
        var n = marginals.Sum();

        if (units.Count == 0)
            return Undefined(0, 0, "No unit was coded by two or more coders.");

        double observed = 0, expected = 0;
        for (var c = 0; c < values.Count; c++)
            for (var k = 0; k < values.Count; k++)
            {
                if (c == k) continue;
                var delta = deltaSquared(values[c], values[k]);
                observed += coincidences[c, k] * delta;
                expected += marginals[c] * marginals[k] * delta;
            }
        var observedDisagreement = observed / n;
        var expectedDisagreement = expected / (n * (n - 1));
        var pairable = (int)Math.Round(n);

        if (expectedDisagreement == 0)
            return Undefined(units.Count, pairable, "Every value is the same, so there is no variation to agree on.");
        return new AlphaResult(1 - observedDisagreement / expectedDisagreement, units.Count, pairable,
            observedDisagreement, expectedDisagreement, null);
    }

    /// <summary>
    /// For every pair of coders who share at least one unit: the units both coded, how many of those
    /// got identical values, and alpha over those units with only those two coders.
    /// Pairs are ordered by coder id (ordinal), CoderA &lt; CoderB.
    /// </summary>
    public static IReadOnlyList<PairAgreement> ByCoderPair<T>(IEnumerable<CodedValue<T>> data, Func<T, T, double> deltaSquared) where T : notnull
    {
        var list = data.ToList();
        GroupByUnit(list); // rejects duplicate (unit, coder) rows
        var byCoder = list.GroupBy(v => v.CoderId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToDictionary(v => v.UnitId, v => v.Value, StringComparer.Ordinal), StringComparer.Ordinal);
        var coders = byCoder.Keys.Order(StringComparer.Ordinal).ToList();

        var pairs = new List<PairAgreement>();
        for (var a = 0; a < coders.Count; a++)
            for (var b = a + 1; b < coders.Count; b++)
            {
                var first = byCoder[coders[a]];
                var second = byCoder[coders[b]];
                var shared = first.Keys.Where(second.ContainsKey).ToList();
                if (shared.Count == 0) continue;
                var agreeing = shared.Count(u => EqualityComparer<T>.Default.Equals(first[u], second[u]));
                var pairData = shared.SelectMany(u => new[]
                {
                    new CodedValue<T>(u, coders[a], first[u]),
                    new CodedValue<T>(u, coders[b], second[u]),
                });
                pairs.Add(new PairAgreement(coders[a], coders[b], shared.Count, agreeing, KrippendorffAlpha(pairData, deltaSquared)));
            }
        return pairs;
    }

    /// <summary>Per coder, the pair figures summed over all their partners, ordered by coder id.</summary>
    public static IReadOnlyList<CoderAgreement> ByCoder(IEnumerable<PairAgreement> pairs) =>
        pairs.SelectMany(p => new[] { (Coder: p.CoderA, Pair: p), (Coder: p.CoderB, Pair: p) })
            .GroupBy(x => x.Coder, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CoderAgreement(g.Key, g.Count(), g.Sum(x => x.Pair.SharedUnits), g.Sum(x => x.Pair.AgreeingUnits)))
            .ToList();

    private static AlphaResult Undefined(int units, int pairable, string reason) =>
        new(double.NaN, units, pairable, double.NaN, double.NaN, reason);

    private static List<List<T>> GroupByUnit<T>(IEnumerable<CodedValue<T>> data) where T : notnull
    {
        var units = new Dictionary<string, List<T>>(StringComparer.Ordinal);
        var seen = new HashSet<(string, string)>();
        foreach (var value in data)
        {
            if (!seen.Add((value.UnitId, value.CoderId)))
                throw new ArgumentException(
                    $"Coder \"{value.CoderId}\" has two values for unit \"{value.UnitId}\"; pass one value per coder per unit.", nameof(data));
            if (!units.TryGetValue(value.UnitId, out var unit)) units[value.UnitId] = unit = [];
            unit.Add(value.Value);
        }
        return units.Values.ToList();
    }
}
