using DotLiquid;
using DotLiquid.Exceptions;

namespace Bootstrap.Builder.Machines;

/// <summary>
/// Answer files (kickstart, preseed, cloud-init, Ignition): a profile's Liquid template rendered
/// per machine with DotLiquid (Fluid.Core, the design's choice, cannot run on the Parlot the
/// registry serves: see Directory.Packages.props). The template sees one object, <c>machine</c>: <c>mac</c>, <c>macs</c>,
/// <c>id</c>, <c>uuid</c>, <c>serial</c>, <c>manufacturer</c>, <c>product</c>, <c>asset</c>,
/// <c>platform</c>, <c>arch</c>, <c>ip</c>, <c>hostname</c>, <c>network</c>, <c>farmer</c>,
/// <c>args</c>, <c>kernel</c>, <c>profile</c>, <c>then</c>, <c>bootstrap_url</c>,
/// <c>bootstrap_token</c> and, from a discovery OS, <c>cpus</c>, <c>memory</c>, <c>disks</c>
/// (<c>name</c>, <c>size</c>) and <c>nics</c> (<c>name</c>, <c>mac</c>). Every one of those was
/// neutralised when it was stored (<see cref="MachineFacts"/>, <see cref="AssignmentRules"/>), so
/// no value can add a line or a quote to the file.
/// </summary>
public static class AnswerFiles
{
    /// <summary>Why <paramref name="template"/> is not valid Liquid, or null.</summary>
    public static string? Problem(string template)
    {
        try
        {
            Template.Parse(template);
            return null;
        }
        catch (LiquidException e)
        {
            return $"not valid Liquid: {e.Message}";
        }
    }

    public static string Render(string template, Machine machine, string baseUrl)
    {
        var parsed = Template.Parse(template);
        var inventory = Inventory.FromJson(machine.Facts.InventoryJson);
        var job = machine.Assignment;
        var model = new Dictionary<string, object?>
        {
            ["id"] = machine.Id, ["mac"] = machine.Mac, ["macs"] = machine.Macs.ToList(),
            ["uuid"] = machine.Facts.Uuid, ["serial"] = machine.Facts.Serial, ["manufacturer"] = machine.Facts.Manufacturer,
            ["product"] = machine.Facts.Product, ["asset"] = machine.Facts.Asset, ["platform"] = machine.Facts.Platform,
            ["arch"] = machine.Facts.Arch, ["ip"] = machine.Facts.Ip,
            ["hostname"] = job?.Hostname, ["network"] = job?.Network, ["farmer"] = job?.Farmer, ["args"] = job?.Args,
            ["kernel"] = job?.Kernel, ["profile"] = job?.Profile, ["then"] = job?.Then,
            ["bootstrap_url"] = baseUrl, ["bootstrap_token"] = machine.Token,
            ["cpus"] = inventory?.Cpus, ["memory"] = inventory?.Memory,
            ["disks"] = (inventory?.Disks ?? []).Select(d => new Dictionary<string, object?> { ["name"] = d.Name, ["size"] = d.Size }).ToList(),
            ["nics"] = (inventory?.Nics ?? []).Select(n => new Dictionary<string, object?> { ["name"] = n.Name, ["mac"] = n.Mac }).ToList(),
        };
        return parsed.Render(Hash.FromDictionary(new Dictionary<string, object?> { ["machine"] = Hash.FromDictionary(model) }));
    }
}
