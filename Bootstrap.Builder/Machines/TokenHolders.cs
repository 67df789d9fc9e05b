using System.Collections.Concurrent;
using Bootstrap.Builder.Storage.Database;
using Dapper;

namespace Bootstrap.Builder.Machines;

/// <summary>
/// Who holds a machine's <c>bootstrap_token</c> (migration 0010): the address the assigned boot
/// script carrying it was first served to. Anyone may ask <c>/provision/&lt;mac&gt;</c>, so the token
/// alone proves nothing; bound to the address, a stranger elsewhere who read it cannot report a
/// status or fetch the answer file (one who spoofs the holder's address on its own network still
/// can). Written through, not behind: every instance must agree on the holder at once.
/// </summary>
public sealed class TokenHolders(BootstrapDatabase database)
{
    /// <summary>How often the holder is served its answer file: an installer fetches it once; the rest is for its retries.</summary>
    public const int AnswerFetches = 3;

    // A holder never changes once bound (first writer wins in the database), so each instance may remember it.
    private readonly ConcurrentDictionary<string, string> _holders = new();

    /// <summary>The assigned script with <paramref name="token"/> goes to <paramref name="address"/>: the first one to get it holds it. Returns the holder.</summary>
    public async Task<string> HandedOutAsync(string machineId, string token, string address)
    {
        if (_holders.TryGetValue(token, out var holder))
            return holder;
        await using var db = database.Open();
        await using var tx = await db.BeginTransactionAsync();
        await db.ExecuteAsync("INSERT INTO machine_token_holders (token, machine_id, address, answer_fetches, bound) VALUES (@token, @machineId, @address, 0, @bound) " +
                              "ON CONFLICT (token) DO NOTHING", new { token, machineId, address, bound = database.Clock.GetUtcNow().ToString("O") }, tx);
        await db.ExecuteAsync("DELETE FROM machine_token_holders WHERE machine_id = @machineId AND token <> @token", new { machineId, token }, tx);
        holder = await db.ExecuteScalarAsync<string>("SELECT address FROM machine_token_holders WHERE token = @token", new { token }, tx) ?? address;
        await tx.CommitAsync();
        return _holders.GetOrAdd(token, holder);
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

    /// <summary>Counts one serving of the answer file; false when it was served <see cref="AnswerFetches"/> times already.</summary>
    public async Task<bool> TakeAnswerFetchAsync(string token)
    {
        await using var db = database.Open();
        return await db.ExecuteAsync("UPDATE machine_token_holders SET answer_fetches = answer_fetches + 1 WHERE token = @token AND answer_fetches < @max",
            new { token, max = AnswerFetches }) == 1;
    }
}
