namespace Bootstrap.Builder.Images.Formats;

/// <summary>Padding: zero bytes written from one shared block, not an array per gap.</summary>
internal static class Zeros
{
    private static readonly byte[] Block = new byte[64 * 1024];

    public static void Write(Stream output, long count)
    {
        for (; count > 0; count -= Block.Length)
            output.Write(Block, 0, (int)Math.Min(count, Block.Length));
    }
}
