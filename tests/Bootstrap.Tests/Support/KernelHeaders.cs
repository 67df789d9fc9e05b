using System.Buffers.Binary;

namespace Bootstrap.Tests.Support;

/// <summary>The first bytes of kernels of each architecture, as the kernel store reads them.</summary>
public static class KernelHeaders
{
    /// <summary>4 KiB starting as an EFI-stub kernel for <paramref name="machine"/> does: MZ, e_lfanew 0x40, PE\0\0, the machine type.</summary>
    public static byte[] Pe(ushort machine)
    {
        var head = new byte[4096];
        "MZ"u8.CopyTo(head);
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(0x3c), 0x40);
        "PE\0\0"u8.CopyTo(head.AsSpan(0x40));
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(0x44), machine);
        return head;
    }

    public static byte[] Arm64Pe => Pe(0xaa64);

    public static byte[] X64Pe => Pe(0x8664);
}
