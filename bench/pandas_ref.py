#!/usr/bin/python3
"""pandas_ref.py - the work of bench_research.c, written the way the original
Python QuantFlow did it, timed on the same data.

pandas rolling/ewm for the indicators, the ten technical features and the
rolling z-score; a numpy vectorized backtest (cumprod) with the metrics; a
plain Python per-bar event loop for the MA crossover with next-open fills,
the cost model and the accounting; a numpy circular block bootstrap looping
over simulations. Data: data/BTCUSDT-4h.csv tiled x1, x10, x100 exactly as
bench_research.c tiles it (open times shifted by the series' span, prices of
each copy scaled so the path stays continuous, volumes unchanged). One core
(numpy and pandas run these single-threaded). Best of several runs.

Run with Debian's interpreter (python3-pandas): /usr/bin/python3; `python3`
on PATH may be a pyenv build without pandas.

    /usr/bin/python3 bench/pandas_ref.py                 # table like bench_research
    /usr/bin/python3 bench/pandas_ref.py --json          # JSON for scripts/bench.sh
    /usr/bin/python3 bench/pandas_ref.py --check build/quantflow
        # first checks, on the untiled series, that this code computes what
        # QuantFlow computes: the features and z-scores of `quantflow
        # features`, and the final equity and metrics of `quantflow backtest`
        # (event and vectorized engines, ma_crossover)

Where the original's idioms differ from QuantFlow's definitions the original's
are kept and the check says by how much they differ: pandas' ewm (RSI, ATR,
EMA ratio) starts at the first bar instead of TA-Lib's SMA seed, which makes
the early values differ and the difference decay geometrically (below 1e-12
after a few hundred bars); the vectorized backtest takes the participation
for linear impact from a first cumprod pass without impact (the exact rule
needs the equity of the bar before, i.e. a loop), so its final equity and
equity-based metrics agree with QuantFlow's to about 1e-7 and the impact cost
(hence capacity_usd) to about 1e-3; the event loop follows the engine's rules
exactly and agrees bar for bar.
"""

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "BTCUSDT-4h.csv")
TILES = (1, 10, 100)

# bench_research.c's parameters
BPY = 2190.0  # bars per year, 4h
FEATURE_PARAMS = dict(rsi=14, atr=14, bb=20, bb_std=2.0, vol=24, vwap=24)
ZSCORE_WINDOW = 100  # features.normalization.window
ZSCORE_SHIFT = 1
COSTS = dict(taker_bps=10.0, spread_bps=5.0, impact_bps=2.0, adv_window=24)
CAPITAL = 1e5
ENGINE = dict(max_participation=0.1, order_timeout_bars=6, min_trade_usd=10.0)
MC_BLOCK = 24
MC_SIMS = {1: 2000, 10: 200, 100: 20}

ROWS = [
    "SMA(20) ns/bar",
    "EMA(10) ns/bar",
    "RSI(14) ns/bar",
    "ATR(14) ns/bar",
    "BBANDS(20,2) ns/bar",
    "MACD ns/bar",
    "ADX(14) ns/bar",
    "feature set M bars/s",
    "features+zscore M bars/s",
    "vectorized+metrics M bars/s",
    "event MA cross M bars/s",
    "MC bootstrap M samples/s",
]


# ---- data ----------------------------------------------------------------


def load():
    """The bundled candles as a DataFrame of open_time, open, high, low,
    close, volume (sorted, as the importer leaves them)."""
    df = pd.read_csv(DATA, usecols=["open_time", "open", "high", "low", "close", "volume"])
    return df.sort_values("open_time", kind="stable").reset_index(drop=True)


def tiled(df, tiles):
    """df repeated `tiles` times as bench_research.c does it."""
    t = df["open_time"].to_numpy()
    span = int(t[-1] - t[0] + (t[1] - t[0]))  # gaps included
    growth = df["close"].iat[-1] / df["open"].iat[0]
    scale = 1.0
    parts = []
    for k in range(tiles):
        p = df.copy()
        p["open_time"] = t + k * span
        for col in ("open", "high", "low", "close"):
            p[col] = df[col].to_numpy() * scale
        parts.append(p)
        scale *= growth
    return pd.concat(parts, ignore_index=True)


# ---- indicators and features, pandas style ---------------------------------


def wilder(x, n):
    return x.ewm(alpha=1.0 / n, adjust=False).mean()


