#!/usr/bin/env bash
# `make bench`: runs every benchmark and prints its table, then the side-by-side
# comparison of issue 3 (QuantFlow vs TA-Lib C vs pandas/numpy, with the
# targets, and the memory figures) as markdown for bench/RESULTS.md.
#
# Usage: scripts/bench.sh [BUILD_DIR]   (default: build; `make bench` builds it)
#
# The benchmarks measure an optimised build: CMake's Release (-O3), as the
# figures in bench/RESULTS.md are. When BUILD_DIR has another build type (the
# default `make` build is RelWithDebInfo, -O2), a sibling BUILD_DIR-release
# is configured and built (tests off) and measured instead. Set
# QF_BENCH_BUILD_TYPE to measure another type (e.g. RelWithDebInfo, to time
# BUILD_DIR itself). TA-Lib is always compiled with the measured build's flags.
#
# What it installs, idempotently (nothing when present):
#   - the npm package `talib` (TA-Lib's C sources) through scripts/talib_ref.sh,
#     as the TA-Lib agreement test does; bench_talib is then compiled from
#     those sources into BUILD_DIR (cache variable QF_TALIB_SRC, target built
#     on demand only, never by the default build);
#   - Debian's python3-pandas for bench/pandas_ref.py (run with /usr/bin/python3:
#     python3 on PATH may be a pyenv build without pandas).
# If either cannot be installed its columns are left empty and a note says why.
#
# Outputs: the tables on stdout; every raw output and the markdown in
# BUILD_DIR/bench-results/ (side_by_side.md is the fragment for RESULTS.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
py=/usr/bin/python3

note() { echo "bench: $*" >&2; }

want=${QF_BENCH_BUILD_TYPE:-Release}
have=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  build=$build-$(echo "$want" | tr '[:upper:]' '[:lower:]')
  note "building the benchmarks as $want in $build"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="$want" -DQF_TESTS=OFF -DQF_BENCH=ON >/dev/null
fi
cmake --build "$build" -j"$(nproc)" >/dev/null # up to date with the sources
[ -x "$build/quantflow" ] || { echo "bench: $build is not built (make build)" >&2; exit 1; }
out=$build/bench-results
mkdir -p "$out"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

# ---- prerequisites -----------------------------------------------------------
have_pandas=0
if ! dpkg -s python3-pandas >/dev/null 2>&1; then
  note "installing python3-pandas (Debian) for bench/pandas_ref.py"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    python3-pandas >/dev/null 2>&1 ||
    { as_root apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
        python3-pandas >/dev/null 2>&1; } || note "could not install python3-pandas"
fi
"$py" -c 'import pandas' 2>/dev/null && have_pandas=1

have_talib=0
talib_src=$root/tests/reference/talib/node_modules/talib/src/lib
if bash "$root/scripts/talib_ref.sh" "$build/reference/talib" >"$out/talib_ref.log" 2>&1 &&
   [ -f "$talib_src/include/ta_func.h" ]; then
  if cmake -S "$root" -B "$build" -DQF_TALIB_SRC="$talib_src" >"$out/talib_build.log" 2>&1 &&
     cmake --build "$build" --target bench_talib -j"$(nproc)" >>"$out/talib_build.log" 2>&1; then
    have_talib=1
  else
    note "bench_talib did not build (see $out/talib_build.log)"
  fi
else
  note "TA-Lib sources (npm talib) not available (see $out/talib_ref.log)"
fi

# ---- the machine ---------------------------------------------------------------
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
btype=$(cache CMAKE_BUILD_TYPE)
bflags=$(cache "CMAKE_C_FLAGS_$(echo "${btype:-none}" | tr '[:lower:]' '[:upper:]')")
cc=$(cache CMAKE_C_COMPILER)
{
  model=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
  virt=$(lscpu | sed -n 's/^Hypervisor vendor:[[:space:]]*//p' | head -n1)
  mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
  echo "Machine: $model, $(nproc) cores${virt:+ ($virt guest)}, $mem; $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)."
  echo "Compiler: $("$cc" --version | head -n1); build type ${btype:-none} (\`${bflags}\`, TA-Lib compiled with the same plus its own \`-fno-strict-aliasing -DTA_SINGLE_THREAD\`)."
  if [ $have_pandas = 1 ]; then
    echo "Python: $("$py" -c 'import sys, pandas, numpy; print("%d.%d.%d" % sys.version_info[:3], "with pandas", pandas.__version__ + ", numpy", numpy.__version__)') (Debian)."
  fi
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC')."
} >"$out/machine.txt"
cat "$out/machine.txt"
echo
load_start=$(cut -d' ' -f1 /proc/loadavg)

# ---- the benchmarks ----------------------------------------------------------
for b in "$build"/bench_*; do
  [ -x "$b" ] && [ -f "$b" ] || continue
  name=$(basename "$b")
  case $name in bench_talib | bench_memory) continue ;; esac
  echo "== $name"
  "$b" | tee "$out/$name.txt"
  echo
done

args=(--research "$out/bench_research.txt" --machine "$out/machine.txt")
if [ $have_talib = 1 ]; then
  echo "== bench_talib (TA-Lib C side by side)"
  if "$build/bench_talib" --json >"$out/bench_talib.json"; then
    args+=(--talib "$out/bench_talib.json")
  else
    note "bench_talib failed"
  fi
fi
if [ -x "$build/bench_memory" ]; then
  echo "== bench_memory"
  "$build/bench_memory" --json >"$out/bench_memory.json" && args+=(--memory "$out/bench_memory.json")
fi
if [ $have_pandas = 1 ]; then
  echo "== pandas_ref.py (checked against $build/quantflow first; ~1 min)"
  # exit status 1 when the check fails: the table then says so
  "$py" "$root/bench/pandas_ref.py" --check "$build/quantflow" --json >"$out/pandas_ref.json" || true
  [ -s "$out/pandas_ref.json" ] && args+=(--pandas "$out/pandas_ref.json")
fi
# the original's per-bar labeling loop (plain Python, no pandas needed)
echo "== python_labels.py (checked against $build/quantflow first)"
"$py" "$root/bench/python_labels.py" --check "$build/quantflow" | tee "$out/python_labels.txt" ||
  note "python_labels.py failed"
echo
# Other work on the machine lowers the figures (the 2-core Monte Carlo most):
# say how loaded it was, from the 1-minute load average before and after.
load_end=$(cut -d' ' -f1 /proc/loadavg)
echo "Load average (1 min) before / after the run: $load_start / $load_end on $(nproc) cores." \
  >>"$out/machine.txt"
if awk -v a="$load_start" -v b="$load_end" 'BEGIN { exit !(a > 0.5 || b > 1.5) }'; then
  echo "Other processes were running: figures are lower than on an idle machine." >>"$out/machine.txt"
fi

"$py" "$root/bench/side_by_side.py" "${args[@]}" | tee "$out/side_by_side.md"
echo
echo "(markdown above also in $out/side_by_side.md)"
