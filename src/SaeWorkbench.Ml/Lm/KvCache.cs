using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>
/// Keys and values of the positions already processed, one entry per block, so that generation feeds
/// only the new token through the model. Owns its tensors: dispose it when the generation ends.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Number of positions cached so far.</summary>
    public int Length { get; private set; }

    /// <summary>
    /// Appends this step's keys and values ([batch, heads, new_pos, d_head]) for one layer and returns the
    /// full keys and values ([batch, heads, past + new_pos, d_head]).
    /// </summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var k = _keys[layer] is { } pastK ? cat([pastK, keys], 2) : keys.detach().clone();
        var v = _values[layer] is { } pastV ? cat([pastV, values], 2) : values.detach().clone();
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        // The cache outlives the dispose scope of the step that produced it.
        _keys[layer] = k.detach().DetachFromDisposeScope();
        _values[layer] = v.detach().DetachFromDisposeScope();
        return (_keys[layer]!, _values[layer]!);
    }

    /// <summary>Called by the model after every block has appended: the new positions now count as past.</summary>
    internal void Advance(int newPositions) => Length += newPositions;

    public void Dispose()
    {
        foreach (var t in _keys) t?.Dispose();
        foreach (var t in _values) t?.Dispose();
        Array.Clear(_keys);
        Array.Clear(_values);
    }
}
