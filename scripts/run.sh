#!/usr/bin/env bash
# `make run`: QuantFlow's main job on the embedded default store and the
# bundled data: migrate, import the bundled candles and news headlines (both
# idempotent), list the stored data, then on BTC/USDT run the QuantFlow
# strategy next to the three benchmark strategies, print their comparison and
# write an HTML report of each (QF_REPORT_DIR, default var/reports), and run
# the QuantFlow ablation (each part switched off in turn).
#
# QF_RUN_SET: extra --set KEY=VALUE options for the quantflow runs (the CLI
# test uses a small model to stay fast).
set -euo pipefail
qf=${1:-build/quantflow}
cd "$(dirname "$0")/.."
reports=${QF_REPORT_DIR:-var/reports}
mkdir -p "$reports"
read -r -a extra <<< "${QF_RUN_SET:-}"
"$qf" migrate
"$qf" import --skip-existing data/*-4h.csv
"$qf" sentiment import data/news/headlines.csv
"$qf" data list
echo
"$qf" "${extra[@]}" backtest --strategy quantflow,buy_and_hold,ma_crossover,mean_reversion \
    --symbol BTC/USDT --report "$reports/BTCUSDT-4h.html"
echo
"$qf" "${extra[@]}" ablation --symbol BTC/USDT --json "$reports/BTCUSDT-4h-ablation.json"
