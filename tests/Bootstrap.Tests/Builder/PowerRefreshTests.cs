using Bootstrap.Builder.Bmc;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Bootstrap.Tests.Builder;

/// <summary>The background power refresh on a fake clock: who is read when, and how a failing BMC backs off.</summary>
public sealed class PowerRefreshTests : IDisposable
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(60);
    private readonly TestSite _site = new();
    private readonly BootstrapDatabase _database;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeProtocol _protocol = new();
    private readonly BmcOperations _bmcs;
    private readonly PowerRefresh _refresh;

    public PowerRefreshTests()
    {
        _database = BootstrapDatabase.Sqlite(_site.Database);
        _database.Migrate();
        _bmcs = new BmcOperations(new BmcStore(_database), new PlainSealer(), _clock, [_protocol]);
        _refresh = new PowerRefresh(_bmcs, _clock, Every, concurrency: 4);
    }

    public void Dispose()
    {
        _database.Dispose();
        _site.Dispose();
    }

    private async Task<string> WithBmc(int n, PowerState power = PowerState.On)
    {
        var mac = $"52:54:00:00:03:{n:x2}";
        await _bmcs.SetAsync(mac, "ipmi", $"bmc-{n}", 623, "admin", "secret");
        _protocol.Machines[$"bmc-{n}"] = new FakeBmc(_protocol) { Power = power };
        return mac;
    }

    [Fact]
    public async Task Every_bmc_is_read_at_once_then_again_each_period_and_the_reading_is_kept()
    {
        var on = await WithBmc(1);
        var off = await WithBmc(2, PowerState.Off);

        Assert.Null(_bmcs.LastReading(on));
        Assert.Equal([on, off], await _refresh.RefreshDueAsync(default));
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(await _refresh.RefreshDueAsync(default));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([on, off], await _refresh.RefreshDueAsync(default));

        Assert.Equal(new PowerReading(PowerState.On, _clock.GetUtcNow(), null), _bmcs.LastReading(on));
        Assert.Equal(new PowerReading(PowerState.Off, _clock.GetUtcNow(), null), _bmcs.LastReading(off));
    }

    [Fact]
    public async Task A_failing_bmc_is_asked_after_twice_the_wait_each_time_up_to_half_an_hour_and_one_answer_restores_the_period()
    {
        var mac = await WithBmc(1);
        _protocol.Machines["bmc-1"].FailPowerWith = "ipmi bmc-1:623: no answer within 20 s";

        var readAfter = new List<double>();
        var last = _clock.GetUtcNow();
        for (var minute = 0; minute < 200; minute++)
        {
            if ((await _refresh.RefreshDueAsync(default)).Count > 0)
            {
                readAfter.Add((_clock.GetUtcNow() - last).TotalMinutes);
                last = _clock.GetUtcNow();
            }
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal([0, 2, 4, 8, 16, 30, 30, 30, 30, 30], readAfter);
        Assert.Equal(new PowerReading(PowerState.Unknown, last, "ipmi bmc-1:623: no answer within 20 s"), _bmcs.LastReading(mac));

        _protocol.Machines["bmc-1"].FailPowerWith = null;
        _clock.Advance(last + PowerRefresh.LongestWait - _clock.GetUtcNow());
        Assert.Equal([mac], await _refresh.RefreshDueAsync(default));
        _clock.Advance(Every);
        Assert.Equal([mac], await _refresh.RefreshDueAsync(default));
        Assert.Equal(PowerState.On, _bmcs.LastReading(mac)!.State);
    }

    [Fact]
    public async Task A_forgotten_bmc_is_no_longer_read_and_its_reading_goes()
    {
        var kept = await WithBmc(1);
        var forgotten = await WithBmc(2);
        await _refresh.RefreshDueAsync(default);

        await _bmcs.DeleteAsync(forgotten);
        _clock.Advance(Every);

        Assert.Equal([kept], await _refresh.RefreshDueAsync(default));
        Assert.Null(_bmcs.LastReading(forgotten));
        Assert.Equal(1, _protocol.Machines["bmc-2"].PowerReads);
    }

    [Fact]
    public void The_wait_doubles_with_each_failure_and_stops_at_half_an_hour()
    {
        Assert.Equal([60, 120, 240, 480, 960, 1800, 1800], Enumerable.Range(0, 7).Select(f => _refresh.WaitAfter(f).TotalSeconds));
        Assert.Equal(PowerRefresh.LongestWait, _refresh.WaitAfter(63));
    }
}
