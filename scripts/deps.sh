#!/usr/bin/env bash
# Installs the Debian packages QuantFlow builds and tests with. Idempotent:
# does nothing when everything is present, runs `apt-get update` only when
# something is missing. Needs root (or sudo) only in that case.
set -euo pipefail

PKGS=(build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
      libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev libfyaml-dev
      libsqlite3-dev sqlite3 libpq-dev libssl-dev libxgboost-dev libgsl-dev
      libcriterion-dev)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm build the TA-Lib reference (tests/reference/talib); a
# machine that already has them (e.g. from NodeSource) keeps its own.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
for p in python3 g++ make; do
  command -v "$p" >/dev/null || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
