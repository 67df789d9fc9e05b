using Bootstrap.Builder.Storage.Database;
using Dapper;

namespace Bootstrap.Builder.Site;

/// <summary>
/// What makes an admin session belong to this site (migration 0009): the keys that seal the
/// sign-in cookie, kept in the site's database (every instance on it accepts the same cookie, no
/// other site does), and the generation of sessions, which a sign-out moves on so that every
/// session signed in before it ends at once, on every instance.
/// </summary>
public sealed class AdminSessionStore(BootstrapDatabase database)
{
    /// <summary>Every key of the ring, as stored (XML text), oldest first.</summary>
    public IReadOnlyList<string> Keys()
    {
        using var db = database.Open();
        return db.Query<string>("SELECT xml FROM data_protection_keys ORDER BY created, name").ToList();
    }

    /// <summary>Adds a key; a key of that name is never replaced (keys are immutable once written).</summary>
    public void AddKey(string name, string xml)
    {
        using var db = database.Open();
        db.Execute("INSERT INTO data_protection_keys (name, xml, created) VALUES (@name, @xml, @created) ON CONFLICT (name) DO NOTHING",
            new { name, xml, created = database.Clock.GetUtcNow().ToString("O") });
    }

    /// <summary>The generation sessions are signed in under now (0 before the first sign-out).</summary>
    public async Task<long> GenerationAsync()
    {
        await using var db = database.Open();
        return await db.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(generation), 0) FROM admin_session_ends");
    }

    /// <summary>Ends every session signed in so far. Two at once end the same ones: one of them records it.</summary>
    public async Task EndAllAsync(string reason)
    {
        await using var db = database.Open();
        await db.ExecuteAsync(
            "INSERT INTO admin_session_ends (generation, ended, reason) SELECT COALESCE(MAX(generation), 0) + 1, @ended, @reason FROM admin_session_ends WHERE true " +
            "ON CONFLICT (generation) DO NOTHING",
            new { ended = database.Clock.GetUtcNow().ToString("O"), reason });
    }
}
