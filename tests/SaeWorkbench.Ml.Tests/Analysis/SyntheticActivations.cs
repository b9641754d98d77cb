using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Analysis;

/// <summary>
/// Token windows and latent activations with known answers: BOS (0) starts every window and ends some documents
/// mid-window, BOS positions carry large activations that must never count, and latent <see cref="Dead"/> never fires.
/// </summary>
internal sealed class SyntheticActivations
{
    public const long Bos = 0;
    public const int Dead = 3;
    public readonly long[][] Windows;        // [W][T]
    public readonly float[][][] F;           // [W][T][m]
    public readonly int Latents, Length;

    public SyntheticActivations(int windows = 12, int length = 24, int latents = 7, int seed = 1)
    {
        var rng = new Random(seed);
        Latents = latents;
        Length = length;
        Windows = new long[windows][];
        F = new float[windows][][];
        for (var w = 0; w < windows; w++)
        {
            Windows[w] = new long[length];
            F[w] = new float[length][];
            for (var t = 0; t < length; t++)
            {
                Windows[w][t] = t == 0 || rng.NextDouble() < 0.08 ? Bos : rng.Next(1, 50);
                F[w][t] = new float[latents];
                for (var i = 0; i < latents; i++)
                {
                    if (i == Dead && Windows[w][t] != Bos) continue;
                    if (Windows[w][t] == Bos) F[w][t][i] = 100f + i;                  // must be ignored
                    else if (rng.NextDouble() < 0.35 + 0.05 * i) F[w][t][i] = (float)(0.01 + rng.NextDouble() * (1 + i));
                }
            }
        }
    }

    /// <summary>Windows [from, to) as ([B, T] ids, [B, T, m] activations).</summary>
    public (Tensor Ids, Tensor F) Batch(int from, int to)
    {
        var ids = Windows[from..to].SelectMany(w => w).ToArray();
        var f = F[from..to].SelectMany(w => w.SelectMany(x => x)).ToArray();
        return (tensor(ids, new long[] { to - from, Length }), tensor(f, new long[] { to - from, Length, Latents }));
    }

    /// <summary>Every counted activation of latent <paramref name="latent"/>: (window, position, value), f &gt; 0, not BOS.</summary>
    public List<(int W, int T, float V)> Active(int latent)
    {
        var list = new List<(int, int, float)>();
        for (var w = 0; w < Windows.Length; w++)
        for (var t = 0; t < Length; t++)
            if (Windows[w][t] != Bos && F[w][t][latent] > 0) list.Add((w, t, F[w][t][latent]));
        return list;
    }

    public long CountedTokens => Windows.Sum(w => w.LongCount(id => id != Bos));
}
