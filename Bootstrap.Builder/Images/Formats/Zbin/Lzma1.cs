using System.Runtime.InteropServices;

namespace Bootstrap.Builder.Images.Formats.Zbin;

/// <summary>
/// Raw LZMA1 compression through the system's liblzma, the library iPXE's own <c>zbin</c> links:
/// the same library with the same options gives the same bytes, which a managed encoder would not.
/// </summary>
internal static unsafe partial class Lzma1
{
    private const string Library = "liblzma.so.5";
    private const ulong FilterLzma1 = 0x4000000000000001;     // lzma/lzma12.h LZMA_FILTER_LZMA1
    private const ulong VliUnknown = ulong.MaxValue;          // lzma/vli.h LZMA_VLI_UNKNOWN
    private const uint PresetExtreme = 0x80000000;            // lzma/container.h LZMA_PRESET_EXTREME
    // lzma/lzma12.h lzma_options_lzma: dict_size @0, preset_dict @8, preset_dict_size @16, lc @20, lp @24, pb @28.
    private const int LcOffset = 20, LpOffset = 24, PbOffset = 28;
    private const int OptionsBufferSize = 256;                // larger than the struct in any liblzma 5.x

    [StructLayout(LayoutKind.Sequential)]
    private struct Filter
    {
        public ulong Id;
        public void* Options;
    }

    [LibraryImport(Library, EntryPoint = "lzma_lzma_preset")]
    private static partial byte Preset(byte* options, uint preset);

    [LibraryImport(Library, EntryPoint = "lzma_raw_buffer_encode")]
    private static partial int RawBufferEncode(Filter* filters, void* allocator, byte* input, nuint inputSize,
        byte* output, nuint* outputPosition, nuint outputSize);

    /// <summary>Compresses <paramref name="input"/> into <paramref name="output"/>; returns the bytes written.</summary>
    public static int Encode(ReadOnlySpan<byte> input, Span<byte> output, uint preset, int lc, int lp, int pb)
    {
        var options = stackalloc byte[OptionsBufferSize];
        new Span<byte>(options, OptionsBufferSize).Clear();
        if (Preset(options, preset) != 0)
            throw new InvalidOperationException($"liblzma has no preset {preset:x}");
        *(uint*)(options + LcOffset) = (uint)lc;
        *(uint*)(options + LpOffset) = (uint)lp;
        *(uint*)(options + PbOffset) = (uint)pb;
        var filters = stackalloc Filter[2];
        filters[0] = new Filter { Id = FilterLzma1, Options = options };
        filters[1] = new Filter { Id = VliUnknown, Options = null };
        nuint written = 0;
        fixed (byte* source = input)
        fixed (byte* destination = output)
        {
            var status = RawBufferEncode(filters, null, source, (nuint)input.Length, destination, &written, (nuint)output.Length);
            if (status != 0)
                throw new InvalidOperationException($"liblzma could not compress {input.Length} bytes (lzma_ret {status})");
        }
        return (int)written;
    }

    /// <summary>The stream of <paramref name="input"/> with iPXE's options (<see cref="IpxePreset"/>, lc 2, lp 0, pb 0).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> input)
    {
        var output = new byte[input.Length + input.Length / 4 + 65536];   // above LZMA's worst case
        return output[..Encode(input, output, IpxePreset, lc: 2, lp: 0, pb: 0)];
    }

    /// <summary>iPXE's choice (util/zbin.c LZMA_PRESET): the default level, extreme.</summary>
    public const uint IpxePreset = 6 | PresetExtreme;
}
