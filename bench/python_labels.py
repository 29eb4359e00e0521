#!/usr/bin/python3
"""python_labels.py - triple-barrier labeling the way the original Python
QuantFlow did it: a per-bar Python loop scanning the next max_holding_bars
closes. Timed on data/BTCUSDT-4h.csv tiled x1, x10, x100 as bench_labels.c
tiles it (prices of each copy scaled so the path stays continuous). One
core, best of several runs.

    /usr/bin/python3 bench/python_labels.py                 # table
    /usr/bin/python3 bench/python_labels.py --json          # for scripts
    /usr/bin/python3 bench/python_labels.py --check build/quantflow
        # first checks that this loop labels the untiled series exactly as
        # `quantflow features --labels` does (every bar)
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "BTCUSDT-4h.csv")
PT, SL, H, NEUTRAL = 0.03, 0.015, 12, 0.005


def load():
    with open(DATA, newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["open_time"]))
    return [float(r["open"]) for r in rows], [float(r["close"]) for r in rows]


def tiled(opens, closes, tiles):
    out, scale = [], 1.0
    growth = closes[-1] / opens[0]
    for _ in range(tiles):
        out.extend(c * scale for c in closes)
        scale *= growth
    return out


def triple_barrier(close, pt=PT, sl=SL, h=H, neutral=NEUTRAL):
    n = len(close)
    labels = [-1] * n
    for i in range(n - h):
        c0 = close[i]
        upper, lower = c0 * (1.0 + pt), c0 * (1.0 - sl)
        label = None
        for j in range(i + 1, i + h + 1):
            if close[j] >= upper:
                label = 2
                break
            if close[j] <= lower:
                label = 0
                break
        if label is None:
            r = close[i + h] / c0 - 1.0
            label = 2 if r > neutral else 0 if r < -neutral else 1
        labels[i] = label
    return labels


def check(close, quantflow):
    with tempfile.TemporaryDirectory(prefix="qf-labels-") as tmp:
        db, out = os.path.join(tmp, "x.db"), os.path.join(tmp, "l.csv")
        for args in (["import", "--quiet", DATA],
                     ["features", "--symbol", "BTC/USDT", "--labels", "--out", out]):
            p = subprocess.run([quantflow, "--db", db, "--log-level", "warn"] + args,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if p.returncode != 0:
                raise SystemExit("python_labels: %s failed: %s" % (args[0], p.stderr))
        with open(out, newline="") as f:
            ours = [int(r["label"]) if r["label"] else -1 for r in csv.DictReader(f)]
    mine = triple_barrier(close)
    bad = sum(a != b for a, b in zip(ours, mine)) + abs(len(ours) - len(mine))
    if bad:
        raise SystemExit("python_labels: %d labels differ from quantflow's" % bad)
    return len(mine)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--check", metavar="QUANTFLOW")
    a = ap.parse_args()
    opens, closes = load()
    checked = check(closes, a.check) if a.check else 0
    rows = []
    for tiles in (1, 10, 100):
        c = tiled(opens, closes, tiles)
        reps = 5 if tiles == 1 else 2 if tiles == 10 else 1
        t = min(_timed(c) for _ in range(reps))
        rows.append({"tiles": tiles, "bars": len(c), "m_bars_s": len(c) / t / 1e6})
    if a.json:
        json.dump({"bench": "python_labels", "checked_bars": checked, "rows": rows}, sys.stdout)
        print()
        return
    if checked:
        print("checked: the same %d labels as quantflow features --labels" % checked)
    print("%-8s %10s %14s" % ("tiles", "bars", "M bars/s"))
    for r in rows:
        print("x%-7d %10d %14.3f" % (r["tiles"], r["bars"], r["m_bars_s"]))


def _timed(c):
    t0 = time.perf_counter()
    triple_barrier(c)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
