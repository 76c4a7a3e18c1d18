using System.Text;
using Google.Protobuf;
using Mip.Grpc.V1;

namespace Mip.Cli;

/// <summary>Tables for people, JSON for scripts.</summary>
internal static class Output
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static void Json(IMessage message) => Console.WriteLine(Formatter.Format(message));

    /// <summary>"tcp", "tcp-listen" or "udp", as the sockets table and the events print it.</summary>
    public static string Protocol(SocketProtocol protocol) => protocol switch
    {
        SocketProtocol.Tcp => "tcp",
        SocketProtocol.TcpListener => "tcp-listen",
        SocketProtocol.Udp => "udp",
        _ => "?",
    };

    /// <summary>"address:port", or "-" when there is none.</summary>
    public static string Endpoint(Endpoint? e) => e is null || e.Address.Length == 0 ? "-" : $"{e.Address}:{e.Port}";

    /// <summary>Prints rows under a header, each column as wide as its widest cell.</summary>
    public static void Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = new int[header.Length];
        foreach (var row in all)
        {
            for (int i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }
        var line = new StringBuilder();
        foreach (var row in all)
        {
            line.Clear();
            for (int i = 0; i < row.Length; i++)
            {
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }
            Console.WriteLine(line.ToString().TrimEnd());
        }
    }
}
