using System.Net;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Pxe.Dhcp;

namespace Bootstrap.Builder.Pxe;

/// <summary>What the service knows of a MAC, as far as a PXE answer depends on it.</summary>
public enum PxeVerdict
{
    /// <summary>Never seen, or seen and waiting for a job: the generic script, which records and polls.</summary>
    Unknown,
    /// <summary>Has a job to boot: its own script at once.</summary>
    Assigned,
    /// <summary>Installed with <c>then: local</c>: no answer, so its firmware goes on to its disk.</summary>
    LocalDisk,
    /// <summary>Its PXE setting is <c>ignore</c>: another PXE server owns it.</summary>
    Ignore,
}

/// <summary>What the PXE server knows of a MAC: the verdict, and whether even its iPXE ROM gets our iPXE first (PXE setting <c>chain</c>).</summary>
public readonly record struct PxeMachine(PxeVerdict Verdict, bool ChainIpxe = false);

/// <summary>The one question the PXE listeners ask of the machines: what do you know of this MAC? Read from memory, never from the database.</summary>
public interface IPxeMachines
{
    PxeMachine Ask(string mac);
}

/// <summary><see cref="IPxeMachines"/> over the machine directory's in-memory index.</summary>
public sealed class DirectoryPxeMachines(MachineDirectory machines) : IPxeMachines
{
    public PxeMachine Ask(string mac) => machines.FindByMac(mac) switch
    {
        { Pxe: PxeSetting.Ignore } => new(PxeVerdict.Ignore),
        { BootsLocalDisk: true } => new(PxeVerdict.LocalDisk),
        { Assignment: not null } m => new(PxeVerdict.Assigned, m.Pxe == PxeSetting.Chain),
        { } m => new(PxeVerdict.Unknown, m.Pxe == PxeSetting.Chain),
        null => new(PxeVerdict.Unknown),
    };
}

/// <summary>What the proxy tells a client: nothing, a boot program over TFTP, or a URL over HTTP.</summary>
public abstract record PxeAnswer
{
    /// <summary>No answer. <paramref name="Why"/> is for the log; <paramref name="Worth"/> false for what every ordinary DHCP client would cause.</summary>
    public sealed record Silent(string Why, bool Worth = true) : PxeAnswer;

    /// <summary>A boot program by name from this server's TFTP (siaddr and option 54 carry the address).</summary>
    public sealed record TftpFile(string Name) : PxeAnswer;

    /// <summary>An http:// URL the client fetches itself; <paramref name="Class"/> is echoed in option 60.</summary>
    public sealed record HttpUrl(string Url, ClientClass Class) : PxeAnswer;
}

/// <summary>
/// Where this service's PXE answers point: its address, the base of its HTTP URLs, the EFI boot
/// program for UEFI PXE (null: no TFTP, so PXE firmware gets no answer), and the MACs it answers
/// (an empty allow list answers all but the denied).
/// </summary>
public sealed record PxeSite(IPAddress Address, string BaseUrl, string? EfiBootFile, IReadOnlySet<string> AllowMacs, IReadOnlySet<string> DenyMacs)
{
    public bool Tftp => EfiBootFile != null;
}

/// <summary>
/// The decision table of the proxy (docs/pxe.md): by client class, iPXE or not, architecture
/// (RFC 4578 §2.1) and what the machines know of the MAC. The listeners only carry it out. Its
/// one memory: which machines set to <c>chain</c> were just handed our iPXE, so that the iPXE it
/// starts (a new DHCP transaction) gets the script instead of the same file again.
/// </summary>
public sealed class PxeAnswers(PxeSite site, IPxeMachines machines, TimeProvider? clock = null)
{
    /// <summary>How long after our iPXE went to a machine its next iPXE transaction counts as that iPXE's.</summary>
    public static readonly TimeSpan ChainWindow = TimeSpan.FromMinutes(2);

    private const int MaxChained = 10_000;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (uint Xid, long At)> _chained = new();

