using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Bootstrap.Builder.Machines;

/// <summary>
/// Every machine in memory, found by id, by any of its MACs, by its UUID and by the address it was
/// last seen at (a kernel fetched from there goes into its boot log). Boot requests read only
/// this, never the database. Safe for many readers; <see cref="MachineDirectory"/> decides who writes.
/// </summary>
public sealed class MachineIndex
{
    private readonly ConcurrentDictionary<string, Machine> _byId = new();
    private readonly ConcurrentDictionary<string, string> _idByMac = new();
    private readonly ConcurrentDictionary<string, string> _idByUuid = new();
    private readonly ConcurrentDictionary<string, string> _idByAddress = new();

    public int Count => _byId.Count;

    public IEnumerable<Machine> All => _byId.Values;

    public Machine? this[string id] => _byId.GetValueOrDefault(id);

    public bool Contains(string id) => _byId.ContainsKey(id);

    public Machine? FindByMac(string mac) => _idByMac.TryGetValue(mac, out var id) ? this[id] : null;

    public Machine? FindByUuid(string uuid) => _idByUuid.TryGetValue(uuid, out var id) ? this[id] : null;

    public Machine? FindByAddress(string address) => _idByAddress.TryGetValue(address, out var id) ? this[id] : null;

    /// <summary>True when some machine holds <paramref name="mac"/>.</summary>
    public bool HoldsMac(string mac) => _idByMac.ContainsKey(mac);

    /// <summary>The machine whose current assignment token is <paramref name="token"/>, compared in constant time.</summary>
    public Machine? FindByToken(string token) =>
        _byId.Values.FirstOrDefault(m => m.Token != null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(m.Token), Encoding.UTF8.GetBytes(token)));

    /// <summary>Adds <paramref name="machine"/>, or replaces the copy with its id (and the last address <paramref name="previous"/> was seen at).</summary>
    public void Put(Machine machine, Machine? previous = null)
    {
        if (previous?.LastAddress is { } oldAddress && oldAddress != machine.LastAddress)
            _idByAddress.TryRemove(new KeyValuePair<string, string>(oldAddress, previous.Id));
        _byId[machine.Id] = machine;
        foreach (var mac in machine.Macs)
            _idByMac[mac] = machine.Id;
        if (machine.Facts.Uuid != null)
            _idByUuid[machine.Facts.Uuid] = machine.Id;
        if (machine.LastAddress != null)
            _idByAddress[machine.LastAddress] = machine.Id;
    }

    /// <summary>
    /// Replaces <paramref name="previous"/> by <paramref name="machine"/> (same MACs and UUID, a new
    /// last address at most) only while it is still the current copy: for changes made outside the
    /// writers' turn, which a reload or an assignment in that turn must not see undone.
    /// </summary>
    public bool PutIfUnchanged(Machine machine, Machine previous)
    {
        if (!_byId.TryUpdate(machine.Id, machine, previous))
            return false;
        if (previous.LastAddress != machine.LastAddress)
        {
            if (previous.LastAddress != null)
                _idByAddress.TryRemove(new KeyValuePair<string, string>(previous.LastAddress, previous.Id));
            if (machine.LastAddress != null)
                _idByAddress[machine.LastAddress] = machine.Id;
        }
        return true;
    }

    public void Remove(Machine machine)
    {
        _byId.TryRemove(machine.Id, out _);
        foreach (var mac in machine.Macs)
            _idByMac.TryRemove(new KeyValuePair<string, string>(mac, machine.Id));
        if (machine.Facts.Uuid != null)
            _idByUuid.TryRemove(new KeyValuePair<string, string>(machine.Facts.Uuid, machine.Id));
        if (machine.LastAddress != null)
            _idByAddress.TryRemove(new KeyValuePair<string, string>(machine.LastAddress, machine.Id));
    }
}
