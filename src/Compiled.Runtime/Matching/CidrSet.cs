namespace Compiled.Runtime.Matching;

/// <summary>A list of IPv4 and IPv6 CIDR blocks parsed once, for <c>cidrMatch</c>.</summary>
public sealed class CidrSet
{
    private readonly UInt128[] _networks;
    private readonly UInt128[] _masks;

    /// <summary>Parses blocks such as <c>10.0.0.0/8</c>, <c>fe80::/10</c> or a single address; host bits may be set.</summary>
    public CidrSet(params string[] blocks)
    {
        _networks = new UInt128[blocks.Length];
        _masks = new UInt128[blocks.Length];
        for (int i = 0; i < blocks.Length; i++)
        {
            string block = blocks[i];
            int slash = block.IndexOf('/');
            var addressText = slash < 0 ? block.AsSpan() : block.AsSpan(0, slash);
            if (!IPAddressBits.TryParse(addressText, out var address, out bool isIPv4))
            {
                throw new ArgumentException($"'{block}' is not a valid IP address or CIDR block.", nameof(blocks));
            }

            int maxPrefix = isIPv4 ? 32 : 128;
            int prefix = slash < 0 ? maxPrefix : int.Parse(block.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture);
            if (prefix < 0 || prefix > maxPrefix)
            {
                throw new ArgumentException($"'{block}' has a prefix length outside 0 to {maxPrefix}.", nameof(blocks));
            }

            int bits = isIPv4 ? 96 + prefix : prefix;
            UInt128 mask = bits == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - bits);
            _masks[i] = mask;
            _networks[i] = address & mask;
        }
    }

    /// <summary>Returns true when <paramref name="address"/> lies in any block.</summary>
    public bool Contains(UInt128 address)
    {
        for (int i = 0; i < _networks.Length; i++)
        {
            if ((address & _masks[i]) == _networks[i])
            {
                return true;
            }
        }

        return false;
    }
}
