using System.Net;

namespace Oxbow.Daemon.Syslog;

/// <summary>
/// Syslog carries no token, so what a syslog sender may do is set here: who may send (<see cref="Allowed"/>, source
/// networks) and which types it may write (<see cref="TypePrefix"/>, a subtree it cannot leave). docs/syslog.md.
/// </summary>
/// <param name="DefaultType">The type of a message that names none; within the prefix.</param>
/// <param name="TypePrefix">
/// Every syslog event's type is the prefix or under it: a type a message names itself (a CEE <c>type</c>, as Oxbow's
/// syslog sink sends) is put under it (<c>billing</c> becomes <c>syslog.billing</c>). Empty: types are taken as sent
/// (only for a network whose every sender is trusted).
/// </param>
/// <param name="Allowed">Source networks that may send; others are dropped and counted (<c>syslog_unauthorized</c>).</param>
internal sealed record SyslogPolicy(string DefaultType, string TypePrefix, IReadOnlyList<IPNetwork> Allowed)
{
    /// <summary>Loopback only.</summary>
    public static IReadOnlyList<IPNetwork> LoopbackNetworks { get; } = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    /// <summary>Whether <paramref name="sender"/> is in an allowed network (an IPv4-mapped IPv6 address counts as IPv4).</summary>
    public bool Admits(IPAddress? sender)
    {
        if (sender is null)
        {
            return true; // a Unix socket or a test transport: no network address to judge
        }

        var address = sender.IsIPv4MappedToIPv6 ? sender.MapToIPv4() : sender;
        foreach (var network in Allowed)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The type an event named <paramref name="type"/> is stored under.</summary>
    public string Confine(string type)
    {
        if (TypePrefix.Length == 0 || type == TypePrefix || (type.StartsWith(TypePrefix, StringComparison.Ordinal) && type.Length > TypePrefix.Length && type[TypePrefix.Length] == '.'))
        {
            return type;
        }

        var confined = TypePrefix + "." + type;
        return Oxbow.EventType.IsValid(confined) ? confined : TypePrefix;
    }

    /// <summary>Parses <c>CIDR[,CIDR…]</c>; <c>loopback</c> stands for the loopback networks, <c>any</c> for every address.</summary>
    /// <exception cref="FormatException">A part is not a network.</exception>
    public static IReadOnlyList<IPNetwork> ParseNetworks(string text)
    {
        List<IPNetwork> networks = [];
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            switch (part)
            {
                case "loopback":
                    networks.AddRange(LoopbackNetworks);
                    break;
                case "any":
                    networks.Add(IPNetwork.Parse("0.0.0.0/0"));
                    networks.Add(IPNetwork.Parse("::/0"));
                    break;
                default:
                    networks.Add(IPNetwork.TryParse(part.Contains('/', StringComparison.Ordinal) ? part : part + (part.Contains(':', StringComparison.Ordinal) ? "/128" : "/32"), out var network)
                        ? network
                        : throw new FormatException($"'{part}' is not a network (CIDR such as 10.0.0.0/8, or loopback, or any)"));
                    break;
            }
        }

        return networks;
    }
}
