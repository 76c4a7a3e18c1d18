using Google.Rpc;
using Grpc.Core;
using Mip.Grpc.V1;
using Mip.Server.Grpc;
using Mip.Server.Grpc.Capture;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dns;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Server.Tests.Grpc;

public sealed class ArgumentsAndErrorsTests
{
    [Fact]
    public void Ping_defaults_apply_to_zero_fields()
    {
        var args = PingArguments.Parse(new PingRequest { Host = " demo.lab " }, out var violations);
        Assert.Empty(violations);
        Assert.Equal(new PingArguments("demo.lab", 4, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 56), args);
    }

    [Fact]
    public void Ping_reports_every_bad_field()
    {
        PingArguments.Parse(new PingRequest { Count = 10_001, IntervalMs = 60_001, TimeoutMs = 70_000, PayloadBytes = 65_508 }, out var violations);
        Assert.Equal(["host", "count", "interval_ms", "timeout_ms", "payload_bytes"], violations.Select(v => v.Field));
        var ex = GrpcErrors.InvalidArgument(violations);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var status = ex.GetRpcStatus()!;
        Assert.Equal(5, status.GetDetail<BadRequest>().FieldViolations.Count);
        Assert.Equal("mip.v1", status.GetDetail<ErrorInfo>().Domain);
    }

    [Theory]
    [InlineData(PingFailureReason.HostUnreachable, "HostUnreachable")]
    [InlineData(PingFailureReason.NetworkUnreachable, "NetworkUnreachable")]
    [InlineData(PingFailureReason.TtlExceeded, "TtlExceeded")]
    [InlineData(PingFailureReason.Unreachable, "Unreachable")]
    [InlineData(PingFailureReason.AddressLost, "AddressLost")]
    public void Ping_failures_map_to_the_documented_error_names(PingFailureReason reason, string error)
    {
        var failed = new PingFailed(Instant.Zero, Ipv4Address.Parse("192.168.2.77"), 7, 3, reason);
        var response = StackGrpcService.ToResponse(failed, "192.168.2.77");
        Assert.Equal(new PingResponse { Sequence = 3, From = "192.168.2.77", Error = error }, response);
    }