def sma(c, n=20):
    return c.rolling(n).mean()


def ema(c, n=10):
    return c.ewm(span=n, adjust=False).mean()


def rsi(c, n=14):
    delta = c.diff()
    gain = wilder(delta.clip(lower=0), n)
    loss = wilder(-delta.clip(upper=0), n)
    return 100 - 100 / (1 + gain / loss)


def true_range(h, l, c):
    prev = c.shift(1)
    return pd.concat([h - l, (h - prev).abs(), (l - prev).abs()], axis=1).max(axis=1)


def atr(h, l, c, n=14):
    return wilder(true_range(h, l, c), n)


def bbands(c, n=20, k=2.0):
    mid = c.rolling(n).mean()
    sd = c.rolling(n).std(ddof=0)
    return mid + k * sd, mid, mid - k * sd


def macd(c, fast=12, slow=26, signal=9):
    line = ema(c, fast) - ema(c, slow)
    sig = ema(line, signal)
    return line, sig, line - sig


def adx(h, l, c, n=14):
    up = h.diff()
    down = -l.diff()
    plus_dm = up.where((up > down) & (up > 0), 0.0)
    minus_dm = down.where((down > up) & (down > 0), 0.0)
    tr = wilder(true_range(h, l, c), n)
    plus_di = 100 * wilder(plus_dm, n) / tr
    minus_di = 100 * wilder(minus_dm, n) / tr
    dx = 100 * (plus_di - minus_di).abs() / (plus_di + minus_di)
    return wilder(dx, n)


FEATURES = [
    "log_returns",
    "rsi",
    "atr",
    "bb_pct_b",
    "vwap_deviation",
    "realized_vol",
    "momentum_4",
    "momentum_12",
    "ema_ratio",
    "volume_ratio",
]


def features(df, p=FEATURE_PARAMS):
    """The ten technical features (src/features/featureset.h)."""
    c, h, l, v = df["close"], df["high"], df["low"], df["volume"]
    f = pd.DataFrame(index=df.index)
    f["log_returns"] = np.log(c / c.shift(1))
    f["rsi"] = rsi(c, p["rsi"])
    f["atr"] = atr(h, l, c, p["atr"])
    upper, _, lower = bbands(c, p["bb"], p["bb_std"])
    f["bb_pct_b"] = (c - lower) / (upper - lower)
    vwap = (c * v).rolling(p["vwap"]).sum() / v.rolling(p["vwap"]).sum()
    f["vwap_deviation"] = (c - vwap) / vwap
    f["realized_vol"] = f["log_returns"].rolling(p["vol"]).std() * math.sqrt(BPY)
    f["momentum_4"] = c.pct_change(4)
    f["momentum_12"] = c.pct_change(12)
    f["ema_ratio"] = ema(c, 10) / ema(c, 30) - 1
    f["volume_ratio"] = v / v.rolling(p["vol"]).mean() - 1
    return f


def zscore(f, window=ZSCORE_WINDOW, shift=ZSCORE_SHIFT):
    """Rolling z-score over the previous `window` values (src/features/normalize.h)."""
    roll = f.rolling(window)
    mean = roll.mean().shift(shift)
    sd = roll.std().shift(shift).clip(lower=1e-10)
    return (f - mean) / sd


# ---- vectorized backtest and metrics, numpy ------------------------------


