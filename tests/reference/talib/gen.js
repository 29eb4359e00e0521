#!/usr/bin/env node
// gen.js - TA-Lib reference outputs for QuantFlow's indicator tests.
//
// Usage: node gen.js CANDLES.csv OUT.csv
//
// Reads a Binance kline CSV (header with at least open_time, open, high, low,
// close, volume; see data/README.md) and writes OUT.csv with one row per input
// row: open_time, then every indicator below as computed by TA-Lib's own C
// code (npm package `talib`, which compiles TA-Lib's sources). A field is
// empty where TA-Lib gives no value (bars before the function's lookback).
// Values are printed like C's "%.17g" (17 significant digits, trailing zeros
// dropped), so strtod() of the text gives back the exact double.
//
// Also writes OUT.lookback.json (OUT.csv with ".csv" replaced): for each
// function its parameters, output columns and lookback (TA_*_Lookback: the
// index of the first bar with a value when started at bar 0), found by
// counting and checked on a prefix of the data.
'use strict';

const fs = require('fs');
const path = require('path');

function die(msg) {
  process.stderr.write(`talib_ref: ${msg}\n`);
  process.exit(1);
}

let talib;
try {
  talib = require('talib');
} catch (e) {
  die(`cannot load the talib binding (${e.message}); run 'npm ci' in ${__dirname}`);
}

// TA-Lib defaults: MA type 0 = SMA; unstable periods 0; default compatibility.
const MA_SMA = 0;

// Each spec: a TA-Lib call and the CSV column for each of its outputs, in
// TA-Lib's output order. `in` chooses which input series feed inReal.
const SPECS = [
  { key: 'SMA(20)', name: 'SMA', in: 'close', opt: { optInTimePeriod: 20 }, cols: ['sma_20'] },
  { key: 'EMA(10)', name: 'EMA', in: 'close', opt: { optInTimePeriod: 10 }, cols: ['ema_10'] },
  { key: 'EMA(30)', name: 'EMA', in: 'close', opt: { optInTimePeriod: 30 }, cols: ['ema_30'] },
  { key: 'WMA(20)', name: 'WMA', in: 'close', opt: { optInTimePeriod: 20 }, cols: ['wma_20'] },
  { key: 'RSI(14)', name: 'RSI', in: 'close', opt: { optInTimePeriod: 14 }, cols: ['rsi_14'] },
  { key: 'TRANGE', name: 'TRANGE', opt: {}, cols: ['trange'] },
  { key: 'ATR(14)', name: 'ATR', opt: { optInTimePeriod: 14 }, cols: ['atr_14'] },
  {
    key: 'BBANDS(20,2,2,SMA)', name: 'BBANDS', in: 'close',
    opt: { optInTimePeriod: 20, optInNbDevUp: 2, optInNbDevDn: 2, optInMAType: MA_SMA },
    cols: ['bbands_upper_20_2', 'bbands_middle_20_2', 'bbands_lower_20_2'],
  },
  {
    key: 'MACD(12,26,9)', name: 'MACD', in: 'close',
    opt: { optInFastPeriod: 12, optInSlowPeriod: 26, optInSignalPeriod: 9 },
    cols: ['macd_12_26_9', 'macd_signal_12_26_9', 'macd_hist_12_26_9'],
  },
  {
    key: 'STDDEV(20,1)', name: 'STDDEV', in: 'close',
    opt: { optInTimePeriod: 20, optInNbDev: 1 }, cols: ['stddev_20_1'],
  },
  { key: 'ROC(4)', name: 'ROC', in: 'close', opt: { optInTimePeriod: 4 }, cols: ['roc_4'] },
  { key: 'ROC(12)', name: 'ROC', in: 'close', opt: { optInTimePeriod: 12 }, cols: ['roc_12'] },
  { key: 'MOM(10)', name: 'MOM', in: 'close', opt: { optInTimePeriod: 10 }, cols: ['mom_10'] },
  { key: 'ADX(14)', name: 'ADX', opt: { optInTimePeriod: 14 }, cols: ['adx_14'] },
  { key: 'OBV', name: 'OBV', in: 'close', opt: {}, cols: ['obv'] },
  {
    key: 'STOCH(14,3,SMA,3,SMA)', name: 'STOCH',
    opt: {
      optInFastK_Period: 14, optInSlowK_Period: 3, optInSlowK_MAType: MA_SMA,
      optInSlowD_Period: 3, optInSlowD_MAType: MA_SMA,
    },
    cols: ['stoch_slowk_14_3_3', 'stoch_slowd_14_3_3'],
  },
  { key: 'SMA(24) of volume', name: 'SMA', in: 'volume', opt: { optInTimePeriod: 24 }, cols: ['volume_sma_24'] },
];

