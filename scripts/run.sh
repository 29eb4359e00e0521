#!/usr/bin/env bash
# `make run`: QuantFlow's main job on the embedded default store and the
# bundled data. For now (foundation): migrate, import the bundled candles if
# the store does not hold them yet, and list the stored data.
set -euo pipefail
qf=${1:-build/quantflow}
cd "$(dirname "$0")/.."
"$qf" migrate
"$qf" import --skip-existing data/*-4h.csv
"$qf" data list