    /// <summary>The boot programs the TFTP server holds; nothing else is ever served.</summary>
    public static readonly IReadOnlyList<string> TftpFiles = ["undionly.kpxe", "snponly.efi", "ipxe-amd64.efi", Arm64BootFile];

    /// <summary>What ARM64 UEFI PXE firmware is handed: Debian's ARM64 iPXE, which brings its own drivers.</summary>
    public const string Arm64BootFile = "ipxe-arm64.efi";

    public PxeSite Site => site;

    public PxeAnswer Decide(PxeRequest request)
    {
        if (request.Class == ClientClass.Other)
            return new PxeAnswer.Silent("not a PXE or HTTP boot client", Worth: false);
        if (site.DenyMacs.Contains(request.Mac) || site.AllowMacs.Count > 0 && !site.AllowMacs.Contains(request.Mac))
            return new PxeAnswer.Silent("its MAC is not answered (pxe allow-macs/deny-macs)");
        var (verdict, chain) = machines.Ask(request.Mac);
        if (verdict == PxeVerdict.Ignore)
            return new PxeAnswer.Silent("its PXE setting is ignore");
        if (verdict == PxeVerdict.LocalDisk)
            return new PxeAnswer.Silent("installed with then: local, it boots its own disk");
        if (request.IsIpxe && !(chain && site.Tftp && !StartedByUs(request)))
            return new PxeAnswer.HttpUrl(verdict == PxeVerdict.Assigned ? $"{site.BaseUrl}/provision/{request.Mac}" : $"{site.BaseUrl}/ipxe-generic", ClientClass.Pxe);
        var answer = BootProgram(request);
        if (chain && answer is PxeAnswer.TftpFile)
            Chained(request);
        return answer;
    }

    /// <summary>True when this iPXE is the one we handed the machine: a new transaction within <see cref="ChainWindow"/> of it.</summary>
    private bool StartedByUs(PxeRequest request) =>
        _chained.TryGetValue(request.Mac, out var sent) && sent.Xid != request.Xid && _clock.GetElapsedTime(sent.At) < ChainWindow;

    private void Chained(PxeRequest request)
    {
        // The same transaction asking again (a retry) must get the same answer: only a new one is our iPXE's.
        if (_chained.TryGetValue(request.Mac, out var sent) && sent.Xid == request.Xid)
            return;
        if (_chained.Count >= MaxChained)
            _chained.Clear();   // a bound, not a cache: a machine caught by it is handed our iPXE once more
        _chained[request.Mac] = (request.Xid, _clock.GetTimestamp());
    }

    private PxeAnswer BootProgram(PxeRequest request)
    {
        if (request.Class == ClientClass.Pxe && !site.Tftp)
            return new PxeAnswer.Silent("TFTP is off (pxe.tftp), so PXE firmware is not answered");
        return (request.Class, request.Arch) switch
        {
            (ClientClass.Http, ClientArch.EfiX64Http) => new PxeAnswer.HttpUrl($"{site.BaseUrl}/{Images.TargetTable.HttpBootRoute}", ClientClass.Http),
            (ClientClass.Http, ClientArch.EfiArm64Http) => new PxeAnswer.HttpUrl($"{site.BaseUrl}/{Images.TargetTable.Arm64HttpBootRoute}", ClientClass.Http),
            (ClientClass.Pxe, ClientArch.X86Bios or null) => new PxeAnswer.TftpFile("undionly.kpxe"),
            (ClientClass.Pxe, ClientArch.EfiX64 or ClientArch.EfiX64Alternate) => new PxeAnswer.TftpFile(site.EfiBootFile!),
            (ClientClass.Pxe, ClientArch.EfiArm64) => new PxeAnswer.TftpFile(Arm64BootFile),
            _ => new PxeAnswer.Silent($"architecture {ClientArch.Name(request.Arch)} is not served"),
        };
    }
}
