#!/usr/bin/env bash
# `make run`: QuantFlow's main job on the embedded default store and the
# bundled data: migrate, import the bundled candles if the store does not
# hold them yet, list the stored data, then run the benchmark strategies on
# BTC/USDT, print their comparison and write an HTML report of each
# (QF_REPORT_DIR, default var/reports).
set -euo pipefail
qf=${1:-build/quantflow}
cd "$(dirname "$0")/.."
reports=${QF_REPORT_DIR:-var/reports}
mkdir -p "$reports"
"$qf" migrate
"$qf" import --skip-existing data/*-4h.csv
"$qf" data list
echo
"$qf" backtest --strategy buy_and_hold,ma_crossover,mean_reversion --symbol BTC/USDT \
    --report "$reports/BTCUSDT-4h.html"
