namespace Bootstrap.Builder;

/// <summary>MAC addresses in the one form the database keys on: <c>aa:bb:cc:dd:ee:ff</c>.</summary>
public static class MacAddress
{
    /// <summary>
    /// Accepts 12 hex digits, plain or grouped by <c>:</c>, <c>-</c> or <c>.</c> (e.g. iPXE's
    /// <c>52:54:00:12:34:56</c>, Windows' <c>52-54-00-12-34-56</c>, Cisco's <c>5254.0012.3456</c>),
    /// in any case. Returns null for anything else.
    /// </summary>
    public static string? Normalize(string? text)
    {
        if (text is null || text.Length > 17)
            return null;
        var hex = new char[12];
        var count = 0;
        char? separator = null;
        foreach (var c in text)
        {
            if (char.IsAsciiHexDigit(c))
            {
                if (count == 12)
                    return null;
                hex[count++] = char.ToLowerInvariant(c);
            }
            else if (c is ':' or '-' or '.' && (separator == null || separator == c))
            {
                separator = c;
            }
            else
            {
                return null;
            }
        }
        if (count != 12)
            return null;
        return string.Join(':', Enumerable.Range(0, 6).Select(i => new string(hex, i * 2, 2)));
    }

    /// <summary>
    /// Null when <paramref name="mac"/> (normalised) can belong to a NIC, else why not: an address
    /// with the group bit set (IEEE 802-2014 §8.2: multicast, broadcast included) or all zeros
    /// names no machine, and a job given to it would be handed to whoever asks with it.
    /// </summary>
    public static Problem? NotANic(string mac) =>
        mac == "00:00:00:00:00:00" ? Problem.Invalid($"mac: {mac} is all zeros, not a network card's address")
        : (Convert.ToByte(mac[..2], 16) & 1) == 1 ? Problem.Invalid($"mac: {mac} is a {(mac == "ff:ff:ff:ff:ff:ff" ? "broadcast" : "multicast")} address, not a network card's")
        : null;
}
