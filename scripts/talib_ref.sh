#!/usr/bin/env bash
# Usage: scripts/talib_ref.sh OUTDIR
#
# Writes TA-Lib reference outputs for the bundled candles:
#   OUTDIR/<SYMBOL>-4h.talib.csv and OUTDIR/<SYMBOL>-4h.talib.lookback.json
# for BTCUSDT, ETHUSDT and SOLUSDT (see tests/reference/talib/README.md).
#
# Idempotent: runs `npm ci` in tests/reference/talib only when node_modules is
# missing, or package.json, package-lock.json or the node version (its native
# module ABI) changed since the last install, or the binding does not load.
# Needs node and npm, and to build the binding python3, make and a C/C++
# compiler, plus node's C headers (Debian: libnode-dev, pulled in by `npm`).
set -euo pipefail

die() {
  echo "talib_ref: $*" >&2
  exit 1
}

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
outdir=$1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ref=$root/tests/reference/talib
data=$root/data

command -v node >/dev/null 2>&1 ||
  die "node not found; install Node.js >= 18 (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 ||
  die "npm not found; install it (Debian: apt-get install npm)"

stamp_file=$ref/node_modules/.quantflow-stamp
stamp() {
  {
    cat "$ref/package.json" "$ref/package-lock.json"
    node -p 'process.version + " " + process.arch + " abi " + process.versions.modules'
  } | sha256sum | cut -d' ' -f1
}
loads() {
  (cd "$ref" && node -e 'require("talib")' >/dev/null 2>&1)
}
installed() {
  [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$(stamp)" ] && loads
}

install() {
  local t0 log tool prefix
  for tool in python3 make; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "$tool not found; it is needed to build the talib binding (Debian: apt-get install python3 make g++)"
  done
  command -v "${CXX:-g++}" >/dev/null 2>&1 || command -v c++ >/dev/null 2>&1 ||
    die "no C++ compiler; it is needed to build the talib binding (Debian: apt-get install g++)"
  # node-gyp must not download node's headers (no internet in CI): point it at
  # the ones installed beside node (nodesource's nodejs, Debian's libnode-dev).
  if [ -z "${npm_config_nodedir:-}" ]; then
    prefix=$(node -p 'require("path").resolve(process.execPath, "../..")')
    if [ -f "$prefix/include/node/common.gypi" ]; then
      export npm_config_nodedir=$prefix
    else
      echo "talib_ref: warning: node headers not found in $prefix/include/node;" \
        "node-gyp will try to download them (Debian: apt-get install libnode-dev)" >&2
    fi
  fi
  echo "talib_ref: npm ci in $ref (builds TA-Lib, ~20 s)" >&2
  t0=$(date +%s)
  log=$(mktemp)
  if ! (cd "$ref" && npm ci --no-audit --no-fund --ignore-scripts=false \
          --engine-strict=false --loglevel=warn) >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    die "npm ci failed in $ref (log tail above)"
  fi
  rm -f "$log"
  loads || die "npm ci finished but the talib binding does not load (cd $ref && node -e 'require(\"talib\")')"
  stamp >"$stamp_file"
  echo "talib_ref: installed in $(($(date +%s) - t0)) s" >&2
}

if ! installed; then
  if command -v flock >/dev/null 2>&1; then
    # Serialize concurrent callers (parallel ctest, two build trees).
    exec 9>"$ref/.install.lock"
    flock 9
    installed || install
    flock -u 9
    exec 9>&-
  else
    install
  fi
fi

mkdir -p "$outdir"
for sym in BTCUSDT ETHUSDT SOLUSDT; do
  in=$data/$sym-4h.csv
  [ -f "$in" ] || die "$in: missing"
  node "$ref/gen.js" "$in" "$outdir/$sym-4h.talib.csv" || die "gen.js failed on $in"
done