function readCandles(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    die(`${file}: ${e.message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) die(`${file}: no data rows`);
  const header = lines[0].split(',').map((s) => s.trim());
  const need = ['open_time', 'open', 'high', 'low', 'close', 'volume'];
  const idx = {};
  for (const c of need) {
    idx[c] = header.indexOf(c);
    if (idx[c] < 0) die(`${file}:1: header has no '${c}' column`);
  }
  const n = lines.length - 1;
  const d = { open_time: new Array(n) };
  // Plain arrays: the binding reads its inputs as v8 Arrays (a typed array
  // would be misread).
  for (const c of need.slice(1)) d[c] = new Array(n);
  for (let r = 0; r < n; r++) {
    const f = lines[r + 1].split(',');
    const t = f[idx.open_time];
    if (t === undefined || !/^[0-9]+$/.test(t)) die(`${file}:${r + 2}: bad open_time '${t}'`);
    d.open_time[r] = t; // kept as text: copied to the output unchanged
    for (const c of need.slice(1)) {
      const s = f[idx[c]];
      // Number() of decimal text is correctly rounded, like strtod().
      const v = s === undefined || s.trim() === '' ? NaN : Number(s);
      if (!Number.isFinite(v)) die(`${file}:${r + 2}: bad ${c} '${s}'`);
      d[c][r] = v;
    }
  }
  return d;
}

function run(spec, d, endIdx) {
  const p = { name: spec.name, startIdx: 0, endIdx, ...spec.opt };
  for (const c of ['open', 'high', 'low', 'close', 'volume']) p[c] = d[c];
  if (spec.in) p.inReal = d[spec.in];
  const r = talib.execute(p);
  if (!r || r.error || !r.result) die(`TA-Lib ${spec.key}: ${r && r.error ? r.error : 'no result'}`);
  return r;
}

// Like C's printf("%.17g"): exact round trip, no trailing zeros.
function fmt(v) {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  let s = v.toPrecision(17);
  let exp = '';
  const e = s.indexOf('e');
  if (e >= 0) {
    exp = s.slice(e);
    s = s.slice(0, e);
  }
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  s += exp;
  if (Number(s) !== v) die(`internal: ${s} does not round-trip ${v}`);
  return s;
}

function main() {
  const args = process.argv.slice(2);
  if (args.length !== 2) {
    process.stderr.write('usage: node gen.js CANDLES.csv OUT.csv\n');
    process.exit(2);
  }
  const [inFile, outFile] = args;
  const d = readCandles(inFile);
  const n = d.open_time.length;

  const columns = ['open_time'];
  const series = [];
  const lookbacks = {};
  for (const spec of SPECS) {
    const r = run(spec, d, n - 1);
    const outs = talib.explain(spec.name).outputs.map((o) => o.name);
    if (outs.length !== spec.cols.length) die(`TA-Lib ${spec.key}: ${outs.length} outputs, expected ${spec.cols.length}`);
    const lb = r.begIndex;
    if (r.nbElement !== n - lb) die(`TA-Lib ${spec.key}: ${r.nbElement} values from bar ${lb} of ${n}`);
    // Check the lookback by counting on a prefix: lb+1 bars give exactly one
    // value, at bar lb; lb bars give none.
    const one = run(spec, d, lb);
    if (one.begIndex !== lb || one.nbElement !== 1) die(`TA-Lib ${spec.key}: lookback check failed at ${lb}`);
    if (lb > 0 && run(spec, d, lb - 1).nbElement !== 0) die(`TA-Lib ${spec.key}: lookback check failed below ${lb}`);
    lookbacks[spec.key] = { function: spec.name, input: spec.in || 'high,low,close', params: spec.opt, lookback: lb, columns: spec.cols };
    outs.forEach((o, k) => {
      columns.push(spec.cols[k]);
      series.push({ lb, vals: r.result[o] });
    });
  }

  const rows = new Array(n + 1);
  rows[0] = columns.join(',');
  for (let i = 0; i < n; i++) {
    const f = new Array(columns.length);
    f[0] = d.open_time[i];
    for (let k = 0; k < series.length; k++) {
      const s = series[k];
      f[k + 1] = i < s.lb ? '' : fmt(s.vals[i - s.lb]);
    }
    rows[i + 1] = f.join(',');
  }
  const tmp = `${outFile}.tmp${process.pid}`;
  fs.writeFileSync(tmp, rows.join('\n') + '\n');
  fs.renameSync(tmp, outFile);

  let taVersion = 'unknown';
  try {
    const v = fs.readFileSync(path.join(path.dirname(require.resolve('talib/package.json')), 'src/lib/src/ta_common/ta_version.c'), 'utf8');
    const g = (k) => (v.match(new RegExp(`#define ${k}\\s+"([^"]*)"`)) || [])[1];
    taVersion = `${g('MAJOR')}.${g('MINOR')}.${g('BUILD')}${g('EXTRA') ? '-' + g('EXTRA') : ''}`;
  } catch (e) { /* keep 'unknown' */ }

  const lbFile = outFile.replace(/\.csv$/, '') + '.lookback.json';
  const meta = {
    source: path.basename(inFile),
    rows: n,
    npm_talib: require('talib/package.json').version,
    ta_lib_c: taVersion,
    lookbacks,
  };
  fs.writeFileSync(lbFile, JSON.stringify(meta, null, 2) + '\n');
}

main();
