namespace SaeWorkbench.Ml.Lm.Generation;

/// <summary>The queue already holds its capacity of waiting requests.</summary>
public sealed class InferenceQueueFullException(int capacity)
    : Exception($"The model is busy: {capacity} requests are already waiting. Try again shortly.")
{
    public int Capacity { get; } = capacity;
}

/// <summary>
/// One bounded queue per loaded model: requests run one at a time, in arrival order, on a single worker
/// thread, so a model is never used by two threads at once. A waiting request learns its position
/// (1 = next; 0 = running) whenever the queue moves, and can be cancelled while waiting or running.
/// </summary>
public sealed class InferenceQueue : IDisposable
{
    private readonly LinkedList<Request> _waiting = new();
    private readonly object _gate = new();
    private readonly Thread _worker;
    private bool _disposed;
    private long _busyTicks;

    public InferenceQueue(int capacity, string name = "inference")
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), "at least 1");
        Capacity = capacity;
        _worker = new Thread(Work) { IsBackground = true, Name = name };
        _worker.Start();
    }

    /// <summary>Most requests that may wait (the running one not counted).</summary>
    public int Capacity { get; }

    /// <summary>Time the worker has spent running requests so far (model loads included): how busy the model is.</summary>
    public TimeSpan BusyTime => TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks));

    /// <summary>Requests waiting now.</summary>
    public int Waiting
    {
        get { lock (_gate) return _waiting.Count; }
    }

    /// <summary>
    /// Queues <paramref name="work"/>; throws <see cref="InferenceQueueFullException"/> at once when full.
    /// <paramref name="position"/> receives 1, 2, … while waiting and 0 when the work starts.
    /// </summary>
    public Task<T> EnqueueAsync<T>(Func<CancellationToken, T> work, IProgress<int>? position = null,
        CancellationToken cancellation = default)
    {
        var request = new Request<T>(work, position, cancellation);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_waiting.Count >= Capacity) throw new InferenceQueueFullException(Capacity);
            request.Node = _waiting.AddLast(request);
            position?.Report(_waiting.Count);
            Monitor.Pulse(_gate);
        }
        request.Registration = cancellation.Register(() => Cancel(request));
        return request.Completion.Task;
    }

    private void Cancel(Request request)
    {
        lock (_gate)
        {
            if (request.Node?.List is null) return; // already running or finished: the work sees the token
            _waiting.Remove(request.Node);
            ReportPositions();
        }
        request.SetCancelled();
    }

    private void ReportPositions()
    {
        var position = 1;
        foreach (var waiting in _waiting) waiting.Position?.Report(position++);
    }

    private void Work()
    {
        while (true)
        {
            Request request;
            lock (_gate)
            {
                while (_waiting.Count == 0 && !_disposed) Monitor.Wait(_gate);
                if (_waiting.Count == 0) return;
                request = _waiting.First!.Value;
                _waiting.RemoveFirst();
                ReportPositions();
            }
            request.Position?.Report(0);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            request.Run();
            Interlocked.Add(ref _busyTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
        }
    }

    /// <summary>Stops accepting work, cancels what is waiting and lets the running request finish.</summary>
    public void Dispose()
    {
        List<Request> cancelled;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            cancelled = [.. _waiting];
            _waiting.Clear();
            Monitor.PulseAll(_gate);
        }
        foreach (var request in cancelled) request.SetCancelled();
        _worker.Join();
    }

    private abstract class Request
    {
        public LinkedListNode<Request>? Node { get; set; }
        public CancellationTokenRegistration Registration { get; set; }
        public abstract IProgress<int>? Position { get; }
        public abstract void Run();
        public abstract void SetCancelled();
    }

    private sealed class Request<T>(Func<CancellationToken, T> work, IProgress<int>? position, CancellationToken cancellation) : Request
    {
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override IProgress<int>? Position => position;

        public override void Run()
        {
            try
            {
                cancellation.ThrowIfCancellationRequested();
                Completion.TrySetResult(work(cancellation));
            }
            catch (OperationCanceledException)
            {
                Completion.TrySetCanceled(cancellation);
            }
            catch (Exception e)
            {
                Completion.TrySetException(e);
            }
            finally
            {
                Registration.Dispose();
            }
        }

        public override void SetCancelled()
        {
            Registration.Dispose();
            Completion.TrySetCanceled(cancellation);
        }
    }
}
