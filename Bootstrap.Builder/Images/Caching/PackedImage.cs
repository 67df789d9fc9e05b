namespace Bootstrap.Builder.Images.Caching;

/// <summary>
/// An image a packer has laid out but not written: its exact length and what writes it. The cache
/// writes it once, straight into memory of its own (<see cref="HeldImage"/>), so a build
/// leaves no image-sized arrays behind for the garbage collector (bench/memory.sh).
/// </summary>
public sealed class PackedImage(long length, Action<Stream> writeTo)
{
    public long Length { get; } = length;

    /// <summary>Writes exactly <see cref="Length"/> bytes to <paramref name="output"/>.</summary>
    public void WriteTo(Stream output)
    {
        var start = output.Position;
        writeTo(output);
        if (output.Position - start != Length)
            throw new InvalidOperationException($"the image wrote {output.Position - start} bytes of the {Length} it planned");
    }

    /// <summary>An image that is one array already.</summary>
    public static PackedImage Of(byte[] bytes) => new(bytes.Length, output => output.Write(bytes));

    /// <summary>The image in an array of its own (tests, and images small enough not to matter).</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        using var stream = new MemoryStream(bytes);
        WriteTo(stream);
        return bytes;
    }
}
