#!/usr/bin/env bash
# The whole test suite RUNS times in a row (default 3) while BUSY processes (default 4) keep
# every CPU busy: proof that no test depends on the machine's speed. Stops at the first red run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
busy=${BUSY:-4}
pids=()
stop_busy() { kill "${pids[@]}" 2>/dev/null || true; }
trap stop_busy EXIT
for _ in $(seq "$busy"); do
  ( while :; do :; done ) &
  pids+=($!)
done
echo "under load: ${busy} busy processes on $(nproc) CPUs"
for run in $(seq "$runs"); do
  echo "== run ${run}/${runs} ($(date -u +%H:%M:%S))"
  make pytest
done
echo "== ${runs} runs green under load ($(date -u +%H:%M:%S))"
