#!/usr/bin/python3
"""side_by_side.py - the combined table of `make bench` (issue 3, "Speed and
memory"): QuantFlow against TA-Lib C for the indicators and against the
pandas/numpy reference for the research work, with the targets, plus the
memory figures. Markdown on stdout, ready to paste into bench/RESULTS.md.

    side_by_side.py --research R.txt [--talib T.json] [--pandas P.json]
                    [--memory M.json] [--machine MACHINE.txt]

R.txt is bench_research's table; T.json, P.json and M.json are the --json
outputs of bench_talib, pandas_ref.py and bench_memory. A missing input
leaves its columns empty ("—") and says why. Standard library only.
"""

import argparse
import json
import math
import sys

SIZES = ("×1", "×10", "×100")

# The anchors, measured on this machine type.
TALIB_ANCHOR = {"SMA(20) ns/bar": 1.6, "EMA(10) ns/bar": 2.4, "RSI(14) ns/bar": 5.3,
                "ATR(14) ns/bar": 6.0, "BBANDS(20,2) ns/bar": 6.3}

# Research rows: (bench_research name, label, issue's Python anchor, target
# in the row's unit or None, whether the target also asks >= 25x pandas[,
# the pandas row it is compared with when not the same name])
RESEARCH = [
    ("feature set M bars/s", "feature set (10 features), M bars/s", "≈ 0.9", None, False),
    ("features+zscore M bars/s", "feature set + rolling z-score, M bars/s (1 core)", "", 25.0,
     True),
    ("features+zscore 2 threads M bars/s",
     "feature set + rolling z-score, M bars/s (z-score columns on 2 cores)", "", 25.0, True,
     "features+zscore M bars/s"),
    ("vectorized+metrics M bars/s", "vectorized backtest + metrics, M bars/s", "≈ 3.4", 100.0,
     False),
    ("event MA cross M bars/s", "event-driven MA crossover incl. fills, M bars/s",
     "≈ 0.3–0.5 (backtrader ≈ 0.012)", 10.0, False),
    ("MC bootstrap M samples/s", "MC block bootstrap, M bar-samples/s (ours: 2 cores)", "≈ 35",
     700.0, False),
]

INDICATOR_ORDER = ["SMA(20) ns/bar", "EMA(10) ns/bar", "RSI(14) ns/bar", "ATR(14) ns/bar",
                   "BBANDS(20,2) ns/bar", "MACD ns/bar", "ADX(14) ns/bar"]


def fmt(x, digits=2):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if abs(x) >= 100:
        return "{:,.0f}".format(x)
    return "{:.{}f}".format(x, digits)


def span(values, digits=1):
    lo, hi = min(values), max(values)
    a, b = fmt(lo, digits), fmt(hi, digits)
    return a if a == b else "%s–%s" % (a, b)


def parse_research(path):
    """bench_research's rows: name -> [x1, x10, x100]."""
    rows = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 4:
                continue
            try:
                vals = [float(v) for v in parts[-3:]]
            except ValueError:
                continue
            rows[" ".join(parts[:-3])] = vals
    return rows


def load_json(path, what, notes):
    if not path:
        notes.append("%s: not run." % what)
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        notes.append("%s: no result (%s)." % (what, e))
        return None


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def indicator_table(talib, pandas, research, notes):
    """ours vs TA-Lib C (same process, bench_talib) and pandas at x100."""
    pd_rows = {r["name"]: r["values"] for r in pandas["rows"]} if pandas else {}
    rows, misses = [], []
    if talib:
        entries = [(r["name"], r["ours"], r["talib"], r["max_rel_diff"]) for r in talib["rows"]]
    else:  # ours only, from bench_research
        entries = [(n, research.get(n, [None] * 3), [None] * 3, None) for n in INDICATOR_ORDER]
    for name, ours, ta, diff in entries:
        ratio = None
        verdict = "—"
        if ta[0] is not None and all(o is not None for o in ours):
            ratio = min(t / o for t, o in zip(ta, ours))  # the worst size
            if ratio >= 1.0:
                verdict = "met"
            elif ratio >= 0.95:  # run-to-run noise on this shared 2-core VM
                verdict = "tie (±5 %)"
            else:
                verdict = "**not met**"
                misses.append("%s (TA-Lib %.1f× ours at worst)" % (name.split()[0], 1 / ratio))
        pd100 = pd_rows.get(name, [None] * 3)[2]
        rows.append([name.replace(" ns/bar", "")] + [fmt(x) for x in ours] + [fmt(x) for x in ta]
                    + [fmt(ratio), fmt(TALIB_ANCHOR.get(name)), fmt(pd100, 1),
                       "—" if diff is None else "%.0e" % diff if diff else "0", verdict])
    head = (["indicator (ns/bar)"] + ["ours " + s for s in SIZES] + ["TA-Lib " + s for s in SIZES]
            + ["TA-Lib ÷ ours (worst)", "issue's TA-Lib anchor", "pandas ×100", "max rel diff",
               "no slower than TA-Lib"])
    return table(head, rows), misses


