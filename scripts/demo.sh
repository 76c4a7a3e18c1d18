#!/usr/bin/env bash
# README command 1 (after scripts/deps.sh): builds the server and mipctl, creates the lab "mip-demo", runs the stack on
# it and shows it working: DHCP lease, the kernel pinging the stack, the stack resolving names via dnsmasq, UDP echo,
# HTTP on port 80 served through gRPC by a client app (clients/Mip.DemoHttp listening on the stack via TcpService:
# curl of / and a 100 MiB download), and the gRPC service itself (mipctl status).
# Runs until Ctrl-C / SIGTERM, then deletes everything it created.
set -uo pipefail
cd "$(dirname "$0")/.."
NAME=mip-demo
STACK_NS=$NAME-stack
LOG=$(mktemp /tmp/mip-demo.XXXXXX.log)
SERVER_PID=
HTTP_PID=

say() { printf '\033[1;36m[demo]\033[0m %s\n' "$*"; }

cleanup() {
  local rc=${1:-$?}
  trap - INT TERM EXIT
  [ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -INT "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  bash scripts/lab.sh down --name "$NAME" >/dev/null 2>&1
  say "stopped; lab '$NAME' removed"
  exit "$rc"
}
trap 'cleanup 0' INT TERM
trap cleanup EXIT

say "building the server, mipctl and the demo's HTTP app"
dotnet build src/Mip.Server/Mip.Server.csproj -c Release -nologo -v q -clp:ErrorsOnly || { say "build failed"; exit 1; }
dotnet build clients/Mip.Cli/Mip.Cli.csproj -c Release -nologo -v q -clp:ErrorsOnly || { say "mipctl build failed"; exit 1; }
dotnet build clients/Mip.DemoHttp/Mip.DemoHttp.csproj -c Release -nologo -v q -clp:ErrorsOnly || { say "mip-demo-http build failed"; exit 1; }

# gRPC and metrics listen on the host's loopback (the server process stays in the host namespace; only its capture
# lives in $STACK_NS). Take the default ports, or the next free ones if something else holds them.
port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
GRPC_PORT=50051 METRICS_PORT=9464
while ! port_free $GRPC_PORT; do GRPC_PORT=$((GRPC_PORT + 1)); done
while ! port_free $METRICS_PORT; do METRICS_PORT=$((METRICS_PORT + 1)); done
MIPCTL=(dotnet clients/Mip.Cli/bin/Release/net10.0/mipctl.dll --server "http://127.0.0.1:$GRPC_PORT")

# A lab left by a killed demo would make "lab up" fail; it is ours, so remove it.
bash scripts/lab.sh down --name "$NAME" >/dev/null 2>&1
say "creating the lab: namespace $NAME (my1 192.168.2.1/24, dnsmasq DHCP+DNS) <-veth-> $STACK_NS (my0, the stack's)"
bash scripts/lab.sh up --name "$NAME" --topology plain || { say "lab setup failed"; exit 1; }

say "starting the stack on my0 (MAC derived from the interface name, DHCP)"
# ASP.NET's per-request log lines (every gRPC call) would drown the demo's output; warnings still show.
env Logging__LogLevel__Microsoft.AspNetCore=Warning dotnet src/Mip.Server/bin/Release/net10.0/mip-server.dll \
  --interface my0 --netns "$STACK_NS" --udp-echo-port 7 --resolve-on-ready demo.lab,www.demo.lab \
  --grpc-port "$GRPC_PORT" --metrics-port "$METRICS_PORT" \
  > >(tee "$LOG") 2>&1 &
SERVER_PID=$!

IP=
for _ in $(seq 1 600); do
  IP=$(grep -aoE 'READY, IP: [0-9.]+' "$LOG" | head -1 | awk '{print $3}')
  [ -n "$IP" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { say "the server exited; see above"; exit 1; }
  sleep 0.1
done
[ -n "$IP" ] || { say "no DHCP lease within 60 s"; exit 1; }

say "starting mip-demo-http: a gRPC client that listens on the stack's port 80 (TcpService.Listen/Attach)"
HTTP_LOG=$(mktemp /tmp/mip-demo-http.XXXXXX.log)
dotnet clients/Mip.DemoHttp/bin/Release/net10.0/mip-demo-http.dll --server "http://127.0.0.1:$GRPC_PORT" --port 80 \
  > >(tee "$HTTP_LOG") 2>&1 &
HTTP_PID=$!
for _ in $(seq 1 300); do
  grep -q "serving HTTP" "$HTTP_LOG" && break
  kill -0 "$HTTP_PID" 2>/dev/null || { say "mip-demo-http exited; see above"; exit 1; }
  sleep 0.1
done

say "the kernel (namespace $NAME) pings the stack at $IP"
ip netns exec "$NAME" ping -c 5 -i 0.2 "$IP"
say "the kernel's ARP entry for the stack"
ip netns exec "$NAME" ip neigh show "$IP"
say "UDP echo through the stack (socat in $NAME -> $IP:7)"
echo "hello from the kernel side" | ip netns exec "$NAME" socat -t 2 - "UDP4:$IP:7" || say "UDP echo failed"
say "HTTP from the kernel side: curl http://$IP/"
ip netns exec "$NAME" curl -sS --max-time 10 "http://$IP/" || say "HTTP GET / failed"
echo
say "a 100 MiB download through the stack: curl -o /dev/null -w '%{speed_download}' http://$IP/bytes/104857600"
speed=$(ip netns exec "$NAME" curl -sS --max-time 120 -o /dev/null -w '%{speed_download}' "http://$IP/bytes/104857600") &&
  say "$(awk -v s="$speed" 'BEGIN { printf "%.0f", s * 8 / 1e6 }') Mbit/s ($speed bytes/s)" || say "HTTP download failed"
say "the stack's DNS answers are in its log above (demo.lab, www.demo.lab served by dnsmasq)"
say "gRPC service: http://127.0.0.1:$GRPC_PORT (metrics: http://127.0.0.1:$METRICS_PORT/metrics); mipctl status:"
"${MIPCTL[@]}" status || say "mipctl status failed"
say "try it yourself:  ip netns exec $NAME ping $IP"
say "                  ip netns exec $NAME curl http://$IP/"
say "                  dotnet clients/Mip.Cli/bin/Release/net10.0/mipctl.dll --server http://127.0.0.1:$GRPC_PORT status"
say "(Ctrl-C here stops the demo and removes the lab)"
wait "$SERVER_PID"
