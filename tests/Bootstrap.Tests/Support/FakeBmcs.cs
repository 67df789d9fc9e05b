using System.Collections.Concurrent;
using Bootstrap.Builder.Bmc;

namespace Bootstrap.Tests.Support;

/// <summary>A sealer that only marks what it sealed (the tests read it back).</summary>
public sealed class PlainSealer : ISecretSealer
{
    public string Seal(string secret) => "sealed:" + secret;

    public string Unseal(string sealedSecret) => sealedSecret["sealed:".Length..];
}

/// <summary>BMCs that answer from memory, by address; it counts how many calls are in flight at once.</summary>
public sealed class FakeProtocol : IBmcProtocol
{
    private readonly Lock _gate = new();
    private int _inFlight;
    private readonly TaskCompletionSource _enoughInFlight = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _deadline;

    public ConcurrentDictionary<string, FakeBmc> Machines { get; } = new();

    /// <summary>When set, the first calls wait until this many are in flight at once (or 10 s pass), so the most in flight is exact.</summary>
    public int HoldUntilInFlight { get; set; }

    public int MostInFlight { get; private set; }

    public string Type => "ipmi";

    public int DefaultPort => 623;

    public (string Field, string Message)? Refusal(string address, int port, string username, string password) => null;

    public IBmc Connect(BmcAccess access, string password) => Machines[access.Address];

    public async Task EnterAsync()
    {
        lock (_gate)
        {
            _deadline ??= Task.Delay(TimeSpan.FromSeconds(10));   // one for all: a bound too low fails in 10 s, not 10 s a call
            MostInFlight = Math.Max(MostInFlight, ++_inFlight);
            if (HoldUntilInFlight > 0 && _inFlight >= HoldUntilInFlight)
                _enoughInFlight.TrySetResult();
        }
        if (HoldUntilInFlight > 0)
            await Task.WhenAny(_enoughInFlight.Task, _deadline!);
    }

    public void Leave()
    {
        lock (_gate)
            _inFlight--;
    }
}

/// <summary>One BMC of <see cref="FakeProtocol"/>: its power, what it was asked, and a failure to answer with.</summary>
public sealed class FakeBmc(FakeProtocol protocol) : IBmc
{
    public PowerState Power { get; set; }

    public string? FailPowerWith { get; set; }

    public List<string> Calls { get; } = [];

    /// <summary>How many times its power was read.</summary>
    public int PowerReads => _reads;

    private int _reads;

    public Task<PowerState> GetPowerAsync(CancellationToken cancel)
    {
        Interlocked.Increment(ref _reads);
        return FailPowerWith is { } failure ? throw new BmcException(failure) : Task.FromResult(Power);
    }

    public Task SetPowerAsync(PowerAction action, CancellationToken cancel)
    {
        Calls.Add($"power {action}");
        Power = action is PowerAction.Off or PowerAction.SoftOff ? PowerState.Off : PowerState.On;
        return Task.CompletedTask;
    }

    public async Task SetBootDeviceAsync(BootDevice device, BootMode mode, bool once, CancellationToken cancel)
    {
        await protocol.EnterAsync();
        try
        {
            Calls.Add($"boot {device} {mode} {(once ? "once" : "always")}");
        }
        finally
        {
            protocol.Leave();
        }
    }
}
