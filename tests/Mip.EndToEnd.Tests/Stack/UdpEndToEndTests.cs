using System.Diagnostics;
using Mip.EndToEnd.Tests.Lab;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Sockets;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Stack;

/// <summary>UDP between the stack and kernel peers (socat), including datagrams that must be fragmented.</summary>
public sealed class UdpEndToEndTests
{
    private const ushort KernelEchoPort = 7000;

    [Fact]
    public void Kernel_socat_gets_its_datagram_echoed_by_a_stack_socket()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        var echo = new EchoService(7);
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults(), onPoll: echo.Poll);
        var address = stack.WaitForAddress(TimeSpan.FromSeconds(10)).Address;

        var result = lab.RunKernel("bash", "-c", $"echo 'hello through the stack' | socat -t 2 - UDP4:{address}:7").EnsureSuccess();
        Assert.Equal("hello through the stack\n", result.Stdout);
        Assert.Equal(1, echo.Echoed);
    }

    [Fact]
    public void Stack_exchanges_datagrams_with_a_kernel_socat_echo_server()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        StartSocatEcho(lab);
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults());
        stack.WaitForAddress(TimeSpan.FromSeconds(10));

        var socket = stack.Invoke((s, _) => s.OpenUdp());
        for (int i = 0; i < 20; i++)
        {
            byte[] payload = Payload(100 + i, seed: i);
            Assert.Equal(payload, RoundTrip(stack, socket, payload));
        }
    }

    [Fact]
    public void A_6000_byte_datagram_is_fragmented_by_each_side_and_reassembled_by_the_other()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        StartSocatEcho(lab);
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults());
        stack.WaitForAddress(TimeSpan.FromSeconds(10));
        var socket = stack.Invoke((s, _) => s.OpenUdp());

        // The stack fragments 6000 bytes into five frames; the kernel reassembles, and socat echoes the whole
        // datagram, which the kernel fragments in turn and the stack reassembles.
        byte[] payload = Payload(6000, seed: 6000);
        Assert.Equal(payload, RoundTrip(stack, socket, payload));

        var counters = stack.Invoke((s, _) => (s.Counters.DatagramsFragmented, s.Counters.FragmentsSent, s.Counters.DatagramsReassembled, s.Counters.FragmentsReceived));
        Assert.Equal(1, counters.DatagramsFragmented);
        Assert.Equal(5, counters.FragmentsSent);
        Assert.Equal(1, counters.DatagramsReassembled);
        Assert.Equal(5, counters.FragmentsReceived);
        var kernelStats = lab.RunKernel("cat", "/proc/net/snmp").EnsureSuccess().Stdout;
        Assert.Contains("Ip:", kernelStats, StringComparison.Ordinal);
        Assert.Equal(1, KernelIpCounter(kernelStats, "ReasmOKs"));
        Assert.Equal(1, KernelIpCounter(kernelStats, "FragOKs"));
    }

    private static void StartSocatEcho(LabNetwork lab)
    {
        var socat = lab.Start(lab.KernelNamespace, "socat-echo", "socat", "-d", "-d",
            $"UDP4-RECVFROM:{KernelEchoPort},bind={LabNetwork.KernelAddress},reuseaddr,fork", "PIPE");
        Assert.True(socat.WaitForOutput("receiving on", TimeSpan.FromSeconds(10)), socat.Output);
    }

    private static byte[] RoundTrip(StackHarness stack, UdpSocket socket, byte[] payload)
    {
        var server = new Ipv4Endpoint(LabNetwork.KernelAddress, KernelEchoPort);
        Assert.True(stack.Invoke((_, now) => socket.TrySendTo(payload, server, now)));
        var buffer = new byte[65535];
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            var (received, length, from) = stack.Invoke((_, _) =>
            {
                bool ok = socket.TryReceiveFrom(buffer, out int n, out var remote);
                return (ok, n, remote);
            });
            if (received)
            {
                Assert.Equal(server, from);
                return buffer[..length];
            }
            Thread.Sleep(2);
        }
        throw new TimeoutException($"no echo of {payload.Length} bytes within 5 s");
    }

    private static long KernelIpCounter(string snmp, string name)
    {
        var lines = snmp.Split('\n').Where(l => l.StartsWith("Ip: ", StringComparison.Ordinal)).ToArray();
        var names = lines[0].Split(' ');
        var values = lines[1].Split(' ');
        return long.Parse(values[Array.IndexOf(names, name)], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A UDP echo port run inside the stack loop, like mip-server's --udp-echo-port.</summary>
    private sealed class EchoService(ushort port)
    {
        private readonly byte[] _buffer = new byte[65535];
        private UdpSocket? _socket;

        public int Echoed { get; private set; }

        public void Poll(NetStack stack, Instant now)
        {
            _socket ??= stack.OpenUdp(port);
            while (_socket.TryReceiveFrom(_buffer, out int length, out var remote))
            {
                if (_socket.TrySendTo(_buffer.AsSpan(0, length), remote, now))
                {
                    Echoed++;
                }
            }
        }
    }
}
