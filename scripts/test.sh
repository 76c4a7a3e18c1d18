#!/usr/bin/env bash
# Builds and runs the whole suite, then checks formatting (counted as one test). Prints per-project results, then
# a last line "N passed, N failed".
# Exit code: 0 all passed, 1 build failure, 2 test failures.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp /tmp/mip-test.XXXXXX.log)
trap 'rm -f "$log"' EXIT

if ! dotnet build MipGrpc.sln -c Release -nologo -v q -clp:ErrorsOnly >"$log" 2>&1; then
  cat "$log"
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

mkdir -p artifacts; : > artifacts/figures.txt
passed=0; failed=0; rc=0
for proj in tests/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  # The end-to-end tests build network namespaces and run kernel-side servers: run them serially (their
  # xunit.runner.json) and never let a hung peer wedge the suite. A killed run's namespaces are reaped by the
  # next run's LabNetwork.CleanupStale.
  limit=()
  [ "$name" != Mip.EndToEnd.Tests ] || limit=(timeout --kill-after=15s 600s)
  "${limit[@]}" dotnet test --project "$proj" -c Release --no-build 2>&1 | tee "$log" | grep -vE '^\s*$' | grep -E 'failed |passed|error|Error|total:|failed:|succeeded:|skipped:|\[FAIL\]|Assert|at Mip' || true
  # A failed test's whole message (assertion text, captured output) matters more than the summary: show it.
  grep -A30 '^failed ' "$log" | grep -vE '^\s+at (System|Xunit|Microsoft)\.' || true
  t=$(awk '/^ *succeeded:/{print $2}' "$log" | tail -1); f=$(awk '/^ *failed:/{print $2}' "$log" | tail -1)
  if [ -z "$t" ]; then
    echo "$name: no test summary (crashed?)"; tail -20 "$log"; failed=$((failed + 1)); rc=2; continue
  fi
  passed=$((passed + t)); failed=$((failed + ${f:-0}))
  [ "${f:-0}" = 0 ] || rc=2
done
# House style is checked like a test: one pass or one failure in the totals (only reached when the build passed).
echo "== dotnet format --verify-no-changes"
if dotnet format MipGrpc.sln --verify-no-changes --no-restore -v q >"$log" 2>&1; then
  echo "formatting: passed"; passed=$((passed + 1))
else
  grep -E 'error [A-Z]+' "$log" | sed 's|^'"$PWD"'/||' | head -20
  echo "formatting: failed (run 'dotnet format MipGrpc.sln' to fix)"; failed=$((failed + 1)); rc=2
fi
if [ -s artifacts/figures.txt ]; then
  echo "== Figures measured in this run"
  sed 's/^/  /' artifacts/figures.txt
fi
echo "${passed} passed, ${failed} failed"
exit $rc
