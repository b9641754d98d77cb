using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// Reads a PyTorch <c>torch.save</c> file (zip: <c>{name}/data.pkl</c> + <c>{name}/data/{key}</c>) that holds a plain
/// state dict of tensors (dictionary_learning's <c>ae.pt</c>, docs/science.md §11) without running any pickle code.
/// The pickle is interpreted, not executed: only the opcodes a tensor state dict uses are understood, and only the
/// globals torch writes for one (<c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>,
/// <c>torch._utils._rebuild_parameter</c>, <c>torch.*Storage</c>) may be named; anything else is refused with the reason.
/// </summary>
public static class TorchStateDict
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> Storages = new()
    {
        ["FloatStorage"] = (ScalarType.Float32, 4),
        ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["IntStorage"] = (ScalarType.Int32, 4),
        ["LongStorage"] = (ScalarType.Int64, 8),
    };

    private sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    private sealed record StorageRef(string Key, string Kind, long Elements);

    private sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    private sealed class PyDict
    {
        public readonly List<(object? Key, object? Value)> Items = [];
    }

    private sealed class Mark;

    /// <summary>Every tensor of the state dict by name; the caller owns them.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException)
        {
            throw new SaeFormatException(path, "(file)",
                "is not a zip-format torch.save file (legacy or raw pickle files are refused: they can run code); re-save it with PyTorch ≥ 1.6, or convert it: " +
                "python -c \"import torch,safetensors.torch as s; s.save_file({k:v.contiguous() for k,v in torch.load('ae.pt').items()}, 'ae.safetensors')\"");
        }
        using (zip)
        {
            var pkl = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
            if (pkl.Count != 1) throw new SaeFormatException(path, "data.pkl", $"expected one pickle entry, found {pkl.Count}");
            var prefix = pkl[0].FullName[..^"data.pkl".Length];
            if (zip.GetEntry(prefix + "byteorder") is { } order)
            {
                using var r = new StreamReader(order.Open());
                var text = r.ReadToEnd().Trim();
                if (text != "little") throw new SaeFormatException(path, "byteorder", $"is '{text}'; only little-endian files are read");
            }
            if (pkl[0].Length > 64 << 20) throw new SaeFormatException(path, "data.pkl", "is larger than a state dict's pickle can be");
            var bytes = new byte[pkl[0].Length];
            using (var s = pkl[0].Open()) s.ReadExactly(bytes);
            var root = new Unpickler(bytes, path).Run();
            if (root is not PyDict dict) throw new SaeFormatException(path, "data.pkl", $"holds a {Describe(root)}, not a state dict");
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            try
            {
                foreach (var (key, value) in dict.Items)
                {
                    if (key is not string name) throw new SaeFormatException(path, "data.pkl", $"has a key {Describe(key)}; state dict keys are strings");
                    if (value is not TensorRef t) throw new SaeFormatException(path, name, $"is a {Describe(value)}, not a tensor");
                    if (result.ContainsKey(name)) throw new SaeFormatException(path, name, "appears twice");
                    result[name] = Materialise(zip, prefix, t, path, name);
                }
            }
            catch
            {
                foreach (var t in result.Values) t.Dispose();
                throw;
            }
            return result;
        }
    }

    private static Tensor Materialise(ZipArchive zip, string prefix, TensorRef t, string path, string name)
    {
        var (type, size) = Storages[t.Storage.Kind];
        var entry = zip.GetEntry($"{prefix}data/{t.Storage.Key}")
                    ?? throw new SaeFormatException(path, name, $"its storage data/{t.Storage.Key} is missing from the archive");
        if (entry.Length != t.Storage.Elements * size)
            throw new SaeFormatException(path, name, $"storage data/{t.Storage.Key} holds {entry.Length} bytes, the pickle says {t.Storage.Elements} × {size}");
        if (t.Size.Length != t.Stride.Length) throw new SaeFormatException(path, name, "size and stride have different lengths");
        if (t.Size.Any(d => d < 0) || t.Stride.Any(d => d < 0) || t.Offset < 0) throw new SaeFormatException(path, name, "has a negative size, stride or offset");
        // The largest element index the view touches must lie inside the storage.
        long last = t.Offset;
        var isEmpty = t.Size.Any(d => d == 0);
        for (var i = 0; i < t.Size.Length && !isEmpty; i++) last += (t.Size[i] - 1) * t.Stride[i];
        if (!isEmpty && last >= t.Storage.Elements)
            throw new SaeFormatException(path, name, $"view (offset {t.Offset}, size [{string.Join(", ", t.Size)}], stride [{string.Join(", ", t.Stride)}]) runs past its {t.Storage.Elements}-element storage");
        if (entry.Length > int.MaxValue) throw new SaeFormatException(path, name, "is over 2 GiB, which this reader does not support");
        using var scope = NewDisposeScope();
        var storage = empty(new[] { t.Storage.Elements }, type);
        using (var s = entry.Open()) s.ReadExactly(storage.bytes);
        var view = isEmpty ? zeros(t.Size, type) : storage.as_strided(t.Size, t.Stride, t.Offset);
        return view.contiguous().clone().MoveToOuterDisposeScope();
    }

    private static string Describe(object? o) => o switch
    {
        null => "None",
        string => "string",
        long => "integer",
        double => "float",
        bool => "bool",
        PyDict => "dict",
        List<object?> => "tuple or list",
        TensorRef => "tensor",
        Global g => $"global {g}",
        _ => o.GetType().Name,
    };

    /// <summary>A pickle interpreter for the opcodes of protocols 2–4 that a tensor state dict uses; nothing is ever called.</summary>
    private sealed class Unpickler(byte[] data, string path)
    {
        private int _pos;
        private readonly List<object?> _stack = [];
        private readonly Dictionary<long, object?> _memo = [];

        private SaeFormatException Refuse(string problem) => new(path, "data.pkl", problem);

        public object? Run()
        {
            while (true)
            {
                if (_pos >= data.Length) throw Refuse("ends before its STOP opcode");
                var op = data[_pos++];
                switch (op)
                {
                    case 0x80: _pos++; break;                                                  // PROTO
                    case 0x95: Skip(8); break;                                                 // FRAME
                    case (byte)'.': return Pop();                                              // STOP
                    case (byte)'}': Push(new PyDict()); break;                                 // EMPTY_DICT
                    case (byte)')': Push(new List<object?>()); break;                          // EMPTY_TUPLE
                    case (byte)']': Push(new List<object?>()); break;                          // EMPTY_LIST
                    case (byte)'(': Push(new Mark()); break;                                   // MARK
                    case (byte)'N': Push(null); break;                                         // NONE
                    case 0x88: Push(true); break;                                              // NEWTRUE
                    case 0x89: Push(false); break;                                             // NEWFALSE
                    case (byte)'K': Push((long)data[Need(1)]); _pos += 1; break;               // BININT1
                    case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(Need(2)))); _pos += 2; break; // BININT2
                    case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(Need(4)))); _pos += 4; break;  // BININT
                    case 0x8a: Push(Long1()); break;                                           // LONG1
                    case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(data.AsSpan(Need(8)))); _pos += 8; break;          // BINFLOAT
                    case (byte)'X': Push(Utf8((int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(Need(4))), 4)); break;     // BINUNICODE
                    case 0x8c: Push(Utf8(data[Need(1)], 1)); break;                            // SHORT_BINUNICODE
                    case (byte)'q': _memo[data[Need(1)]] = Peek(); _pos += 1; break;           // BINPUT
                    case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(Need(4)))] = Peek(); _pos += 4; break; // LONG_BINPUT
                    case 0x94: _memo[_memo.Count] = Peek(); break;                             // MEMOIZE
                    case (byte)'h': Push(Get(data[Need(1)])); _pos += 1; break;                // BINGET
                    case (byte)'j': Push(Get(BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(Need(4))))); _pos += 4; break; // LONG_BINGET
                    case 0x85: Push(new List<object?> { Pop() }); break;                      // TUPLE1
                    case 0x86: { var b = Pop(); var a = Pop(); Push(new List<object?> { a, b }); break; } // TUPLE2
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new List<object?> { a, b, c }); break; } // TUPLE3
                    case (byte)'t': Push(PopMark()); break;                                    // TUPLE
                    case (byte)'l': Push(PopMark()); break;                                    // LIST
                    case (byte)'e': { var items = PopMark(); if (Peek() is List<object?> l) l.AddRange(items); else throw Refuse("APPENDS onto a non-list"); break; }
                    case (byte)'a': { var v = Pop(); if (Peek() is List<object?> l) l.Add(v); else throw Refuse("APPEND onto a non-list"); break; }
                    case (byte)'s': { var v = Pop(); var k = Pop(); DictOnTop().Items.Add((k, v)); break; } // SETITEM
                    case (byte)'u':                                                            // SETITEMS
                    {
                        var items = PopMark();
                        if (items.Count % 2 != 0) throw Refuse("SETITEMS with an odd number of items");
                        var d = DictOnTop();
                        for (var i = 0; i < items.Count; i += 2) d.Items.Add((items[i], items[i + 1]));
                        break;
                    }
                    case (byte)'c': Push(GlobalOf(Line(), Line())); break;                     // GLOBAL
                    case 0x93: { var name = Pop() as string; var module = Pop() as string; Push(GlobalOf(module ?? "?", name ?? "?")); break; } // STACK_GLOBAL
                    case (byte)'Q': Push(PersistentLoad(Pop())); break;                        // BINPERSID
                    case (byte)'R': { var args = Pop(); var f = Pop(); Push(Reduce(f, args)); break; } // REDUCE
                    case (byte)'b':                                                            // BUILD
                    {
                        var state = Pop();
                        // An OrderedDict's state is its attributes (a state dict's _metadata of module versions).
                        if (Peek() is not PyDict || state is not PyDict) throw Refuse($"BUILD of a {Describe(Peek())} with {Describe(state)} state; only a state dict's metadata is accepted");
                        break;
                    }
                    default:
                        throw Refuse($"uses pickle opcode 0x{op:x2} at byte {_pos - 1}, which a plain tensor state dict does not; refusing to interpret it");
                }
            }
        }

        private int Need(int n)
        {
            if (_pos + n > data.Length) throw Refuse("is truncated");
            return _pos;
        }

        private void Skip(int n) { Need(n); _pos += n; }

        private string Utf8(int length, int prefix)
        {
            _pos += prefix;
            Need(length);
            var s = Encoding.UTF8.GetString(data, _pos, length);
            _pos += length;
            return s;
        }

        private long Long1()
        {
            var n = data[Need(1)];
            _pos += 1;
            Need(n);
            if (n > 8) throw Refuse("has an integer wider than 64 bits");
            long v = 0;
            for (var i = n - 1; i >= 0; i--) v = (v << 8) | data[_pos + i];
            if (n is > 0 and < 8 && (data[_pos + n - 1] & 0x80) != 0) v -= 1L << (8 * n);
            _pos += n;
            return v;
        }

        private string Line()
        {
            var end = Array.IndexOf(data, (byte)'\n', _pos);
            if (end < 0) throw Refuse("is truncated inside a GLOBAL name");
            var s = Encoding.ASCII.GetString(data, _pos, end - _pos);
            _pos = end + 1;
            return s;
        }

        private void Push(object? o) => _stack.Add(o);

        private object? Pop()
        {
            if (_stack.Count == 0 || _stack[^1] is Mark) throw Refuse("pops from an empty stack");
            var o = _stack[^1];
            _stack.RemoveAt(_stack.Count - 1);
            return o;
        }

        private object? Peek() => _stack.Count == 0 ? throw Refuse("reads an empty stack") : _stack[^1];

        private object? Get(long key) => _memo.TryGetValue(key, out var v) ? v : throw Refuse($"reads memo entry {key}, which was never stored");

        private List<object?> PopMark()
        {
            var i = _stack.FindLastIndex(o => o is Mark);
            if (i < 0) throw Refuse("has no MARK for a collection");
            var items = _stack.GetRange(i + 1, _stack.Count - i - 1);
            _stack.RemoveRange(i, _stack.Count - i);
            return items;
        }

        private PyDict DictOnTop() => Peek() as PyDict ?? throw Refuse($"sets items on a {Describe(Peek())}");

        private Global GlobalOf(string module, string name)
        {
            var ok = (module, name) switch
            {
                ("collections", "OrderedDict") => true,
                ("torch._utils", "_rebuild_tensor_v2") => true,
                ("torch._utils", "_rebuild_parameter") => true,
                ("torch", _) when Storages.ContainsKey(name) => true,
                _ => false,
            };
            if (!ok) throw Refuse($"names {module}.{name}, which a plain tensor state dict never does; refusing to load it (pickle globals can run code)");
            return new Global(module, name);
        }

        private StorageRef PersistentLoad(object? pid)
        {
            // torch's persistent id: ('storage', storage type, key, location, number of elements).
            if (pid is not List<object?> { Count: 5 } t || t[0] as string != "storage" || t[1] is not Global { Module: "torch" } type
                || t[2] is not string key || t[4] is not long elements || elements < 0)
                throw Refuse($"has a persistent id {Describe(pid)} that is not a torch storage reference");
            if (key.Contains('/') || key.Contains('\\') || key.Contains("..", StringComparison.Ordinal)) throw Refuse($"names storage '{key}', which is not a plain key");
            return new StorageRef(key, type.Name, elements);
        }

        private object? Reduce(object? callable, object? args)
        {
            if (callable is not Global g) throw Refuse($"calls a {Describe(callable)}");
            if (args is not List<object?> a) throw Refuse($"calls {g} with {Describe(args)} arguments");
            switch (g.Module, g.Name)
            {
                case ("collections", "OrderedDict"):
                    if (a.Count != 0) throw Refuse("builds an OrderedDict from arguments");
                    return new PyDict();
                case ("torch._utils", "_rebuild_tensor_v2"):
                {
                    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                    if (a.Count < 6 || a[0] is not StorageRef storage || a[1] is not long offset || a[2] is not List<object?> size
                        || a[3] is not List<object?> stride || a[4] is not bool || a[5] is not PyDict { Items.Count: 0 })
                        throw Refuse("calls _rebuild_tensor_v2 with arguments that are not a plain tensor's (storage, offset, size, stride, requires_grad, no hooks)");
                    if (a.Count > 6 && a[6] is not (null or PyDict { Items.Count: 0 })) throw Refuse("rebuilds a tensor with metadata (e.g. a tensor subclass)");
                    return new TensorRef(storage, offset, Longs(size), Longs(stride));
                }
                case ("torch._utils", "_rebuild_parameter"):
                    if (a.Count != 3 || a[0] is not TensorRef tensor || a[1] is not bool || a[2] is not PyDict { Items.Count: 0 })
                        throw Refuse("calls _rebuild_parameter with arguments that are not (tensor, requires_grad, no hooks)");
                    return tensor;
                default:
                    throw Refuse($"calls {g}, which only names a type here");
            }
        }

        private long[] Longs(List<object?> items) =>
            items.Select(o => o is long l ? l : throw Refuse("has a tensor size or stride that is not an integer")).ToArray();
    }
}
