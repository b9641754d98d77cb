namespace SaeWorkbench.Research.Steering;

/// <summary>
/// Which tokens of an intervened continuation differ from the baseline's: a token is unchanged when it belongs to a
/// longest common subsequence of the two token id sequences (the alignment a text diff makes), so a continuation
/// that says the same thing after an inserted word is marked only at that word.
/// </summary>
public static class TokenDiff
{
    /// <summary>Per token of <paramref name="variant"/>, whether it is not matched in <paramref name="baseline"/>.</summary>
    public static bool[] Changed(IReadOnlyList<int> baseline, IReadOnlyList<int> variant)
    {
        var (n, m) = (baseline.Count, variant.Count);
        // lcs[i, j]: length of a longest common subsequence of baseline[i..] and variant[j..].
        var lcs = new int[n + 1, m + 1];
        for (var i = n - 1; i >= 0; i--)
            for (var j = m - 1; j >= 0; j--)
                lcs[i, j] = baseline[i] == variant[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var changed = new bool[m];
        Array.Fill(changed, true);
        for (int i = 0, j = 0; i < n && j < m;)
        {
            if (baseline[i] == variant[j]) { changed[j] = false; i++; j++; }
            else if (lcs[i + 1, j] >= lcs[i, j + 1]) i++;
            else j++;
        }
        return changed;
    }

    /// <summary>The first position where the two sequences differ (the shorter's length when one is a prefix; null when equal).</summary>
    public static int? FirstDifference(IReadOnlyList<int> baseline, IReadOnlyList<int> variant)
    {
        var shared = Math.Min(baseline.Count, variant.Count);
        for (var i = 0; i < shared; i++)
            if (baseline[i] != variant[i]) return i;
        return baseline.Count == variant.Count ? null : shared;
    }
}