def research_table(research, pandas, notes):
    pd_rows = {r["name"]: r["values"] for r in pandas["rows"]} if pandas else {}
    rows, misses = [], []
    for entry in RESEARCH:
        key, label, anchor, target, vs_pandas = entry[:5]
        py_key = entry[5] if len(entry) > 5 else key
        ours = research.get(key)
        if ours is None:
            notes.append("bench_research has no row '%s'." % key)
            ours = [None] * 3
        py = pd_rows.get(py_key, [None] * 3)
        speedup = [o / p if o and p else None for o, p in zip(ours, py)]
        verdict = "—"
        if target is not None and all(o is not None for o in ours):
            low = [(s, o) for s, o in zip(SIZES, ours) if o < target]
            parts = []
            if low:
                parts.append("≥ %g not met at %s (%s)" % (target, ", ".join(s for s, _ in low),
                                                         span([o for _, o in low])))
            elif vs_pandas:
                parts.append("≥ %g met" % target)
            slow = [(s, x) for s, x in zip(SIZES, speedup) if x is not None and x < 25]
            if vs_pandas and slow:
                parts.append("25× pandas not met at %s (%s×)"
                             % (", ".join(s for s, _ in slow), span([x for _, x in slow], 0)))
            elif vs_pandas:
                parts.append("≥ 25× pandas met")
            failed = bool(low) or (vs_pandas and bool(slow))
            detail = "; ".join(parts) if vs_pandas or failed else ""
            verdict = ("**not met**: " if failed else "met" + (": " if detail else "")) + detail
            if failed:
                misses.append("%s: %s" % (label.split(",")[0], "; ".join(parts)))
        tgt = "—" if target is None else "≥ %g%s" % (target, " and ≥ 25× pandas" if vs_pandas else "")
        rows.append([label] + [fmt(x) for x in ours] + [fmt(x) for x in py]
                    + [fmt(x, 0) + "×" if x else "—" for x in speedup[2:]]
                    + [anchor or "—", tgt, verdict])
    head = (["work"] + ["ours " + s for s in SIZES] + ["pandas/numpy " + s for s in SIZES]
            + ["ours ÷ pandas ×100", "issue's Python anchor", "target", "met"])
    return table(head, rows), misses


