namespace SaeWorkbench.Research.Explanations.Providers;

/// <summary>Thrown when a job's token budget is spent; the job stops, and a restart continues where it stopped.</summary>
public sealed class TokenBudgetExhaustedException(long budget, long spent)
    : Exception($"The job's token budget of {budget:N0} tokens is spent ({spent:N0} used); start it again with a larger budget to continue — finished latents are not redone.")
{
    public long Budget { get; } = budget;
    public long Spent { get; } = spent;
}

/// <summary>
/// A chat model with a token budget: no request starts once the tokens the server reported (prompt + completion)
/// reach the budget. Requests already in flight finish, so a job can overshoot by at most its concurrency × one request.
/// </summary>
public sealed class BudgetedChatModel(IChatModel inner, long budget) : IChatModel
{
    private long _spent;
    private int _calls;

    public string ModelName => inner.ModelName;
    public long Spent => Interlocked.Read(ref _spent);
    public int Calls => Volatile.Read(ref _calls);
    public long Budget => budget;

    public async Task<ChatReply> CompleteAsync(ChatRequest request, CancellationToken ct = default)
    {
        if (Spent >= budget) throw new TokenBudgetExhaustedException(budget, Spent);
        var reply = await inner.CompleteAsync(request, ct);
        Interlocked.Add(ref _spent, reply.TotalTokens);
        Interlocked.Increment(ref _calls);
        return reply;
    }
}
