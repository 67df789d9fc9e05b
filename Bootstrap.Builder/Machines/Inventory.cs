using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bootstrap.Builder.Machines;

/// <summary>A disk as the discovery OS saw it: its kernel name (<c>sda</c>, <c>nvme0n1</c>) and size in bytes.</summary>
public sealed record Disk([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("size")] long Size);

/// <summary>A network interface: its kernel name and MAC.</summary>
public sealed record Nic([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("mac")] string Mac);

/// <summary>
/// The full inventory a discovery OS posts (the discover body's <c>inventory</c>, docs/machines.md): CPUs,
/// memory in bytes, disks, NICs and DMI values. Stored as the JSON of this record after
/// <see cref="Checked"/> bounded and neutralised it, never as the text a client sent.
/// </summary>
public sealed record Inventory(
    [property: JsonPropertyName("cpus")] int Cpus,
    [property: JsonPropertyName("memory")] long Memory,
    [property: JsonPropertyName("disks")] IReadOnlyList<Disk>? Disks,
    [property: JsonPropertyName("nics")] IReadOnlyList<Nic>? Nics,
    [property: JsonPropertyName("dmi")] IReadOnlyDictionary<string, string>? Dmi)
{
    public const int MaxItems = 64;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The inventory bounded (<see cref="MaxItems"/> disks, NICs, DMI values) and neutralised, or a problem naming the field.</summary>
    public (Inventory? Clean, string? Problem) Checked()
    {
        if (Cpus < 0 || Memory < 0)
            return (null, "inventory: cpus and memory must not be negative");
        if ((Disks?.Count ?? 0) > MaxItems || (Nics?.Count ?? 0) > MaxItems || (Dmi?.Count ?? 0) > MaxItems)
            return (null, $"inventory: at most {MaxItems} disks, NICs and DMI values");
        if (Disks?.FirstOrDefault(d => d.Size < 0) is { } negative)
            return (null, $"inventory.disks: size of {MachineFacts.Text(negative.Name)} must not be negative");
        var nics = new List<Nic>();
        foreach (var nic in Nics ?? [])
        {
            if (MacAddress.Normalize(nic.Mac) is not { } mac)
                return (null, $"inventory.nics: '{MachineFacts.Text(nic.Mac)}' is not a MAC address");
            nics.Add(new Nic(MachineFacts.Text(nic.Name) ?? "", mac));
        }
        var dmi = (Dmi ?? new Dictionary<string, string>())
            .Select(p => (Key: MachineFacts.Text(p.Key), Value: MachineFacts.Text(p.Value) ?? ""))
            .Where(p => p.Key != null)
            .GroupBy(p => p.Key!).ToDictionary(g => g.Key, g => g.First().Value);
        return (new Inventory(Cpus, Memory,
            (Disks ?? []).Select(d => new Disk(MachineFacts.Text(d.Name) ?? "", d.Size)).ToList(), nics, dmi), null);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static Inventory? FromJson(string? json) => json == null ? null : JsonSerializer.Deserialize<Inventory>(json, Json);
}
