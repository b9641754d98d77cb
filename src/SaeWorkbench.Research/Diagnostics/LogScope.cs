using System.Collections;
using System.Globalization;

namespace SaeWorkbench.Research.Diagnostics;

/// <summary>
/// A logging scope of named values. The JSON console reads it as key/value pairs (it is a list of them); the
/// plain console prints its <see cref="ToString"/>, "JobId:7 JobKind:train", where a bare dictionary would print
/// its type name ("Dictionary`2[…]").
/// </summary>
public sealed class LogScope(params (string Key, object? Value)[] values) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _values = values.Select(v => new KeyValuePair<string, object?>(v.Key, v.Value)).ToArray();

    public KeyValuePair<string, object?> this[int index] => _values[index];
    public int Count => _values.Length;
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() =>
        string.Join(" ", _values.Select(v => v.Key + ":" + Convert.ToString(v.Value, CultureInfo.InvariantCulture)));
}
