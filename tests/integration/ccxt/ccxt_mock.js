// ccxt_mock.js - drives QuantFlow's mock exchange with ccxt's binance (a client
// nobody here wrote): fetchTime, loadMarkets, fetchOHLCV (compared row by row
// with the bundled CSV), fetchOrderBook, fetchTicker-free bookTicker, a resting
// limit order (create, fetch, open orders, cancel), a market order (filled,
// fills), fetchBalance, and the mock's error codes mapped to ccxt's exceptions.
//
// Usage: node ccxt_mock.js MOCK_URL DATA_DIR
// Exit status 0 when every check passed; failures are printed one per line.
'use strict';

const fs = require('fs');
const path = require('path');
const ccxt = require('ccxt');

const [, , mockUrl, dataDir] = process.argv;
if (!mockUrl || !dataDir) {
    console.error('usage: node ccxt_mock.js MOCK_URL DATA_DIR');
    process.exit(2);
}

// The mock's public test credentials (tests/support/mock/mock_exchange.h).
const KEY = 'qfmockTESTkeyDoNotUseAnywhere000000000000000000000000000000000000';
const SECRET = 'qfmockTESTsecretDoNotUseAnywhere0000000000000000000000000000000';

let failures = 0;
let checks = 0;
function check(cond, what) {
    checks++;
    if (!cond) {
        failures++;
        console.error('FAIL: ' + what);
    }
}

async function control(pathAndQuery, method = 'POST') {
    const r = await fetch(mockUrl + pathAndQuery, { method });
    if (r.status !== 200) throw new Error(`${pathAndQuery}: HTTP ${r.status}`);
    return r.json();
}

function csvRows(file) {
    const lines = fs.readFileSync(path.join(dataDir, file), 'utf8').trim().split('\n').slice(1);
    const rows = new Map();
    for (const l of lines) {
        const f = l.split(',');
        rows.set(Number(f[0]), f.slice(1, 6).map(Number));
    }
    return rows;
}

function binance() {
    const ex = new ccxt.binance({
        apiKey: KEY,
        secret: SECRET,
        enableRateLimit: false,
        options: {
            defaultType: 'spot',
            fetchMarkets: { types: ['spot'] },
            fetchCurrencies: false,
            fetchMargins: false, // no /sapi margin pair lists at the mock
            adjustForTimeDifference: true,
        },
    });
    const api = mockUrl + '/api/v3';
    ex.urls.api = Object.assign({}, ex.urls.api, {
        public: api,
        private: api,
        v1: mockUrl + '/api/v1',
    });
    return ex;
}

