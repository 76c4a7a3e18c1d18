using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;

namespace Mip.Server.Hosting;

/// <summary>Turns <see cref="MipOptions"/> into stack options, with a precise message for each bad value.</summary>
internal static class StackConfiguration
{
    public static StackOptions Build(MipOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Interface))
        {
            throw new OptionsException(
                "no interface given: pass --interface NAME (and --netns NS if it lives in a namespace). "
                + "The service never picks an interface by itself.");
        }

        MacAddress mac = string.IsNullOrWhiteSpace(o.Mac)
            ? MacDerivation.FromInterfaceName(o.Interface)
            : MacAddress.TryParse(o.Mac, out var m) && m.IsUnicast && m != MacAddress.Zero
                ? m
                : throw new OptionsException($"--mac '{o.Mac}' is not a unicast MAC address like 02:00:00:00:00:01");

        var dns = ParseAddressList(o.Dns, "--dns");
        Ipv4Config? staticConfig = null;
        if (!string.IsNullOrWhiteSpace(o.Ip))
        {
            var parts = o.Ip.Split('/');
            if (!Ipv4Address.TryParse(parts[0], out var address) || address.IsAny || address.IsBroadcast
                || parts.Length != 2 || !int.TryParse(parts[1], out int prefix) || prefix is < 1 or > 32)
            {
                throw new OptionsException($"--ip '{o.Ip}' must be an address with a prefix length, e.g. 192.168.2.5/24");
            }
            var gateway = Ipv4Address.Any;
            if (!string.IsNullOrWhiteSpace(o.Gateway) && !Ipv4Address.TryParse(o.Gateway, out gateway))
            {
                throw new OptionsException($"--gateway '{o.Gateway}' is not an IPv4 address");
            }
            var mask = Ipv4Address.MaskFromPrefix(prefix);
            if (!gateway.IsAny && !gateway.SameSubnet(address, mask))
            {
                throw new OptionsException($"--gateway {gateway} is not inside {o.Ip}");
            }
            staticConfig = new Ipv4Config(address, mask, gateway, dns);
        }
        else if (!string.IsNullOrWhiteSpace(o.Gateway))
        {
            throw new OptionsException("--gateway needs --ip: with DHCP the server's router option is used");
        }

        return new StackOptions
        {
            Mac = mac,
            StaticIpv4 = staticConfig,
            DnsServers = dns,
            DhcpHostname = string.IsNullOrWhiteSpace(o.Hostname) ? null : o.Hostname,
            Dhcp = LabDhcpTimings(string.IsNullOrWhiteSpace(o.Hostname) ? null : o.Hostname),
        };
    }

    /// <summary>
    /// RFC 2131 §4.1 retransmission starting at 1 s instead of 4 s, and a shortened RFC 5227 conflict probe (two
    /// probes 100 ms apart, then 100 ms of quiet) instead of its 3–7 s: on a bench LAN a lease should take well
    /// under a second (Mongoose's takes 25 ms with no probe at all), while a duplicate address is still caught.
    /// </summary>
    private static DhcpClientOptions LabDhcpTimings(string? hostname) => new()
    {
        HostName = hostname,
        InitialRetransmitTimeout = TimeSpan.FromSeconds(1),
        RetransmitJitter = TimeSpan.FromMilliseconds(250),
        ProbeWait = TimeSpan.FromMilliseconds(10),
        ProbeCount = 2,
        ProbeMin = TimeSpan.FromMilliseconds(100),
        ProbeMax = TimeSpan.FromMilliseconds(100),
        AnnounceWait = TimeSpan.FromMilliseconds(100),
    };

    public static IReadOnlyList<string> ParseNames(string? list) =>
        string.IsNullOrWhiteSpace(list) ? [] : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static List<Ipv4Address> ParseAddressList(string? list, string option)
    {
        var result = new List<Ipv4Address>();
        foreach (var item in ParseNames(list))
        {
            if (!Ipv4Address.TryParse(item, out var a) || a.IsAny)
            {
                throw new OptionsException($"{option}: '{item}' is not an IPv4 address");
            }
            result.Add(a);
        }
        return result;
    }
}