def vector_run(close, volume, target, costs=COSTS, capital=CAPITAL):
    """src/backtest/vector.h with numpy: p_t = target[t-1], cumprod of
    1 + p_t r_t - cost_t |p_t - p_{t-1}|. Returns equity and the stats."""
    n = len(close)
    r = np.zeros(n)
    r[1:] = close[1:] / close[:-1] - 1
    p = np.zeros(n)
    p[1:] = target[:-1]
    dp = np.abs(np.diff(p, prepend=0.0))
    dv = close * volume
    adv = pd.Series(dv).rolling(costs["adv_window"], min_periods=1).mean().shift(1).to_numpy()
    fixed = (costs["taker_bps"] + costs["spread_bps"]) / 1e4
    impact = costs["impact_bps"] / 1e4
    # participation from the equity of a first pass without impact
    eq0 = capital * np.cumprod(1 + p * r - dp * fixed)
    prev0 = np.concatenate(([capital], eq0[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where((dp > 0) & (adv > 0), dp * prev0 / adv, 0.0)
    ret = p * r - dp * (fixed + impact * part)
    eq = capital * np.cumprod(1 + ret)
    prev = np.concatenate(([capital], eq[:-1]))
    trade = dp * prev
    stats = dict(
        traded_notional=float(trade.sum()),
        gross_pnl=float((prev * p * r).sum()),
        impact_cost=float((trade * impact * part).sum()),
        bars_in_market=int(np.count_nonzero(p[1:])),
    )
    return eq, stats


def norm_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def metrics(eq, bpy=BPY, trade_pnl=None, traded_notional=0.0, bars_in_market=0, gross_pnl=0.0,
            impact_cost=0.0):
    """src/backtest/metrics.h with numpy (n_trials 1: dsr = psr)."""
    r = eq[1:] / eq[:-1] - 1
    t = len(r)
    years = t / bpy
    mean = r.mean()
    sd = r.std(ddof=1)
    downside = math.sqrt(np.mean(np.minimum(r, 0) ** 2))
    d = r - mean
    pop_var = np.mean(d * d)
    skew = np.mean(d ** 3) / pop_var ** 1.5
    kurt = np.mean(d ** 4) / pop_var ** 2
    peak = np.maximum.accumulate(eq)
    below = eq < peak
    dd = 1 - eq / peak
    # longest run of bars below a prior peak
    idx = np.arange(len(eq))
    last_peak = np.maximum.accumulate(np.where(below, 0, idx))
    duration = int((idx - last_peak).max())
    total = eq[-1] / eq[0] - 1
    cagr = (eq[-1] / eq[0]) ** (1 / years) - 1
    mdd = float(dd.max())
    k = max(1, math.ceil(0.05 * t))
    tail = np.partition(r, k - 1)[:k]
    sr = mean / sd
    psr_den = 1 - skew * sr + (kurt - 1) / 4 * sr * sr
    psr = norm_cdf(sr * math.sqrt(t - 1) / math.sqrt(psr_den)) if psr_den > 0 else math.nan
    pnl = np.asarray(trade_pnl if trade_pnl is not None else [], dtype=float)
    wins, losses = pnl[pnl > 0].sum(), pnl[pnl <= 0].sum()
    return dict(
        final_equity=float(eq[-1]),
        total_return=float(total),
        cagr=float(cagr),
        sharpe=float(sr * math.sqrt(bpy)),
        sortino=float(mean / downside * math.sqrt(bpy)) if downside > 0 else math.nan,
        calmar=float(cagr / mdd) if mdd > 0 else math.nan,
        max_drawdown=mdd,
        max_drawdown_duration_bars=duration,
        hit_rate=float((pnl > 0).mean()) if len(pnl) else math.nan,
        profit_factor=float(wins / -losses) if losses < 0 else math.nan,
        trades=len(pnl),
        turnover_annual=float(traded_notional / eq.mean() / years),
        exposure=bars_in_market / t,
        var_5=float(-tail.max()),
        cvar_5=float(-tail.mean()),
        psr=psr,
        dsr=psr,
        capacity_usd=(0.0 if not gross_pnl > 0 else
                      math.inf if not impact_cost > 0 else 0.5 * gross_pnl / impact_cost * eq[0]),
    )


# ---- event-driven MA crossover, a plain Python loop -----------------------


def event_ma_cross(df, fast=20, slow=50, capital=CAPITAL, costs=COSTS, engine=ENGINE):
    """src/backtest/engine.h for one symbol, fill_at next_open, latency 0,
    long-only: decide at each close, fill at the next open with half spread,
    linear impact on participation (vs the ADV of the adv_window bars before
    the fill bar), taker fee, at most max_participation of the bar's volume,
    buys capped by cash, unfilled rest amended or expired after
    order_timeout_bars; ledger with average entry, realized PnL, fees and
    closed trades. Returns the equity curve, the closed trades' PnL, fills."""
    c_ser = df["close"]
    # SMA over bars t-fast .. t-1 (decided at the close of t from bars <= t-1)
    long_sig = (c_ser.rolling(fast).mean().shift(1) > c_ser.rolling(slow).mean().shift(1)).tolist()
    o, c, v = df["open"].tolist(), c_ser.tolist(), df["volume"].tolist()
    n = len(c)
    w = costs["adv_window"]
    fee_rate = costs["taker_bps"] / 1e4
    spread, impact = costs["spread_bps"], costs["impact_bps"]
    max_part = engine["max_participation"]
    timeout = engine["order_timeout_bars"]
    min_trade = engine["min_trade_usd"]

    cash, qty, avg = capital, 0.0, 0.0
    trade_realized = trade_fees = 0.0
    trades, fills = [], []
    active, remaining, o_qty, o_filled, eligible, worked = False, 0.0, 0.0, 0.0, 0, 0
    dv_sum = 0.0
    equity_curve = [0.0] * n
    for i in range(n):
        if active and i >= eligible:
            # FILL at the open
            k = i if i < w else w
            adv = dv_sum / k if k > 0 else 0.0
            raw = o[i]
            side = 1.0 if remaining > 0 else -1.0
            q = abs(remaining)
            cap = max_part * v[i]
            if q > cap:
                q = cap
            if side < 0 and q > qty:
                q = qty if qty > 0 else 0.0
            part = q * raw / adv if adv > 0 else 0.0
            price = raw * (1.0 + side * (spread + impact * part) / 1e4)
            by_cash = False
            if side > 0:
                afford = cash / (price * (1.0 + fee_rate))
                if q > afford:
                    q = afford if afford > 0 else 0.0
                    by_cash = True
            if q * raw <= 1e-9:
                if by_cash or side < 0:
                    remaining = 0.0
            else:
                fee = q * price * fee_rate
                dq = side * q
                cash -= dq * price + fee
                if qty == 0 or (qty > 0) == (dq > 0):  # opens or adds
                    nq = qty + dq
                    avg = (avg * abs(qty) + price * abs(dq)) / abs(nq)
                    qty = nq
                    trade_fees += fee
                else:  # reduces, closes, or closes and reverses
                    closes = abs(dq) >= abs(qty)
                    closed = abs(qty) if closes else abs(dq)
                    trade_realized += (price - avg) * closed * (1.0 if qty > 0 else -1.0)
                    fee_close = fee * closed / abs(dq)
                    trade_fees += fee_close
                    if not closes:
                        qty += dq
                    else:
                        trades.append(trade_realized - trade_fees)
                        rest = dq + qty
                        trade_realized = 0.0
                        trade_fees = fee - fee_close if rest != 0 else 0.0
                        qty, avg = (rest, price) if rest != 0 else (0.0, 0.0)
                fills.append((i, dq, price, fee))
                o_filled += dq
                remaining -= dq
                if by_cash or abs(remaining) <= 1e-12 * abs(o_qty):
                    remaining = 0.0
            # settle
            if remaining == 0:
                active = False
            else:
                worked += 1
                if worked >= timeout:
                    active = False
        dv_sum += c[i] * v[i]
        if i >= w:
            dv_sum -= c[i - w] * v[i - w]
        # MARK
        equity = cash + qty * c[i]
        if i + 1 < n:
            # SIGNAL and ORDER
            target = 1.0 if i >= slow and long_sig[i] else 0.0
            delta = target * equity / c[i] - qty
            size = abs(delta) * c[i]
            if active and (delta > 0) == (remaining > 0) and size >= min_trade:
                remaining = delta
                o_qty = o_filled + delta
            else:
                active = False
                if size >= min_trade and size > 1e-9:
                    active, remaining, o_qty, o_filled = True, delta, delta, 0.0
                    eligible, worked = i + 1, 0
        equity_curve[i] = equity
    return np.array(equity_curve), trades, fills


# ---- Monte Carlo block bootstrap, numpy ------------------------------------


def mc_bootstrap(r, sims, block=MC_BLOCK, seed=1, bpy=BPY):
    """Circular block bootstrap (src/backtest/montecarlo.h): per simulation,
    blocks of `block` returns from uniform starts (wrapping) until n, then
    total return, Sharpe and maximum drawdown; mean and percentiles."""
    rng = np.random.default_rng(seed)
    n = len(r)
    nblocks = -(-n // block)
    offsets = np.arange(block)
    out = np.empty((sims, 3))
    for s in range(sims):
        starts = rng.integers(0, n, nblocks)
        idx = (starts[:, None] + offsets).ravel()[:n]
        idx[idx >= n] -= n
        x = r[idx]
        eq = np.cumprod(1 + x)
        peak = np.maximum(np.maximum.accumulate(eq), 1.0)
        out[s] = (eq[-1] - 1, x.mean() / x.std(ddof=1) * math.sqrt(bpy), (1 - eq / peak).max())
    return {k: np.percentile(out[:, j], [5, 50, 95]) for j, k in
            enumerate(("total_return", "sharpe", "max_drawdown"))}


# ---- timing ----------------------------------------------------------------


def best(reps, fn):
    t = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


def measure(df, tiles, event_max_tiles):
    """The twelve rows of bench_research for one tiling, plus notes."""
    b = tiled(df, tiles)
    n = len(b)
    c, h, l, v = b["close"], b["high"], b["low"], b["volume"]
    reps = {1: 7, 10: 3, 100: 2}[tiles]
    ns = lambda s: s / n * 1e9
    mbs = lambda s: n / s / 1e6
    out, notes = {}, {}
    out[ROWS[0]] = ns(best(reps, lambda: sma(c)))
    out[ROWS[1]] = ns(best(reps, lambda: ema(c)))
    out[ROWS[2]] = ns(best(reps, lambda: rsi(c)))
    out[ROWS[3]] = ns(best(reps, lambda: atr(h, l, c)))
    out[ROWS[4]] = ns(best(reps, lambda: bbands(c)))
    out[ROWS[5]] = ns(best(reps, lambda: macd(c)))
    out[ROWS[6]] = ns(best(reps, lambda: adx(h, l, c)))
    out[ROWS[7]] = mbs(best(reps, lambda: features(b)))
    out[ROWS[8]] = mbs(best(reps, lambda: zscore(features(b))))
    close, volume = c.to_numpy(), v.to_numpy()
    target = np.where(np.arange(n) % 200 < 100, 1.0, 0.0)  # bench_research's position array

    def vec():
        eq, st = vector_run(close, volume, target)
        return metrics(eq, **st)

    out[ROWS[9]] = mbs(best(reps, vec))
    if tiles <= event_max_tiles:
        out[ROWS[10]] = mbs(best(1 if tiles == 100 else 2, lambda: event_ma_cross(b)))
    else:
        out[ROWS[10]] = None
    r = close[1:] / close[:-1] - 1
    sims = MC_SIMS[tiles]
    out[ROWS[11]] = sims * len(r) / best(2, lambda: mc_bootstrap(r, sims)) / 1e6
    return out, notes


# ---- the check against QuantFlow ------------------------------------------


def rel_diff(a, b, floor):
    """max |a - b| / max(|b|, floor) over the entries where b is defined."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    m = ~np.isnan(b)
    if not m.any():
        return 0.0
    if np.isnan(a[m]).any():
        return math.inf
    return float(np.max(np.abs(a[m] - b[m]) / np.maximum(np.abs(b[m]), floor)))


def check(df, quantflow):
    """Runs `quantflow` on the untiled series and compares. Returns a dict of
    the largest differences and whether each is within its tolerance."""
    res = {}
    with tempfile.TemporaryDirectory(prefix="qf-pandas-ref-") as tmp:
        db = os.path.join(tmp, "x.db")
        q = [quantflow, "--db", db, "--log-level", "warn"]

        def run(*args):
            p = subprocess.run(q + list(args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
            if p.returncode != 0:
                raise SystemExit("pandas_ref: %s failed: %s" % (" ".join(args[:1]), p.stderr))

        run("import", "--quiet", DATA)
        run("features", "--symbol", "BTC/USDT", "--out", os.path.join(tmp, "f.csv"))
        run("features", "--symbol", "BTC/USDT", "--normalized", "--out", os.path.join(tmp, "z.csv"))
        for eng in ("event", "vectorized"):
            run("backtest", "--strategy", "ma_crossover", "--symbol", "BTC/USDT", "--no-save",
                "--engine", eng, "--json", os.path.join(tmp, eng + ".json"))
        qf_f = pd.read_csv(os.path.join(tmp, "f.csv"))
        qf_z = pd.read_csv(os.path.join(tmp, "z.csv"))
        ev = json.load(open(os.path.join(tmp, "event.json")))
        vec = json.load(open(os.path.join(tmp, "vectorized.json")))
    if not (qf_f["open_time"].to_numpy() == df["open_time"].to_numpy()).all():
        raise SystemExit("pandas_ref: quantflow features are not on the same bars")
    f = features(df)
    z = zscore(f)
    warm = 500  # bars after which pandas' ewm start no longer shows
    # pandas' rolling variance is a running (online) update: on a narrow
    # Bollinger window it loses ~1e-8 relative against a two-pass sum (ours
    # re-anchors its running sums), so 1e-7 rather than the 1e-9 of the
    # TA-Lib test; every other feature agrees to ~1e-12
    tol = 1e-7
    for name in FEATURES:
        # differences relative to |value|, floored at a typical magnitude of
        # the feature so near-zero values (returns, ratios) do not blow up
        floor = float(np.nanmedian(np.abs(qf_f[name])))
        all_bars = rel_diff(f[name], qf_f[name], floor)
        steady = rel_diff(f[name][warm:], qf_f[name][warm:], floor)
        zs = rel_diff(z[name][warm + ZSCORE_WINDOW:], qf_z[name][warm + ZSCORE_WINDOW:], 1.0)
        res["feature " + name] = dict(all_bars=all_bars, from_bar_500=steady, zscore=zs,
                                      ok=steady <= tol and zs <= tol)
    eq, trades, _ = event_ma_cross(df)
    ev_eq = np.array([e for _, e in ev["equity"]])
    res["event final equity"] = dict(ours=ev["metrics"]["final_equity"], pandas=float(eq[-1]),
                                     curve=rel_diff(eq, ev_eq, 1.0),
                                     trades=[ev["metrics"]["trades"], len(trades)])
    res["event final equity"]["ok"] = (res["event final equity"]["curve"] <= 1e-9
                                       and len(trades) == ev["metrics"]["trades"])
    close, volume = df["close"].to_numpy(), df["volume"].to_numpy()
    cs = df["close"]
    target = (cs.rolling(20).mean().shift(1) > cs.rolling(50).mean().shift(1)).to_numpy(float)
    target[:50] = 0.0
    veq, st = vector_run(close, volume, target)
    m = metrics(veq, **st)
    worst = 0.0
    for k in ("final_equity", "sharpe", "sortino", "max_drawdown", "max_drawdown_duration_bars",
              "turnover_annual", "exposure", "var_5", "cvar_5", "psr"):
        worst = max(worst, rel_diff([m[k]], [vec["metrics"][k]], 1e-300))
    cap = rel_diff([m["capacity_usd"]], [vec["metrics"]["capacity_usd"]], 1e-300)
    res["vectorized metrics"] = dict(final_equity=[vec["metrics"]["final_equity"], m["final_equity"]],
                                     max_rel_diff=worst, capacity_rel_diff=cap,
                                     ok=worst <= 1e-6 and cap <= 1e-2)
    return res


# ---- main --------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    ap.add_argument("--check", metavar="QUANTFLOW",
                    help="first compare with this quantflow binary's features and backtests")
    ap.add_argument("--max-tiles", type=int, default=100, choices=TILES,
                    help="largest tiling to run (default 100)")
    ap.add_argument("--event-max-tiles", type=int, default=100, choices=TILES,
                    help="largest tiling for the Python event loop; larger ones are left "
                         "empty, never extrapolated (default 100)")
    a = ap.parse_args()
    df = load()
    result = dict(bench="pandas", bars=len(df), python=platform.python_version(),
                  pandas=pd.__version__, numpy=np.__version__, rows=[])
    bad = []
    if a.check:
        result["check"] = check(df, a.check)
        bad = [k for k, v in result["check"].items() if not v["ok"]]
        if bad:  # still timed (the table says so), exit status 1 at the end
            print("pandas_ref: check failed: " + ", ".join(bad), file=sys.stderr)
            print(json.dumps(result["check"], indent=1), file=sys.stderr)
    cols = {}
    for t in TILES:
        if t <= a.max_tiles:
            cols[t], _ = measure(df, t, a.event_max_tiles)
    for name in ROWS:
        result["rows"].append(dict(name=name, values=[cols[t][name] if t in cols else None
                                                      for t in TILES]))
    if a.json:
        json.dump(result, sys.stdout, indent=1)
        print()
    else:
        print("pandas %s, numpy %s, Python %s; BTC/USDT 4h (%d bars) tiled; one core"
              % (pd.__version__, np.__version__, platform.python_version(), len(df)))
        if a.check:
            print("check vs quantflow: " + ("FAILED: " + ", ".join(bad) if bad else
                                            "features, z-scores, event and vectorized backtests agree"))
        print("%-34s %12s %12s %12s" % ("work", "x1", "x10", "x100"))
        for row in result["rows"]:
            print("%-34s" % row["name"] + "".join(
                " %12s" % ("-" if x is None else "%.2f" % x) for x in row["values"]))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
