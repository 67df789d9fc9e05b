namespace Bootstrap.Builder.Images.Formats.Zbin;

/// <summary>
/// Packs one precompiled BIOS <c>.lkrn</c> link output (<c>X.bin</c> and its <c>X.zinfo</c>) again for
/// each script written over its placeholder, redoing only what the script changes: a PACK record
/// that does not hold the placeholder gives the same stream every time, so it is compressed once
/// (each compression also costs liblzma ~60 ms of setting up its 8 MiB dictionary's tables); the
/// record that holds it is compressed from the placeholder on by <see cref="ResumableLzma"/> when
/// the helper is there, and whole otherwise. Every way gives <see cref="ZbinPacker.Pack"/>'s bytes.
/// </summary>
public sealed class LkrnRepacker : IDisposable
{
    private readonly byte[] _image;
    private readonly byte[] _zinfo;
    private readonly int _placeholderOffset;
    private readonly List<(byte[] Input, Lazy<byte[]> Stream)> _unchanging = [];
    private readonly ResumableLzma? _resumable;

    /// <param name="helper">the lzma-resume executable, or null to compress the script's record whole</param>
    public LkrnRepacker(byte[] image, byte[] zinfo, int placeholderOffset, string? helper, int workers)
    {
        _image = image;
        _zinfo = zinfo;
        _placeholderOffset = placeholderOffset;
        foreach (var (start, filtered) in ZbinPacker.FilteredPackInputs(image, zinfo))
        {
            var offset = placeholderOffset - start;
            if (offset < 0 || offset >= filtered.Length)
                _unchanging.Add((filtered, new Lazy<byte[]>(() => Lzma1.Encode(filtered))));
            // The prefix ends 8 bytes early: the BCJ filter rewrites the 4 bytes after a CALL, which
            // may reach into the script. TryEncode checks each input's prefix anyway.
            else if (helper != null && offset >= 8)
                _resumable = ResumableLzma.Start(helper, filtered[..(offset - 8)], workers);
        }
        _ = Task.Run(() => _unchanging.ForEach(u => _ = u.Stream.Value));   // warm, off the loading thread
    }

    /// <summary>For /healthz: how the script's PACK record is compressed.</summary>
    public string Status => _resumable?.Status ?? "in-process (no lzma-resume helper in the template)";

    /// <summary>The packed .lkrn with <paramref name="script"/> (placeholder-sized) in place of the placeholder.</summary>
    public byte[] Pack(ReadOnlySpan<byte> script)
    {
        var image = (byte[])_image.Clone();
        script.CopyTo(image.AsSpan(_placeholderOffset));
        return ZbinPacker.Pack(image, _zinfo, Compress);
    }

    private byte[]? Compress(ReadOnlySpan<byte> filtered)
    {
        foreach (var (input, stream) in _unchanging)
            if (filtered.SequenceEqual(input))
                return stream.Value;
        return _resumable?.TryEncode(filtered);
    }

    public void Dispose() => _resumable?.Dispose();
}
