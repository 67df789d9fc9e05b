namespace Bootstrap.Builder.Boot;

/// <summary>
/// What a farmer asked for, already validated: the network (runmode), the farm, extra kernel
/// arguments and optionally a kernel file. Every field holds only characters iPXE passes through
/// verbatim, so rendering it into a script cannot add a command or a variable expansion.
/// </summary>
public sealed record BootRequest(string Network, string? Farmer, string Args, string? Kernel)
{
    /// <summary>Path of the x86-64 kernel below the kernels folder, as it appears after <c>/kernel/</c> in URLs.</summary>
    public string KernelPath => KernelPathFor(KernelArchitecture.X86_64);

    /// <summary>
    /// Path of the kernel <paramref name="architecture"/>'s machines boot: the kernel named in the
    /// request whatever the architecture, else the runmode's link for it (<c>net/arm64/prod.efi</c>).
    /// </summary>
    public string KernelPathFor(KernelArchitecture architecture) => Kernel ?? $"net/{architecture.LinkOf(Network)}";

    /// <summary>
    /// The request as route segments, <c>network/farmer[/args][/kernel]</c>, which any image or
    /// script route prefix turns into a URL that parses back to this request.
    /// </summary>
    public string Segments
    {
        get
        {
            var path = $"{Network}/{Farmer}";
            var args = ArgsSegment.Encode(Args).Replace(" ", "%20");
            if (args.Length > 0 || Kernel != null)
                path += "/" + (args.Length > 0 ? args : "%20");   // a lone space is "no arguments"
            return Kernel != null ? $"{path}/{Kernel}" : path;
        }
    }

    /// <summary>The kernel command line, as 0-bootstrap v3 builds it.</summary>
    public string CommandLine =>
        string.Join(' ', new[]
        {
            "nomodeset", "version=v3", $"runmode={Network}", "panic=7200",
            Farmer is null ? null : $"farmer_id={Farmer}",
            Args.Length == 0 ? null : Args,
        }.OfType<string>());
}

public enum RequestProblemKind
{
    /// <summary>The network is not configured (HTTP 404).</summary>
    UnknownNetwork,
    /// <summary>A segment holds a refused character or is too long (HTTP 400).</summary>
    Invalid,
}

/// <summary>
/// Why a request was refused, worded for the person who typed the URL: the segment at fault
/// (<c>network</c>, <c>farmer</c>, <c>args</c>, <c>kernel</c>) and what is wrong with it.
/// </summary>
public sealed record RequestProblem(RequestProblemKind Kind, string Field, string Detail)
{
    /// <summary>The one-line answer: the detail, named by its field unless the network itself is unknown.</summary>
    public string Message => Kind == RequestProblemKind.UnknownNetwork ? Detail : $"{Field}: {Detail}";
}
