#!/usr/bin/env bash
# Usage: scripts/ccxt_test.sh QUANTFLOW_BINARY WORKDIR
#
# Proves the mock exchange speaks the real Binance protocol: starts
# `quantflow mock-exchange --port 0`, reads the port it printed, and runs
# tests/integration/ccxt/ccxt_mock.js, which drives it with ccxt (npm, a
# client nobody here wrote). The mock is stopped on exit, whatever happens.
#
# Idempotent install: `npm ci` in tests/integration/ccxt only when
# node_modules is missing, or package.json, package-lock.json or the node
# version changed since the last install, or ccxt does not load. Needs node
# (>= 18, for fetch) and npm; the npm registry must be reachable once.
set -euo pipefail

die() {
  echo "ccxt_test: $*" >&2
  exit 1
}

[ $# -eq 2 ] || { echo "usage: $0 QUANTFLOW_BINARY WORKDIR" >&2; exit 2; }
qf=$1
work=$2
[ -x "$qf" ] || die "$qf: not an executable"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$root/tests/integration/ccxt

command -v node >/dev/null 2>&1 ||
  die "node not found; install Node.js >= 18 (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm not found; install it (Debian: apt-get install npm)"

stamp_file=$dir/node_modules/.quantflow-stamp
stamp() {
  {
    cat "$dir/package.json" "$dir/package-lock.json"
    node -p 'process.version + " " + process.arch'
  } | sha256sum | cut -d' ' -f1
}
loads() {
  (cd "$dir" && node -e 'require("ccxt")' >/dev/null 2>&1)
}
installed() {
  [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$(stamp)" ] && loads
}
install() {
  local log
  echo "ccxt_test: npm ci in $dir" >&2
  log=$(mktemp)
  if ! (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=warn) >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    die "npm ci failed in $dir (log tail above)"
  fi
  rm -f "$log"
  loads || die "npm ci finished but ccxt does not load (cd $dir && node -e 'require(\"ccxt\")')"
  stamp >"$stamp_file"
}

if ! installed; then
  if command -v flock >/dev/null 2>&1; then
    # Serialize concurrent callers (parallel ctest, two build trees).
    exec 9>"$dir/.install.lock"
    flock 9
    installed || install
    flock -u 9
    exec 9>&-
  else
    install
  fi
fi

mkdir -p "$work"
log=$work/mock-exchange.log
: >"$log"
"$qf" mock-exchange --port 0 >"$log" 2>&1 &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true' EXIT

url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^mock-exchange: listening on //p' "$log")
  [ -n "$url" ] && break
  kill -0 "$mock_pid" 2>/dev/null || { cat "$log" >&2; die "mock-exchange exited early"; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$log" >&2; die "mock-exchange printed no URL within 10 s"; }

node "$dir/ccxt_mock.js" "$url" "$root/data"
