using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Compiled.Generators.Eql;

/// <summary>Validates IPv4 and IPv6 addresses and CIDR blocks written in rules.</summary>
internal static class CidrSyntax
{
    public static bool IsValid(string text)
    {
        string address = text;
        int prefix = -1;
        int slash = text.IndexOf('/');
        if (slash >= 0)
        {
            address = text.Substring(0, slash);
            string prefixText = text.Substring(slash + 1);
            if (prefixText.Length == 0 || prefixText.Length > 3 ||
                !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix))
            {
                return false;
            }
        }

        if (address.IndexOf(':') >= 0)
        {
            return IPAddress.TryParse(address, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
                && address.IndexOf('%') < 0 && prefix <= 128;
        }

        // IPAddress.TryParse accepts shorthand such as "10" or "10.1"; a rule must write all four parts.
        var parts = address.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (var part in parts)
        {
            if (part.Length == 0 || part.Length > 3 ||
                !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int octet) || octet > 255)
            {
                return false;
            }
        }

        return prefix <= 32;
    }
}
