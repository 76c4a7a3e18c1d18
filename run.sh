#!/usr/bin/env bash
# MipGrpc's one entry point. Subcommands:
#   ./run.sh test                 restore, build and run every test; last line "N passed, N failed"
#   ./run.sh demo                 install what is missing, build, run the stack on a lab network with a visible demo
#   ./run.sh lab up|down [...]    create or delete a lab (see scripts/lab.sh)
#   ./run.sh bench [what]         benchmarks that print figures
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

cmd=${1:-help}; shift || true
case "$cmd" in
  test)
    bash scripts/deps.sh
    exec bash scripts/test.sh "$@"
    ;;
  demo)
    bash scripts/deps.sh
    exec bash scripts/demo.sh "$@"
    ;;
  lab)
    exec bash scripts/lab.sh "$@"
    ;;
  bench)
    exec bash scripts/bench.sh "$@"
    ;;
  *)
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    [ "$cmd" = help ] || exit 2
    ;;
esac
