namespace Bootstrap.Builder.Storage;

/// <summary>
/// Reads <paramref name="prefix"/>, then the rest of <paramref name="rest"/>: what a reader that
/// peeked at a stream's first bytes hands on (.NET has no concatenating stream).
/// </summary>
public sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    /// <summary>Reads up to <paramref name="count"/> bytes of <paramref name="content"/>; the bytes read and the stream that reads them again, then the rest.</summary>
    public static async Task<(byte[] Head, Stream Whole)> PeekAsync(Stream content, int count, CancellationToken cancel)
    {
        var head = new byte[count];
        var read = await content.ReadAtLeastAsync(head, count, throwOnEndOfStream: false, cancel);
        Array.Resize(ref head, read);
        return (head, new PrefixedStream(head, content));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefix.Length == 0)
            return await rest.ReadAsync(buffer, cancellationToken);
        var count = Math.Min(buffer.Length, _prefix.Length);
        _prefix[..count].CopyTo(buffer);
        _prefix = _prefix[count..];
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_prefix.Length == 0)
            return rest.Read(buffer, offset, count);
        var taken = Math.Min(count, _prefix.Length);
        _prefix[..taken].CopyTo(buffer.AsMemory(offset, taken));
        _prefix = _prefix[taken..];
        return taken;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
