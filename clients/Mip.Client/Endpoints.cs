using System.Globalization;
using System.Net;
using Mip.Grpc.V1;

namespace Mip.Client;

/// <summary>Conversions between the API's <see cref="Endpoint"/> and <see cref="IPEndPoint"/>.</summary>
internal static class Endpoints
{
    public static IPEndPoint ToIPEndPoint(this Endpoint? e) =>
        e is null || !IPAddress.TryParse(e.Address, out var address)
            ? new IPEndPoint(IPAddress.Any, 0)
            : new IPEndPoint(address, (int)e.Port);

    public static Endpoint ToEndpoint(string host, int port) =>
        new() { Address = host, Port = checked((uint)port) };

    public static string Describe(this Endpoint? e) =>
        e is null ? "?" : string.Create(CultureInfo.InvariantCulture, $"{e.Address}:{e.Port}");
}
