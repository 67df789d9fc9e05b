using System.Buffers.Binary;

namespace Bootstrap.Builder.Images.Formats;

/// <summary>Field writers for on-disk structures: every offset is the spec's byte offset.</summary>
internal static class Fields
{
    public static void U16(Span<byte> b, int at, int v) => BinaryPrimitives.WriteUInt16LittleEndian(b[at..], (ushort)v);
    public static void U32(Span<byte> b, int at, long v) => BinaryPrimitives.WriteUInt32LittleEndian(b[at..], (uint)v);
    public static void U64(Span<byte> b, int at, long v) => BinaryPrimitives.WriteUInt64LittleEndian(b[at..], (ulong)v);
    public static void U16Be(Span<byte> b, int at, int v) => BinaryPrimitives.WriteUInt16BigEndian(b[at..], (ushort)v);
    public static void U32Be(Span<byte> b, int at, long v) => BinaryPrimitives.WriteUInt32BigEndian(b[at..], (uint)v);

    /// <summary>ECMA-119 7.2.3 "both-byte orders" 16-bit field: little-endian then big-endian.</summary>
    public static void U16Both(Span<byte> b, int at, int v)
    {
        U16(b, at, v);
        U16Be(b, at + 2, v);
    }

    /// <summary>ECMA-119 7.3.3 "both-byte orders" 32-bit field: little-endian then big-endian.</summary>
    public static void U32Both(Span<byte> b, int at, long v)
    {
        U32(b, at, v);
        U32Be(b, at + 4, v);
    }

    /// <summary>ASCII text padded with <paramref name="pad"/> to <paramref name="length"/> bytes.</summary>
    public static void Text(Span<byte> b, int at, int length, string text, byte pad = (byte)' ')
    {
        b.Slice(at, length).Fill(pad);
        for (var i = 0; i < Math.Min(length, text.Length); i++)
            b[at + i] = (byte)text[i];
    }
}
