#!/usr/bin/env bash
# Benchmarks that print figures. Needs root (network namespaces) for the veth runs.
#
#   bench.sh tcp [--bytes N] [--seconds S]
#   bench.sh grpc
#
# grpc: the gRPC TcpService on loopback with the stack on a veth lab (tests/Mip.EndToEnd.Tests/Grpc/TcpServiceBench,
# an explicit test): one TCP stream kernel -> stack -> gRPC client and back (Gbit/s), gRPC connect + first byte
# latency (p50/p90/p99), and 1,000 concurrent gRPC-held TCP connections with the server's memory per connection.
#
# tcp: one run on a veth pair between two namespaces this script creates and deletes (offloads off on both ends,
# MTU 1500), single TCP stream each time:
#   kernel -> kernel   iperf3, the baseline (the stack's namespace gets an address for this one run only)
#   kernel -> stack    bench pcap-rx: the stack listens through the pcap driver, a kernel socket sends N bytes
#   stack -> kernel    bench pcap-tx: the stack connects and sends N bytes to a kernel socket
#   both at once       kernel -> stack and stack -> kernel over one connection each, simultaneously
#   stack <-> stack    bench memory: two stacks on the in-memory link, one thread (no pcap, no kernel)
#   pcap rx pps        a kernel UDP flood of 1500-byte frames counted by the pcap driver alone, then by the stack
# and prints a table: Gbit/s, ratio to the kernel baseline, retransmits, allocated bytes per segment.
# Every transfer is bounded by N bytes (default 256 MiB) and S seconds (default 60); the run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

what=${1:-}; shift || true
if [ "$what" = grpc ]; then
  [ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
  out=$(mktemp /tmp/mip-grpc-bench.XXXXXX.txt)
  MIP_BENCH_OUT=$out dotnet test --project tests/Mip.EndToEnd.Tests -c Release -- --filter-class '*TcpServiceBench' --explicit only >/dev/null 2>&1 ||
    echo "bench: the gRPC bench failed (run it with: dotnet test --project tests/Mip.EndToEnd.Tests -- --filter-class '*TcpServiceBench' --explicit only)" >&2
  cat "$out"; rm -f "$out"
  exit 0
fi
[ "$what" = tcp ] || usage
bytes=$((256 << 20))
seconds=60
while (($#)); do
  case "$1" in
    --bytes) bytes=${2:?}; shift 2 ;;
    --seconds) seconds=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "bench: unknown argument '$1'" >&2; usage ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces): sudo $0 tcp" >&2; exit 1; }
for tool in ip ethtool iperf3 socat python3 dotnet; do
  command -v $tool >/dev/null || { echo "bench: $tool missing (run scripts/deps.sh)" >&2; exit 1; }
done

NSK=mip-bench-k NSS=mip-bench-s
KIP=192.168.77.1 SIP=192.168.77.2
TMP=$(mktemp -d /tmp/mip-bench.XXXXXX)
BENCH=(dotnet bench/Mip.Bench/bin/Release/net10.0/mip-bench.dll)
PIDS=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in "$NSK" "$NSS"; do
    [ -e "/var/run/netns/$ns" ] || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '\033[1;36m[bench]\033[0m %s\n' "$*" >&2; }
kv() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" | head -1; } # kv KEY < "RESULT a=1 b=2"

log "building bench/Mip.Bench (Release)"
dotnet build bench/Mip.Bench/Mip.Bench.csproj -c Release -nologo -v q -clp:ErrorsOnly >&2

for ns in "$NSK" "$NSS"; do
  [ ! -e "/var/run/netns/$ns" ] || { echo "bench: namespace $ns exists (another bench running? else: ip netns del $ns)" >&2; exit 1; }
done
ip netns add "$NSK"; ip netns add "$NSS"
ip link add my1 netns "$NSK" type veth peer name my0 netns "$NSS"
for pair in "$NSK my1" "$NSS my0"; do
  set -- $pair
  ip netns exec "$1" ethtool -K "$2" rx off tx off sg off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
  ip netns exec "$1" ip link set lo up
  ip netns exec "$1" ip link set "$2" up