async function testBinance() {
    const ex = binance();
    const t = await ex.fetchTime();
    const stats0 = await control('/__mock/stats', 'GET');
    check(Math.abs(t - stats0.now) < 5000, `fetchTime ${t} is the mock clock ${stats0.now}`);
    await ex.loadTimeDifference();
    await ex.loadMarkets();
    const m = ex.market('BTC/USDT');
    check(m.id === 'BTCUSDT', 'BTC/USDT market id is BTCUSDT');
    check(m.precision.price === 0.01 && m.precision.amount === 0.00001,
        `precision from the filters (${m.precision.price}, ${m.precision.amount})`);
    check(m.limits.cost.min === 5, `min notional 5 (${m.limits.cost.min})`);

    // OHLCV: 4h bars of 2025-02 equal the bundled CSV
    const since = Date.UTC(2025, 1, 1);
    const rows = await ex.fetchOHLCV('BTC/USDT', '4h', since, 100);
    const csv4h = csvRows('BTCUSDT-4h.csv');
    check(rows.length === 100, `fetchOHLCV returned ${rows.length} rows`);
    check(rows[0][0] === since, 'first row at since');
    let same = 0;
    for (const r of rows) {
        const c = csv4h.get(r[0]);
        if (c && c.every((v, k) => v === r[k + 1])) same++;
    }
    check(same === rows.length, `${same}/${rows.length} OHLCV rows equal the CSV`);
    const rows1h = await ex.fetchOHLCV('ETH/USDT', '1d', Date.UTC(2025, 0, 1), 3);
    check(rows1h.length === 3 && rows1h[1][0] - rows1h[0][0] === 86400000, '1d ETH from 4h data');

    const ob = await ex.fetchOrderBook('BTC/USDT', 10);
    check(ob.bids.length === 10 && ob.asks.length === 10 && ob.bids[0][0] < ob.asks[0][0],
        'order book with 10 levels a side, not crossed');

    // a limit order far below the market rests; fetch it, list it, cancel it
    const bal0 = await ex.fetchBalance();
    check(bal0.USDT.free === 100000 && bal0.BTC.free === 10, 'default balances');
    const limit = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000,
        { newClientOrderId: 'ccxt-limit-1' });
    check(limit.status === 'open' && limit.clientOrderId === 'ccxt-limit-1', `limit order open (${limit.status})`);
    const fetched = await ex.fetchOrder(limit.id, 'BTC/USDT');
    check(fetched.id === limit.id && fetched.price === 50000 && fetched.amount === 0.001 &&
        fetched.remaining === 0.001, 'fetchOrder returns the order');
    const open = await ex.fetchOpenOrders('BTC/USDT');
    check(open.length === 1 && open[0].id === limit.id, 'fetchOpenOrders lists it');
    const bal1 = await ex.fetchBalance();
    check(bal1.USDT.used === 50, `50 USDT locked (${bal1.USDT.used})`);
    const cancelled = await ex.cancelOrder(limit.id, 'BTC/USDT');
    check(cancelled.status === 'canceled', `cancelOrder -> canceled (${cancelled.status})`);
    try {
        await ex.cancelOrder(limit.id, 'BTC/USDT');
        check(false, 'a second cancel must fail');
    } catch (e) {
        check(e instanceof ccxt.OrderNotFound, `second cancel: OrderNotFound (${e.constructor.name})`);
    }

    // a market order fills at once, possibly over several levels
    const mkt = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.05);
    check(mkt.status === 'closed' && mkt.filled === 0.05, `market order filled (${mkt.status}, ${mkt.filled})`);
    check(mkt.trades.length >= 2, `market order walked the book (${mkt.trades.length} fills)`);
    const mkt2 = await ex.fetchOrder(mkt.id, 'BTC/USDT');
    check(mkt2.status === 'closed' && Math.abs(mkt2.cost - mkt.cost) < 1e-9, 'fetchOrder of the market order');
    const trades = await ex.fetchMyTrades('BTC/USDT', undefined, undefined, { orderId: mkt.id });
    check(trades.length === mkt.trades.length, `fetchMyTrades by orderId (${trades.length})`);

    // a limit order that rests, then fills when the clock passes a bar that crosses it
    const low = Math.min(...[...csv4h.entries()].filter(([k]) => k >= stats0.now && k < stats0.now + 86400000).map(([, v]) => v[2]));
    const px = Math.ceil((low + 50) / 0.01) * 0.01;
    const rest = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, Number(px.toFixed(2)));
    if (rest.status === 'open') {
        await control('/__mock/advance?ms=' + 86400000);
        const after = await ex.fetchOrder(rest.id, 'BTC/USDT');
        check(after.status === 'closed' && after.filled === 0.001, `resting limit filled after a day (${after.status})`);
    }

    // rejections map to ccxt's exceptions
    try {
        await ex.createOrder('BTC/USDT', 'limit', 'buy', 100, 50000);
        check(false, 'insufficient balance must fail');
    } catch (e) {
        check(e instanceof ccxt.InsufficientFunds, `insufficient: InsufficientFunds (${e.constructor.name}: ${e.message})`);
    }
    try {
        await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { newClientOrderId: 'ccxt-dup' });
        await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { newClientOrderId: 'ccxt-dup' });
        check(false, 'duplicate client id must fail');
    } catch (e) {
        check(e instanceof ccxt.ExchangeError, `duplicate id rejected (${e.constructor.name}: ${e.message})`);
    }
    const dup = await control('/__mock/orders?client_id=ccxt-dup', 'GET');
    check(dup.count === 1, `one order with the duplicate id (${dup.count})`);
    try {
        await ex.fetchOrder('999', 'BTC/USDT');
        check(false, 'unknown order must fail');
    } catch (e) {
        check(e instanceof ccxt.OrderNotFound, `unknown order: OrderNotFound (${e.constructor.name})`);
    }
    await control('/__mock/fault?kind=429&path=/api/v3/depth&count=1');
    try {
        await ex.fetchOrderBook('BTC/USDT', 5);
        check(false, '429 must fail');
    } catch (e) {
        check(e instanceof ccxt.RateLimitExceeded || e instanceof ccxt.DDoSProtection,
            `429: rate limit error (${e.constructor.name})`);
    }
    const st = await control('/__mock/stats', 'GET');
    check(st.max_weight_1m <= 6000, `stayed under the weight limit (${st.max_weight_1m})`);
}

(async () => {
    try {
        await testBinance();
    } catch (e) {
        checks++;
        failures++;
        console.error('FAIL: unexpected ' + (e && e.constructor ? e.constructor.name : '') + ': ' + (e && e.message));
    }
    console.log(`ccxt ${ccxt.version} against the mock: ${checks - failures}/${checks} checks passed` +
        (failures ? `, ${failures} failed` : ''));
    process.exit(failures ? 1 : 0);
})();
