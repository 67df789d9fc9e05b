using Bootstrap.Builder.Storage.Database;
using Dapper;

namespace Bootstrap.Builder.Bmc;

/// <summary>How to reach a machine's BMC; the password is not part of it (see <see cref="BmcStore"/>).</summary>
/// <param name="VerifyTls">Redfish: the BMC's certificate must chain to a CA this host trusts (unless pinned by <paramref name="CaFingerprint"/>).</param>
/// <param name="CaFingerprint">Redfish: the SHA-256 of the one certificate accepted (64 lowercase hex digits), for a self-signed BMC.</param>
public sealed record BmcAccess(string Mac, string Type, string Address, int Port, string Username, DateTimeOffset Updated,
    bool VerifyTls = true, string? CaFingerprint = null);

/// <summary>Seals secrets before they are stored and opens them when a BMC is called (the front holds the site's key ring).</summary>
public interface ISecretSealer
{
    string Seal(string secret);

    /// <summary>The secret, or <see cref="System.Security.Cryptography.CryptographicException"/> when the key that sealed it is gone.</summary>
    string Unseal(string sealedSecret);
}

/// <summary>Each machine's BMC in the site's database (migrations 0013, 0014), the password sealed.</summary>
public sealed class BmcStore(BootstrapDatabase database)
{
    // Settable properties, not a constructor: Dapper converts the port's column type (INTEGER on both engines, Int32 or Int64) into them.
    private sealed class Row
    {
        public string mac { get; init; } = "";
        public string type { get; init; } = "";
        public string address { get; init; } = "";
        public long port { get; init; }
        public string username { get; init; } = "";
        public string password_sealed { get; init; } = "";
        public string updated { get; init; } = "";
        public long verify_tls { get; init; } = 1;
        public string? ca_fingerprint { get; init; }
    }

    public async Task<(BmcAccess Access, string SealedPassword)?> GetAsync(string mac)
    {
        await using var db = database.Open();
        var row = await db.QuerySingleOrDefaultAsync<Row>(
            "SELECT mac, type, address, port, username, password_sealed, updated, verify_tls, ca_fingerprint FROM machine_bmcs WHERE mac = @mac", new { mac });
        return row == null ? null : (Access(row), row.password_sealed);
    }

    public async Task<IReadOnlyList<BmcAccess>> ListAsync()
    {
        await using var db = database.Open();
        var rows = await db.QueryAsync<Row>(
            "SELECT mac, type, address, port, username, password_sealed, updated, verify_tls, ca_fingerprint FROM machine_bmcs ORDER BY mac");
        return rows.Select(Access).ToList();
    }

    private static BmcAccess Access(Row row) =>
        new(row.mac, row.type, row.address, (int)row.port, row.username, DateTimeOffset.Parse(row.updated), row.verify_tls != 0, row.ca_fingerprint);

    public async Task PutAsync(BmcAccess access, string sealedPassword)
    {
        await using var db = database.Open();
        await db.ExecuteAsync(
            """
            INSERT INTO machine_bmcs (mac, type, address, port, username, password_sealed, updated, verify_tls, ca_fingerprint)
            VALUES (@Mac, @Type, @Address, @Port, @Username, @sealedPassword, @updated, @verifyTls, @CaFingerprint)
            ON CONFLICT (mac) DO UPDATE SET type = excluded.type, address = excluded.address, port = excluded.port,
                username = excluded.username, password_sealed = excluded.password_sealed, updated = excluded.updated,
                verify_tls = excluded.verify_tls, ca_fingerprint = excluded.ca_fingerprint
            """,
            new { access.Mac, access.Type, access.Address, access.Port, access.Username, sealedPassword, updated = access.Updated.ToString("O"),
                verifyTls = access.VerifyTls ? 1 : 0, access.CaFingerprint });
    }

    public async Task<bool> DeleteAsync(string mac)
    {
        await using var db = database.Open();
        return await db.ExecuteAsync("DELETE FROM machine_bmcs WHERE mac = @mac", new { mac }) > 0;
    }
}