def memory_table(memory):
    by_work = {}
    for r in memory["rows"]:
        by_work.setdefault(r["work"], []).append(r)
    labels = {"event": "event MA crossover + metrics", "vector": "vectorized backtest + metrics",
              "features": "feature set + z-scores (output: 10 + 10 columns)",
              "mc": "MC bootstrap (sims as bench_research)"}
    rows = []
    for work, rs in by_work.items():
        rs.sort(key=lambda r: r["tiles"])
        big = rs[-1]
        work_kib = big["rss_peak_kib"] - big["rss_before_kib"]
        # marginal cost per bar between the two largest tilings
        a, b = rs[-2], rs[-1]
        slope = ((b["rss_peak_kib"] - a["rss_peak_kib"]) * 1024 / (b["bars"] - a["bars"])
                 if len(rs) > 1 else None)
        rows.append([labels.get(work, work), "{:,}".format(big["bars"]),
                     fmt(big["rss_peak_kib"] / 1024, 1), fmt(big["rss_before_kib"] / 1024, 1),
                     fmt(work_kib / 1024, 1), fmt(work_kib * 1024 / big["bars"], 1),
                     fmt(slope, 1), " / ".join(str(r["heap_calls"]) for r in rs)])
    head = ["work (×100)", "bars", "peak RSS MiB", "of which input MiB", "work MiB",
            "work B/bar", "peak RSS slope ×10→×100, B/bar", "heap calls ×1 / ×10 / ×100"]
    return table(head, rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--research", required=True)
    ap.add_argument("--talib")
    ap.add_argument("--pandas")
    ap.add_argument("--memory")
    ap.add_argument("--machine")
    a = ap.parse_args()
    notes = []
    research = parse_research(a.research)
    talib = load_json(a.talib, "bench_talib (TA-Lib C)", notes)
    pandas = load_json(a.pandas, "pandas_ref.py", notes)
    memory = load_json(a.memory, "bench_memory", notes)
    out = ["## Side by side: QuantFlow, TA-Lib C, pandas/numpy (issue 3)", ""]
    if a.machine:
        with open(a.machine) as f:
            out += [f.read().strip(), ""]
    out += ["Same data for all three: the bundled BTC/USDT 4h series (18,370 bars) tiled ×10 and "
            "×100 (1,837,000 bars; each copy scaled to continue the price path). One core except "
            "our Monte Carlo (both cores). Best of several runs.", ""]
    ind, ind_miss = indicator_table(talib, pandas, research, notes)
    out += ["### Indicators, ns per bar (lower is better)", "",
            "`bench_talib`: our kernels and TA-Lib's C functions timed alternately in one process "
            "on the same arrays; TA-Lib compiled from the npm `talib` sources with this build's "
            "flags. *max rel diff*: largest difference between the two outputs over every valid "
            "bar of all three sizes (relative to the value or its natural scale) — the same work. "
            "*pandas ×100*: the pandas rolling/ewm version (`pandas_ref.py`).", "", ind, ""]
    res, res_miss = research_table(research, pandas, notes)
    out += ["### Research work (higher is better)", "",
            "Ours: `bench_research`. pandas/numpy: `bench/pandas_ref.py` — pandas rolling/ewm "
            "features and z-score, numpy cumprod backtest and metrics, a plain Python per-bar "
            "event loop, numpy block bootstrap looping over simulations, one core.", "", res, ""]
    if pandas and "check" in pandas:
        bad = [k for k, v in pandas["check"].items() if not v["ok"]]
        if bad:
            out += ["**The pandas reference check against `quantflow` FAILED** for: "
                    + ", ".join(bad) + " — its figures are not the same work.", ""]
        else:
            ev = pandas["check"].get("event final equity", {})
            vec = pandas["check"].get("vectorized metrics", {})
            worst_f = max(v["from_bar_500"] for k, v in pandas["check"].items()
                          if k.startswith("feature"))
            out += ["Same work, checked on the untiled series against `quantflow features` and "
                    "`quantflow backtest --strategy ma_crossover`: the ten features agree to "
                    "%.0e relative from bar 500 on (pandas' ewm starts differently and converges; "
                    "pandas' online rolling variance costs ~1e-8 on %%B), the z-scores likewise; "
                    "the Python event loop reproduces the event engine's equity curve %s "
                    "and its %d trades; the numpy vectorized backtest's metrics agree to %.0e "
                    "(its linear impact uses a one-pass participation estimate)."
                    % (worst_f, "bit for bit" if ev.get("curve") == 0 else
                       "to %.0e" % ev.get("curve", math.nan), ev.get("trades", [0])[0],
                       vec.get("max_rel_diff", math.nan)), ""]
    if memory:
        out += ["### Memory", "",
                "`bench_memory`: each work in a fresh process on the ×100 series; peak RSS from "
                "getrusage, *input* = the resident set after loading and tiling (48 B/bar of "
                "bars); heap calls counted by wrapping malloc/calloc/realloc around QuantFlow's "
                "code during the kernels (the bench's own arrays excluded). *work B/bar* includes "
                "the outputs the kernels write into: 24 B/bar of equity/time/positions for the "
                "event engine, 16 B/bar of positions and equity for the vectorized one, the 20 "
                "feature and z-score columns (160 B/bar) for the feature set.", "",
                memory_table(memory), ""]
    misses = ind_miss + res_miss
    out += ["**Not met:** " + ("; ".join(misses) + "." if misses else "none.")]
    if notes:
        out += ["", "Notes: " + " ".join(notes)]
    print("\n".join(out))


if __name__ == "__main__":
    main()
