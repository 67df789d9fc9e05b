using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Machines;

namespace Bootstrap.Builder.Kernels;

/// <summary>What an upload answers: the stored name, its size in bytes and the architecture it declares (null: none known).</summary>
public sealed record StoredKernel(string Name, long Size, string? Architecture);

/// <summary>
/// The kernels' operations, once for the API, the kernels page and the CLI: each checks the rules,
/// acts on the store and says what it did, or why not.
/// </summary>
public static class KernelOperations
{
    /// <summary>
    /// Stores a kernel from a stream; a bad name is refused before a byte is read, and so is the
    /// name of a kernel a network boots unless <paramref name="replace"/> says so: the upload would
    /// change what every machine of that network boots next, at once.
    /// </summary>
    public static async Task<Result<StoredKernel>> StoreAsync(KernelStore kernels, string name, Stream content, bool replace, CancellationToken cancel)
    {
        if (!replace && kernels.List().FirstOrDefault(k => k.Name == name) is { Runmodes.Count: > 0 } live)
            return Problem.Conflict($"kernel '{name}' is what {string.Join(", ", live.Runmodes)} boot{(live.Runmodes.Count == 1 ? "s" : "")}: " +
                                    "upload under another name and switch the link, or replace it on purpose (replace=true)");
        try
        {
            var size = await kernels.StoreAsync(name, content, cancel);
            var architecture = kernels.List().FirstOrDefault(k => k.Name == name)?.Architecture;
            return Result.Ok(new StoredKernel(name, size, architecture), $"stored kernel {name} ({size} bytes, {architecture ?? "architecture unknown"})");
        }
        catch (ArgumentException e)
        {
            return Problem.Invalid(e.Message);
        }
    }

    /// <summary>
    /// Points runmode link <paramref name="link"/> (<c>prod.efi</c>, <c>arm64/prod.efi</c>) at kernel
    /// <paramref name="target"/>, atomically. Only the link of a configured network: any other would
    /// be a link no route serves or removes, and that keeps its kernel from being deleted. A kernel
    /// that declares another architecture than the link's is refused: every machine of that
    /// architecture would download it and fail to start it.
    /// </summary>
    public static async Task<Result<Done>> PointLinkAsync(KernelStore kernels, IReadOnlyDictionary<string, string> runmodes, string link, string target)
    {
        var (architecture, fileName, problem) = KernelArchitecture.SplitLink(link);
        if (architecture == null)
            return Problem.Invalid(problem!);
        if (!runmodes.Keys.Any(runmode => runmode + ".efi" == fileName))
            return Problem.Invalid($"link: '{LogText.Escape(link)}' is not the link of a configured network; one of {string.Join(", ", runmodes.Keys.Select(architecture!.LinkOf))}");
        if (kernels.List().FirstOrDefault(k => k.Name == target) is { Architecture: { } declared } && declared != architecture!.Name)
            return Problem.Invalid($"target: kernel '{LogText.Escape(target)}' is a {declared} kernel; link '{LogText.Escape(link)}' is what {architecture.Name} machines boot");
        try
        {
            await kernels.LinkAsync(link, target);
            return Result.Done($"net/{link} -> {target}");
        }
        catch (ArgumentException e)
        {
            return Problem.Invalid(e.Message);
        }
        catch (FileNotFoundException e)
        {
            return Problem.NotFound(e.Message);
        }
    }

    /// <summary>
    /// Deletes a kernel nothing boots: no runmode link (the store's rule), machine assignment or
    /// profile names it, since deleting it would turn their next boot into a 404.
    /// </summary>
    public static async Task<Result<Done>> DeleteAsync(KernelStore kernels, MachineDirectory machines, string name)
    {
        var users = machines.List().Where(m => m.Assignment?.Kernel == name).Select(m => $"machine {m.Mac}")
            .Concat(machines.Profiles.Where(p => p.Kernel == name).Select(p => $"profile {p.Name}")).ToList();
        if (users.Count > 0)
            return Problem.Conflict($"kernel '{name}' is named by {string.Join(", ", users.Take(5))}{(users.Count > 5 ? " and more" : "")}: change them first");
        try
        {
            await kernels.DeleteAsync(name);
            return Result.Done($"deleted kernel {name}");
        }
        catch (ArgumentException e)
        {
            return Problem.Invalid(e.Message);
        }
        catch (FileNotFoundException e)
        {
            return Problem.NotFound(e.Message);
        }
        catch (InvalidOperationException e)
        {
            return Problem.Conflict(e.Message);
        }
    }
}
