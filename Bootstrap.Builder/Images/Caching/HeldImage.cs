using System.Runtime.InteropServices;

namespace Bootstrap.Builder.Images.Caching;

/// <summary>
/// A built image's bytes outside the GC heap, in an anonymous memory mapping of their own
/// (mmap(2)), shared by reference count: the memory cache holds one reference, and so does each
/// answer being sent. The mapping is unmapped, and its memory given back to the system, when the
/// last reference is released. Why not a byte[]: images of megabytes live on the large-object
/// heap, which is not compacted and is emptied only by full collections, and under 60 cold builds
/// at once it grew to two or three times the memory cache's budget (bench/memory.sh); .NET has no
/// managed allocation that is freed the moment its last reader lets go.
/// </summary>
public sealed unsafe partial class HeldImage
{
    private readonly byte* _start;
    private readonly nuint _mapped;
    private int _references = 1;
    private static long _allBytes;

    /// <summary>Bytes of every image held now: the memory cache's and those of answers being sent.</summary>
    public static long AllBytes => Interlocked.Read(ref _allBytes);

    private HeldImage(long length)
    {
        if (length is < 0 or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(length), length, "an image is at most 2 GiB");
        Length = (int)length;
        _mapped = (nuint)Math.Max(length, 1);
        var address = Mmap(0, _mapped, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (address == -1)
            throw new OutOfMemoryException($"cannot map {length} bytes for an image (errno {Marshal.GetLastPInvokeError()})");
        _start = (byte*)address;
        Interlocked.Add(ref _allBytes, Length);
    }

    /// <summary>Bytes of the image.</summary>
    public int Length { get; }

    /// <summary><paramref name="image"/> written into memory of its own, with one reference: the caller's.</summary>
    public static HeldImage Write(PackedImage image)
    {
        var held = new HeldImage(image.Length);
        try
        {
            using var output = new UnmanagedMemoryStream(held._start, 0, held.Length, FileAccess.Write);
            image.WriteTo(output);
            return held;
        }
        catch
        {
            held.Release();
            throw;
        }
    }

    /// <summary>The whole file at <paramref name="path"/>, with one reference: the caller's.</summary>
    public static HeldImage Read(string path)
    {
        using var file = File.OpenHandle(path);
        var held = new HeldImage(RandomAccess.GetLength(file));
        try
        {
            var into = held.Writable;
            for (var done = 0; done < into.Length;)
            {
                var read = RandomAccess.Read(file, into[done..], done);
                if (read == 0)
                    throw new IOException($"{path} became shorter while it was read");
                done += read;
            }
            return held;
        }
        catch
        {
            held.Release();
            throw;
        }
    }

    /// <summary>The bytes; only while the caller holds a reference.</summary>
    public ReadOnlySpan<byte> Span => new(_start, Length);

    private Span<byte> Writable => new(_start, Length);

    /// <summary>Takes one more reference for another holder; false when the image is already gone.</summary>
    public bool TryAddReference()
    {
        var seen = Volatile.Read(ref _references);
        while (seen > 0)
        {
            var before = Interlocked.CompareExchange(ref _references, seen + 1, seen);
            if (before == seen)
                return true;
            seen = before;
        }
        return false;
    }

    /// <summary>Gives one reference back; the last one unmaps the bytes.</summary>
    public void Release()
    {
        var left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            _ = Munmap((nint)_start, _mapped);
            Interlocked.Add(ref _allBytes, -Length);
        }
        else if (left < 0)
            throw new InvalidOperationException("an image reference was released twice");
    }

    /// <summary>
    /// A read-only, seekable stream of the bytes that owns one reference, given back when the
    /// stream is disposed (an answer's stream is disposed once the answer is sent). Answers stream
    /// rather than hand Kestrel the whole image: a response written in one piece is copied whole
    /// into Kestrel's pooled buffers, 4.6 MiB per answer of an ISO in flight (bench/memory.sh).
    /// </summary>
    public Stream OpenReadOwning() => new OwningStream(this);

    private sealed class OwningStream(HeldImage image) : UnmanagedMemoryStream(image._start, image.Length)
    {
        private int _released;

        // A stream nobody disposed (a bug) still gives its reference back, later.
        ~OwningStream() => Dispose(false);

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                image.Release();
            base.Dispose(disposing);
        }
    }

    // mmap(2), munmap(2): Linux's <sys/mman.h> values.
    private const int ProtRead = 0x1, ProtWrite = 0x2, MapPrivate = 0x02, MapAnonymous = 0x20;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);
}
