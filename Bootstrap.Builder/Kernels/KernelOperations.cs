using Bootstrap.Builder.Machines;

namespace Bootstrap.Builder.Kernels;

/// <summary>What an upload answers: the stored name and its size in bytes.</summary>
public sealed record StoredKernel(string Name, long Size);

/// <summary>
/// The kernels' operations, once for the API, the kernels page and the CLI: each checks the rules,
/// acts on the store and says what it did, or why not.
/// </summary>
public static class KernelOperations
{
    /// <summary>Stores a kernel from a stream; a bad name is refused before a byte is read.</summary>
    public static async Task<Result<StoredKernel>> StoreAsync(KernelStore kernels, string name, Stream content, CancellationToken cancel)
    {
        try
        {
            var size = await kernels.StoreAsync(name, content, cancel);
            return Result.Ok(new StoredKernel(name, size), $"stored kernel {name} ({size} bytes)");
        }
        catch (ArgumentException e)
        {
            return Problem.Invalid(e.Message);
        }
    }

    /// <summary>Points runmode link <paramref name="link"/> (<c>prod.efi</c>) at kernel <paramref name="target"/>, atomically.</summary>
    public static async Task<Result<Done>> PointLinkAsync(KernelStore kernels, string link, string target)
    {
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