    [Theory]
    [InlineData(StackError.AddressInUse, StatusCode.AlreadyExists, "ADDRESS_IN_USE")]
    [InlineData(StackError.NotConfigured, StatusCode.FailedPrecondition, "NOT_CONFIGURED")]
    [InlineData(StackError.NoRoute, StatusCode.Unavailable, "HOST_UNREACHABLE")]
    [InlineData(StackError.BroadcastNotPermitted, StatusCode.PermissionDenied, "BROADCAST_NOT_PERMITTED")]
    public void Stack_errors_map_to_codes_and_reasons(StackError error, StatusCode code, string reason)
    {
        var ex = GrpcErrors.FromStackError(error, "x");
        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(reason, ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
    }

    [Theory]
    [InlineData(TcpError.ConnectionRefused, StatusCode.Unavailable, "CONNECTION_REFUSED")]
    [InlineData(TcpError.ConnectionReset, StatusCode.Unavailable, "CONNECTION_RESET")]
    [InlineData(TcpError.TimedOut, StatusCode.DeadlineExceeded, "TIMED_OUT")]
    [InlineData(TcpError.HostUnreachable, StatusCode.Unavailable, "HOST_UNREACHABLE")]
    [InlineData(TcpError.NetworkUnreachable, StatusCode.Unavailable, "NETWORK_UNREACHABLE")]
    [InlineData(TcpError.AddressLost, StatusCode.Unavailable, "ADDRESS_LOST")]
    [InlineData(TcpError.Aborted, StatusCode.Aborted, "SOCKET_CLOSED")]
    public void Tcp_errors_map_to_codes_and_reasons(TcpError error, StatusCode code, string reason)
    {
        var ex = Server.Grpc.Tcp.TcpErrors.FromTcpError(error, new Ipv4Endpoint(Ipv4Address.Parse("192.168.2.1"), 80));
        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(reason, ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
    }

    [Fact]
    public void Every_tcp_error_has_its_own_reason()
    {
        var remote = new Ipv4Endpoint(Ipv4Address.Parse("192.168.2.1"), 80);
        var reasons = Enum.GetValues<TcpError>().Where(e => e != TcpError.None)
            .Select(e => Server.Grpc.Tcp.TcpErrors.FromTcpError(e, remote).GetRpcStatus()!.GetDetail<ErrorInfo>().Reason).ToList();
        Assert.DoesNotContain("TCP_ERROR", reasons);
        Assert.Equal(reasons.Count, reasons.Distinct().Count());
    }

    [Theory]
    [InlineData(DnsResolveStatus.NameNotFound, StatusCode.NotFound, "NAME_NOT_FOUND")]
    [InlineData(DnsResolveStatus.NoData, StatusCode.NotFound, "NO_ADDRESS")]
    [InlineData(DnsResolveStatus.Timeout, StatusCode.Unavailable, "DNS_TIMEOUT")]
    [InlineData(DnsResolveStatus.NoServers, StatusCode.FailedPrecondition, "NO_DNS_SERVERS")]
    [InlineData(DnsResolveStatus.Overloaded, StatusCode.ResourceExhausted, "DNS_OVERLOADED")]
    public void Dns_failures_map_to_codes_and_reasons(DnsResolveStatus dns, StatusCode code, string reason)
    {
        var ex = GrpcErrors.FromDns(new DnsResult(dns, "demo.lab", null, [], TimeSpan.Zero, Ipv4Address.Any));
        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(reason, ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
    }

    [Theory]
    [InlineData(DropReason.BadChecksum, "bad_checksum")]
    [InlineData(DropReason.UdpPortUnreachable, "udp_port_unreachable")]
    [InlineData(DropReason.NotForUs, "not_for_us")]
    public void Drop_reasons_are_snake_case(DropReason reason, string name) => Assert.Equal(name, EventMapper.DropReasonName(reason));

    // A UDP datagram 192.168.2.1:7000 -> 192.168.2.21:5353 and an ARP request for 192.168.2.21.
    private static readonly byte[] Udp = Convert.FromHexString(
        "020000000001" + "020000000002" + "0800" + "45000020000040004011" + "0000" + "C0A80201" + "C0A80215" + "1B5814E9000C0000" + "61626364");
    private static readonly byte[] Arp = Convert.FromHexString(
        "FFFFFFFFFFFF" + "020000000002" + "0806" + "0001080006040001" + "020000000002" + "C0A80201" + "000000000000" + "C0A80215");

    [Fact]
    public void Capture_filter_matches_host_port_protocol_and_direction()
    {
        CaptureFilter Filter(CaptureRequest r)
        {
            var f = CaptureFilter.Parse(r, out var v);
            Assert.Empty(v);
            return f;
        }
        Assert.True(Filter(new CaptureRequest()).Matches(Udp, inbound: true));
        Assert.True(Filter(new CaptureRequest { Host = "192.168.2.21", Port = 5353, Protocol = "udp" }).Matches(Udp, true));
        Assert.False(Filter(new CaptureRequest { Port = 53 }).Matches(Udp, true));
        Assert.False(Filter(new CaptureRequest { Protocol = "icmp" }).Matches(Udp, true));
        Assert.False(Filter(new CaptureRequest { Direction = CaptureDirection.Out }).Matches(Udp, true));
        Assert.True(Filter(new CaptureRequest { Protocol = "arp", Host = "192.168.2.21" }).Matches(Arp, true));
        Assert.False(Filter(new CaptureRequest { Protocol = "arp" }).Matches(Udp, true));
        Assert.False(Filter(new CaptureRequest { Port = 5353 }).Matches(Arp, true));
        CaptureFilter.Parse(new CaptureRequest { Host = "nope", Protocol = "sctp", Port = 70000 }, out var violations);
        Assert.Equal(["host", "port", "protocol"], violations.Select(v => v.Field));
    }
}
