using System.Globalization;
using Mip.Client;
using Mip.DemoHttp;

// mip-demo-http [--server http://127.0.0.1:50051] [--port 80] [--token T]
// Listens on the stack through gRPC and serves HTTP/1.1 on every accepted connection until Ctrl+C.
string server = Environment.GetEnvironmentVariable("MIP_SERVER") ?? "http://127.0.0.1:50051";
int port = 80;
string? token = Environment.GetEnvironmentVariable("MIP_TOKEN");
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--server" when i + 1 < args.Length:
            server = args[++i];
            break;
        case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is >= 0 and <= 65535:
            port = p;
            i++;
            break;
        case "--token" when i + 1 < args.Length:
            token = args[++i];
            break;
        default:
            await Console.Error.WriteLineAsync("usage: mip-demo-http [--server URL] [--port N] [--token TOKEN]");
            return 64; // EX_USAGE
    }
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

using var client = new MipClient(server, new MipClientOptions { Token = token });
MipTcpListener listener;
try
{
    listener = await client.ListenAsync(port, backlog: 128, cancellationToken: stop.Token);
}
catch (MipSocketException ex)
{
    await Console.Error.WriteLineAsync($"mip-demo-http: cannot listen on port {port} of the stack: {ex.Message}");
    return 1;
}
await using (listener)
{
    Console.WriteLine($"mip-demo-http: serving HTTP on {listener.LocalEndPoint} through {server}");
    var demo = new DemoHttpServer(listener.LocalEndPoint);
    await demo.RunAsync(listener, stop.Token);
}
return 0;
