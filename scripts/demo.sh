#!/usr/bin/env bash
# README command 1 (after scripts/deps.sh): builds the server, creates the lab "mip-demo", runs the stack on it and
# shows it working: DHCP lease, the kernel pinging the stack, the stack resolving names via dnsmasq, UDP echo.
# Runs until Ctrl-C / SIGTERM, then deletes everything it created.
set -uo pipefail
cd "$(dirname "$0")/.."
NAME=mip-demo
STACK_NS=$NAME-stack
LOG=$(mktemp /tmp/mip-demo.XXXXXX.log)
SERVER_PID=

say() { printf '\033[1;36m[demo]\033[0m %s\n' "$*"; }

cleanup() {
  local rc=${1:-$?}
  trap - INT TERM EXIT
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

say "building the server"
dotnet build src/Mip.Server/Mip.Server.csproj -c Release -nologo -v q -clp:ErrorsOnly || { say "build failed"; exit 1; }

# A lab left by a killed demo would make "lab up" fail; it is ours, so remove it.
bash scripts/lab.sh down --name "$NAME" >/dev/null 2>&1
say "creating the lab: namespace $NAME (my1 192.168.2.1/24, dnsmasq DHCP+DNS) <-veth-> $STACK_NS (my0, the stack's)"
bash scripts/lab.sh up --name "$NAME" --topology plain || { say "lab setup failed"; exit 1; }

say "starting the stack on my0 (MAC derived from the interface name, DHCP)"
dotnet src/Mip.Server/bin/Release/net10.0/mip-server.dll \
  --interface my0 --netns "$STACK_NS" --udp-echo-port 7 --resolve-on-ready demo.lab,www.demo.lab \
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

say "the kernel (namespace $NAME) pings the stack at $IP"
ip netns exec "$NAME" ping -c 5 -i 0.2 "$IP"
say "the kernel's ARP entry for the stack"
ip netns exec "$NAME" ip neigh show "$IP"
say "UDP echo through the stack (socat in $NAME -> $IP:7)"
echo "hello from the kernel side" | ip netns exec "$NAME" socat -t 2 - "UDP4:$IP:7" || say "UDP echo failed"
say "the stack's DNS answers are in its log above (demo.lab, www.demo.lab served by dnsmasq)"
say "try it yourself:  ip netns exec $NAME ping $IP    (Ctrl-C here stops the demo and removes the lab)"
wait "$SERVER_PID"