done
ip netns exec "$NSK" ip addr add $KIP/24 dev my1
MAC0=$(ip netns exec "$NSS" cat /sys/class/net/my0/address 2>/dev/null || ip netns exec "$NSS" ip -o link show my0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
log "lab: $NSK (my1 $KIP/24) <-veth, offloads off-> $NSS (my0); $bytes bytes per transfer, ${seconds} s limit each"

# A kernel sink (recv into one buffer) or source (sendall of one zero buffer), so Python costs nothing per byte.
sink_py='import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind((sys.argv[1],int(sys.argv[2]))); s.listen(1)
print("listening",flush=True); c,_=s.accept(); b=bytearray(1<<20); n=0
while True:
  k=c.recv_into(b)
  if not k: break
  n+=k
print("received",n,flush=True)'
source_py='import socket,sys
n=int(sys.argv[3]); c=socket.create_connection((sys.argv[1],int(sys.argv[2]))); b=bytes(1<<20); m=memoryview(b)
while n>0:
  k=min(n,len(b)); c.sendall(m[:k]); n-=k
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()'

wait_for() { # wait_for FILE TEXT PID: until FILE contains TEXT (or PID dies, or 30 s)
  for _ in $(seq 300); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# --- kernel -> kernel baseline ------------------------------------------------------------------------------------
log "kernel -> kernel: iperf3, $bytes bytes"
ip netns exec "$NSS" ip addr add $SIP/24 dev my0
ip netns exec "$NSS" iperf3 -s -1 -B $SIP >"$TMP/iperf3-s.log" 2>&1 & PIDS+=($!)
sleep 0.5
kernel_gbps=$(timeout "$seconds" ip netns exec "$NSK" iperf3 -c $SIP -n "$bytes" -J 2>"$TMP/iperf3-c.err" |
  python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))') ||
  { cat "$TMP/iperf3-c.err" >&2; kernel_gbps=; }
ip netns exec "$NSS" ip addr flush dev my0
ip netns exec "$NSK" ip neigh flush dev my1
log "kernel -> kernel: ${kernel_gbps:-failed} Gbit/s"

# --- the stack through pcap -------------------------------------------------------------------------------------
run_rx() { # run_rx TAG PORT: stack listens on PORT, a kernel source sends $bytes; prints the RESULT line
  local tag=$1 port=$2
  ip netns exec "$NSS" "${BENCH[@]}" pcap-rx "$NSS" my0 $SIP/24 "$port" "$seconds" >"$TMP/$tag.log" 2>&1 & local pid=$!
  PIDS+=($pid)
  wait_for "$TMP/$tag.log" listening $pid || { cat "$TMP/$tag.log" >&2; return 1; }
  timeout "$seconds" ip netns exec "$NSK" python3 -c "$source_py" $SIP "$port" "$bytes" 2>"$TMP/$tag-src.err" || true
  wait $pid || true
  grep -a '^RESULT' "$TMP/$tag.log" || { log "$tag failed:"; cat "$TMP/$tag.log" "$TMP/$tag-src.err" >&2; return 1; }
}
run_tx() { # run_tx TAG PORT: a kernel sink listens on PORT, the stack sends $bytes; prints the RESULT line
  local tag=$1 port=$2
  ip netns exec "$NSK" timeout "$seconds" python3 -c "$sink_py" $KIP "$port" >"$TMP/$tag-sink.log" 2>&1 & local sink=$!
  PIDS+=($sink)
  wait_for "$TMP/$tag-sink.log" listening $sink || { cat "$TMP/$tag-sink.log" >&2; return 1; }
  ip netns exec "$NSS" "${BENCH[@]}" pcap-tx "$NSS" my0 $SIP/24 $KIP:"$port" "$bytes" "$seconds" >"$TMP/$tag.log" 2>&1 || true
  wait $sink || true
  grep -a '^RESULT' "$TMP/$tag.log" || { log "$tag failed:"; cat "$TMP/$tag.log" "$TMP/$tag-sink.log" >&2; return 1; }
}

log "kernel -> stack: bench pcap-rx"
rx=$(run_rx rx 5201) || rx=
log "stack -> kernel: bench pcap-tx"
tx=$(run_tx tx 5202) || tx=
log "both directions at once (two connections, two stack processes on one interface would see each other's frames,"
log "  so one process: pcap-bidi)"
bidi=$(ip netns exec "$NSK" timeout "$seconds" python3 -c "$sink_py" $KIP 5204 >"$TMP/bidi-sink.log" 2>&1 & sink=$!; PIDS+=($sink)
  wait_for "$TMP/bidi-sink.log" listening $sink || exit 1
  ip netns exec "$NSS" "${BENCH[@]}" pcap-bidi "$NSS" my0 $SIP/24 5203 $KIP:5204 "$bytes" "$seconds" >"$TMP/bidi.log" 2>&1 & pid=$!
  wait_for "$TMP/bidi.log" listening $pid || exit 1
  timeout "$seconds" ip netns exec "$NSK" python3 -c "$source_py" $SIP 5203 "$bytes" 2>/dev/null || true
  wait $pid || true; wait $sink || true
  grep -a '^RESULT' "$TMP/bidi.log") || { log "bidi failed:"; cat "$TMP/bidi.log" >&2 2>/dev/null || true; bidi=; }

# --- pcap receive rate alone vs with the stack --------------------------------------------------------------------
# socat in the kernel namespace floods the stack's address with UDP datagrams of 14792 bytes, which the kernel sends
# as 10 full 1514-byte IP fragments each (one syscall per 10 frames, so the sender outruns the receiver), for 4 s;
# the receiver counts frames for 3 s from the first one: first the driver alone, then the stack (which reassembles
# and answers the closed port with rate-limited ICMP). "kernel sent/s" is the sender's rate over its 4 s.
pps_run() { # pps_run MODE
  ip netns exec "$NSK" ip neigh replace $SIP lladdr "$MAC0" dev my1 nud permanent
  ip netns exec "$NSS" "${BENCH[@]}" pcap-pps "$NSS" my0 $SIP/24 3 "$1" >"$TMP/pps-$1.log" 2>&1 & local pid=$!
  PIDS+=($pid)
  wait_for "$TMP/pps-$1.log" listening $pid || { cat "$TMP/pps-$1.log" >&2; return 1; }
  local before; before=$(ip netns exec "$NSK" cat /sys/class/net/my1/statistics/tx_packets)
  ip netns exec "$NSK" timeout 4 socat -u -b 14792 /dev/zero UDP4-SENDTO:$SIP:9 2>/dev/null || true
  wait $pid || true
  local after; after=$(ip netns exec "$NSK" cat /sys/class/net/my1/statistics/tx_packets)
  grep -a '^RESULT' "$TMP/pps-$1.log" | sed "s/\$/ kernel_sent=$((after - before))/"
}
log "pcap receive rate: driver alone, then with the stack"
pps_raw=$(pps_run raw) || pps_raw=
pps_stack=$(pps_run stack) || pps_stack=
ip netns exec "$NSK" ip neigh flush dev my1

log "stack <-> stack on the in-memory link: bench memory"
mem=$("${BENCH[@]}" memory "$bytes" | grep -a '^RESULT') || mem=

# --- table --------------------------------------------------------------------------------------------------------
ratio() { [ -n "$kernel_gbps" ] && [ -n "$1" ] && python3 -c "print('%.2f' % ($1/$kernel_gbps))" || echo -; }
row() { # row NAME GBPS RETRANSMITS EXTRA
  printf '%-34s %9s %8s %12s  %s\n' "$1" "${2:--}" "$(ratio "${2:-}")" "${3:--}" "${4:-}"
}
echo
echo "TCP, single stream, veth MTU 1500, offloads off, $((bytes >> 20)) MiB per transfer"
printf '%-34s %9s %8s %12s  %s\n' path Gbit/s vs-kernel retransmits notes
row "kernel -> kernel (iperf3)" "$kernel_gbps" - "baseline"
row "kernel -> stack (pcap)" "$(kv gbps <<<"$rx")" "$(kv retransmits <<<"$rx")" "$(sed -n 's/.*\(acks_sent=[0-9]*\).*/\1/p' <<<"$rx")"
row "stack -> kernel (pcap)" "$(kv gbps <<<"$tx")" "$(kv retransmits <<<"$tx")"
row "both at once: kernel -> stack" "$(kv rx_gbps <<<"$bidi")" "$(kv retransmits <<<"$bidi")"
row "both at once: stack -> kernel" "$(kv tx_gbps <<<"$bidi")" "" "total $(kv total_gbps <<<"$bidi") Gbit/s"
row "stack <-> stack (in-memory link)" "$(kv gbps <<<"$mem")" - "$(kv alloc_per_segment <<<"$mem") bytes allocated per segment"
echo
echo "pcap receive, 1514-byte frames (UDP fragments) for 3 s (kernel sender: socat)"
printf '%-34s %12s %12s\n' receiver "frames/s" "kernel sent/s"
printf '%-34s %12s %12s\n' "pcap driver alone" "$(kv pps <<<"$pps_raw")" "$(( $(kv kernel_sent <<<"$pps_raw" || echo 0) / 4 ))"
printf '%-34s %12s %12s\n' "pcap driver + stack" "$(kv pps <<<"$pps_stack")" "$(( $(kv kernel_sent <<<"$pps_stack" || echo 0) / 4 ))"
echo
echo "raw: ${rx:-rx failed}"; echo "raw: ${tx:-tx failed}"; echo "raw: ${bidi:-bidi failed}"; echo "raw: ${mem:-memory failed}"
echo "raw: ${pps_raw:-pps raw failed}"; echo "raw: ${pps_stack:-pps stack failed}"
