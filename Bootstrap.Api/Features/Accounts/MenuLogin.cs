using System.Net.Http.Headers;
using System.Text;
using System.Threading.RateLimiting;
using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Boot;
using Microsoft.AspNetCore.Identity;

namespace Bootstrap.Api.Features.Accounts;

/// <summary>
/// Password hashes: the framework's <see cref="PasswordHasher{TUser}"/> (ASP.NET Core Identity,
/// PBKDF2 with a per-user salt, compared in constant time).
/// </summary>
public static class Passwords
{
    private static readonly PasswordHasher<string> Hasher = new();

    /// <summary>What an unknown user's password is checked against, so they take as long to refuse as a known one.</summary>
    private static readonly Lazy<string> Decoy = new(() => Hasher.HashPassword("", Guid.NewGuid().ToString()));

    public static string Hash(string user, string password) => Hasher.HashPassword(user, password);

    public static bool Matches(User? user, string password) =>
        Hasher.VerifyHashedPassword(user?.Name ?? "", user?.PasswordHash ?? Decoy.Value, password) != PasswordVerificationResult.Failed && user != null;
}

/// <summary>
/// Checks the HTTP Basic credentials iPXE sends for <c>/login/menu…</c> (RFC 7617). No
/// credentials: 401 with the challenge iPXE needs before it sends them (not a failure). Wrong
/// ones count against two budgets, the user name's and the client address's; once either is
/// spent, every attempt for it is answered 429 without looking at the password, so guessing
/// learns nothing more until the budget refills.
/// </summary>
public sealed class MenuLogin : IDisposable
{
    /// <summary>Wrong passwords per user name, and per client address, per minute.</summary>
    public const int FailuresPerMinute = 10;

    private readonly PartitionedRateLimiter<string> _perUser = PerMinute();
    private readonly PartitionedRateLimiter<string> _perAddress = PerMinute();

    private static PartitionedRateLimiter<string> PerMinute() =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = FailuresPerMinute,
            TokensPerPeriod = FailuresPerMinute,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>
    /// The signed-in user's name with the accounts it was checked against, or the answer that
    /// refuses the request. The accounts are read only once credentials came and no budget is
    /// spent: the challenge and the throttled attempts cost no database read.
    /// </summary>
    public async Task<(string? User, AccountBook? Book, TextAnswer? Refusal)> AuthenticateAsync(HttpContext http, AccountStore accounts)
    {
        if (!TryReadBasic(http.Request.Headers.Authorization.ToString(), out var name, out var password))
            return (null, null, Challenge(http, "sign in: a user name and password are needed (iPXE: login, then the URL's user:password@)"));
        var address = ClientKey.Of(http.Connection.RemoteIpAddress);
        // Any shape of name is counted, but only under a name that could exist (the key stays short).
        var userKey = TextShapes.Name().IsMatch(name) ? name : "(not a user name)";
        if (Spent(_perUser, userKey) || Spent(_perAddress, address))
        {
            http.Response.Headers.RetryAfter = "60";
            return (null, null, PlainText.TooMany(
                "too many wrong passwords for this user or from this address; retry in 60 s"));
        }
        var book = await accounts.LoadAsync();
        if (Passwords.Matches(book.Users.GetValueOrDefault(name), password))
            return (name, book, null);
        using (_perUser.AttemptAcquire(userKey))
        using (_perAddress.AttemptAcquire(address))
            return (null, null, Challenge(http, "sign in: wrong user name or password"));
    }

    private static bool Spent(PartitionedRateLimiter<string> limiter, string key) => limiter.GetStatistics(key)?.CurrentAvailablePermits <= 0;

    private static Text<Status.Unauthorized> Challenge(HttpContext http, string message)
    {
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"Bootstrap menus\", charset=\"UTF-8\"";
        return PlainText.Unauthorized(message);
    }

    private static bool TryReadBasic(string header, out string name, out string password)
    {
        name = password = "";
        if (!AuthenticationHeaderValue.TryParse(header, out var value) || !value.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) || value.Parameter == null)
            return false;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value.Parameter));
        }
        catch (FormatException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':');
        if (colon < 0)
            return false;
        (name, password) = (decoded[..colon], decoded[(colon + 1)..]);
        return true;
    }

    public void Dispose()
    {
        _perUser.Dispose();
        _perAddress.Dispose();
    }
}
