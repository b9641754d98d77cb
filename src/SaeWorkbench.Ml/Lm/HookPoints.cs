using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>
/// The hooks registered on one model, by hook name. A module calls <see cref="Apply"/> at each hook point;
/// every registered hook sees the activation in registration order and may replace it.
/// </summary>
public sealed class HookPoints
{
    private readonly Dictionary<string, List<Func<Tensor, Tensor>>> _hooks = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names;
    private readonly string[] _ordered;
    private readonly object _gate = new();

    /// <param name="names">The model's hook names in forward order (the order an unknown name's message lists them in).</param>
    public HookPoints(IEnumerable<string> names)
    {
        _ordered = names.ToArray();
        _names = new HashSet<string>(_ordered, StringComparer.Ordinal);
    }

    /// <summary>When set, reaching this hook ends the forward pass (see <see cref="HookReachedException"/>).</summary>
    internal string? StopAt { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> with <see cref="UnknownHookMessage"/> unless the model has hook <paramref name="name"/>.</summary>
    public void RequireKnown(string name)
    {
        if (!_names.Contains(name)) throw new ArgumentException(UnknownHookMessage(name, _ordered));
    }

    /// <summary>The one message for a hook name a model does not have: names it and lists the valid ones.</summary>
    public static string UnknownHookMessage(string hook, IEnumerable<string> validHooks) =>
        $"unknown hook '{hook}'; valid hooks: {string.Join(", ", validHooks)}";

    /// <summary>Throws <see cref="ArgumentException"/> with <see cref="UnknownHookMessage"/> unless <paramref name="hookNames"/> holds <paramref name="hook"/>.</summary>
    public static void RequireKnown(IReadOnlyList<string> hookNames, string hook)
    {
        if (!hookNames.Contains(hook)) throw new ArgumentException(UnknownHookMessage(hook, hookNames));
    }

    /// <summary>The one message for a hook whose width is not the dictionary's: <paramref name="what"/> names the dictionary's side ("the SAE's d_in").</summary>
    public static string WidthMessage(string what, int expected, string hook, int width) =>
        $"{what} is {expected} but hook '{hook}' has width {width}";

    /// <summary>Throws <see cref="ArgumentException"/> with <see cref="WidthMessage"/> unless <paramref name="hook"/> of <paramref name="model"/> has width <paramref name="expected"/>.</summary>
    public static void RequireWidth(IHookedLanguageModel model, string hook, int expected, string what)
    {
        var width = model.HookWidth(hook);
        if (width != expected) throw new ArgumentException(WidthMessage(what, expected, hook, width));
    }

    public IDisposable Add(string name, Func<Tensor, Tensor> hook)
    {
        RequireKnown(name);
        lock (_gate)
        {
            if (!_hooks.TryGetValue(name, out var list)) _hooks[name] = list = [];
            list.Add(hook);
        }
        return new Registration(this, name, hook);
    }

    /// <summary>Runs the hooks registered at <paramref name="name"/> on <paramref name="activation"/>.</summary>
    public Tensor Apply(string name, Tensor activation)
    {
        Func<Tensor, Tensor>[] hooks;
        lock (_gate)
            hooks = _hooks.TryGetValue(name, out var list) ? [.. list] : [];
        foreach (var hook in hooks)
        {
            var replaced = hook(activation);
            if (!replaced.shape.SequenceEqual(activation.shape))
                throw new InvalidOperationException(
                    $"Hook at '{name}' returned shape [{string.Join(", ", replaced.shape)}] " +
                    $"instead of [{string.Join(", ", activation.shape)}]");
            activation = replaced;
        }
        if (StopAt == name) throw new HookReachedException(activation);
        return activation;
    }

    private void Remove(string name, Func<Tensor, Tensor> hook)
    {
        lock (_gate)
            if (_hooks.TryGetValue(name, out var list)) list.Remove(hook);
    }

    private sealed class Registration(HookPoints owner, string name, Func<Tensor, Tensor> hook) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            owner.Remove(name, hook);
        }
    }
}

/// <summary>Ends a forward pass early once the requested hook point has been computed.</summary>
internal sealed class HookReachedException(Tensor activation) : Exception("Hook point reached")
{
    public Tensor Activation { get; } = activation;
}
