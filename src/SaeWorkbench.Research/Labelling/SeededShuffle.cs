namespace SaeWorkbench.Research.Labelling;

/// <summary>
/// A reproducible shuffle: SplitMix64 (Steele, Lea and Flood 2014, "Fast splittable pseudorandom
/// number generators") driving Fisher–Yates. Written out rather than System.Random so that a stored
/// seed gives the same order on every .NET version and platform.
/// </summary>
internal sealed class SeededShuffle(long seed)
{
    private ulong _state = unchecked((ulong)seed);

    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            // Modulo bias is below 2^-50 for lists this size.
            var j = (int)(Next() % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private ulong Next()
    {
        unchecked
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
