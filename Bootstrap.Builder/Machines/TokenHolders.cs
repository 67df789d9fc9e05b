using System.Collections.Concurrent;
using Bootstrap.Builder.Storage.Database;
using Dapper;

namespace Bootstrap.Builder.Machines;

/// <summary>
/// Who holds a machine's <c>bootstrap_token</c> (migration 0010): the address the assigned boot
/// script carrying it was first served to. Anyone may ask <c>/provision/&lt;mac&gt;</c>, so the token
/// alone proves nothing; bound to the address, a stranger elsewhere who read it cannot report a
/// status or fetch the answer file (one who spoofs the holder's address on its own network still
/// can). The database's first writer is the holder every instance ends up with; the boot path
/// itself never waits for it (see <see cref="HandedOut"/>).
/// </summary>
public sealed class TokenHolders(BootstrapDatabase database, Action<string> warn)
{
    /// <summary>How often the holder is served its answer file: an installer fetches it once; the rest is for its retries.</summary>
    public const int AnswerFetches = 3;

    // A holder never changes once bound (first writer wins in the database), so each instance may remember it.
    // Only this instance's first answer can be taken back: by the database's, when another instance bound it first.
    private readonly ConcurrentDictionary<string, string> _holders = new();

    // Two writes at once at most: the boot path's rows must not take the database's connections.
    private readonly SemaphoreSlim _writers = new(2, 2);

    /// <summary>
    /// The assigned script with <paramref name="token"/> goes to <paramref name="address"/>: the first
    /// one to get it holds it. The boot path does not wait for the database: this instance takes the
    /// address at once, and the row is written behind, a few at a time (a thousand machines booting
    /// together would otherwise take every database connection); the database's first writer wins
    /// and this instance then takes its answer. A write that fails is tried again at the next boot.
    /// </summary>
    public void HandedOut(string machineId, string token, string address)
    {
        if (!_holders.TryAdd(token, address))
            return;
        _ = Task.Run(async () =>
        {
            await _writers.WaitAsync();
            try
            {
                await using var db = database.Open();
                await InsertAsync(db, machineId, token, address);
                await db.ExecuteAsync("DELETE FROM machine_token_holders WHERE machine_id = @machineId AND token <> @token", new { machineId, token });
                if (await db.ExecuteScalarAsync<string?>("SELECT address FROM machine_token_holders WHERE token = @token", new { token }) is { } holder)
                    _holders[token] = holder;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or InvalidOperationException)
            {
                _holders.TryRemove(token, out _);
                warn($"machine {machineId}: could not record who holds its token ({e.Message}); recorded at its next boot");
            }
            finally
            {
                _writers.Release();
            }
        });
    }

    /// <summary>The address holding <paramref name="token"/>, or null while no boot script carried it yet.</summary>
    public async Task<string?> HolderAsync(string token)
    {
        if (_holders.TryGetValue(token, out var holder))
            return holder;
        await using var db = database.Open();
        holder = await db.ExecuteScalarAsync<string?>("SELECT address FROM machine_token_holders WHERE token = @token", new { token });
        return holder == null ? null : _holders.GetOrAdd(token, holder);
    }

    /// <summary>
    /// Counts one serving of the answer file; false when it was served <see cref="AnswerFetches"/>
    /// times already. The holder's row is made here if its write behind has not landed yet.
    /// </summary>
    public async Task<bool> TakeAnswerFetchAsync(string machineId, string token)
    {
        await using var db = database.Open();
        if (await HolderAsync(token) is { } holder)
            await InsertAsync(db, machineId, token, holder);
        return await db.ExecuteAsync("UPDATE machine_token_holders SET answer_fetches = answer_fetches + 1 WHERE token = @token AND answer_fetches < @max",
            new { token, max = AnswerFetches }) == 1;
    }

    /// <summary>The holder's row, unless one is there already (the first writer wins).</summary>
    private Task InsertAsync(System.Data.Common.DbConnection db, string machineId, string token, string address) =>
        db.ExecuteAsync("INSERT INTO machine_token_holders (token, machine_id, address, answer_fetches, bound) VALUES (@token, @machineId, @address, 0, @bound) " +
                        "ON CONFLICT (token) DO NOTHING", new { token, machineId, address, bound = database.Clock.GetUtcNow().ToString("O") });
}
