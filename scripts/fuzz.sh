#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, seeded from
# tests/fuzz/corpus/<name>/ (copied to a scratch dir so the repo is not
# modified). Fails on the first crash, leak or sanitizer report.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd) # absolute: the targets run from a scratch directory
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); name=${name#fuzz_}
  mkdir -p "$work/$name"
  [ -d "$root/tests/fuzz/corpus/$name" ] && cp -r "$root/tests/fuzz/corpus/$name/." "$work/$name/"
  echo "fuzz: $name for ${seconds}s"
  if ! (cd "$work" && "$bin" -max_total_time="$seconds" -print_final_stats=1 \
          -artifact_prefix="$work/" "$work/$name" >"$work/$name.log" 2>&1); then
    tail -40 "$work/$name.log"
    echo "fuzz: $name FAILED (artifacts in the log above)" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$work/$name.log" | tail -2 || true
  fi
done
exit $status
