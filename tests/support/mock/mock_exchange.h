/*
 * mock_exchange.h - a protocol-faithful Binance Spot + Coinbase on 127.0.0.1
 * (PROTOCOLS.md sections 1, 2 and 6), for tests and `quantflow mock-exchange`.
 *
 * Usage (in a test):
 *     qf_mock *m = NULL;  qf_err err;
 *     qf_mock_opts o = {0};                         // ephemeral port, data/, 2025-03-01
 *     cr_assert_eq(qf_mock_start(&o, &m, &err), QF_OK, "%s", err.msg);
 *     qf_config cfg;  qf_config_init(&cfg);
 *     qf_mock_config_urls(m, &cfg);   // both venues' base_url at the mock
 *     qf_mock_config_keys(&cfg);      // QF_MOCK_BINANCE_KEY/SECRET, QF_MOCK_COINBASE_KEY_NAME/PEM
 *     qf_mock_fault(m, "/api/v3/order", QF_MOCK_FAULT_ACK_500, 1, 0);  // next order: unknown
 * outcome qf_mock_advance(m, 3600 * 1000);              // one hour: resting limits may fill
 *     cr_assert_eq(qf_mock_count_orders(m, "qf-abc-1"), 1);
 *     qf_mock_stop(m);
 *
 * The mock serves the bundled real candles (data/SYMBOL-TF.csv: BTCUSDT 1h and 4h,
 * ETHUSDT and SOLUSDT 4h) as its history; the bar that contains the mock's
 * "now" is still forming and is served with partial values. Binance paths
 * are under /api/v3/, Coinbase Exchange candles under /products/, Coinbase
 * Advanced Trade under /api/v3/brokerage/, the control API under /__mock/.
 * All calls are thread-safe. Everything the mock parses is outside input:
 * bad requests get the venue's error body, never a crash.
 *
 * Binance weight: one counter for every client (all are 127.0.0.1), charged
 * for every /api/v3 request (rejected ones included) in windows of one
 * minute of the MOCK clock. Over the limit: 429 + Retry-After; the window
 * then ends when Retry-After does, so a client that waits as told starts
 * afresh, while one that comes back early collects more 429s and, after
 * ban_after_429s of them, a 418 ban of ban_seconds (mock clock).
 * Book and fills: see mock_match.c (synthetic levels one tick apart around
 * the bar's price path; 0.1% commission). Money is exact (1e-8 units).
 */
#ifndef QF_TESTS_MOCK_EXCHANGE_H
#define QF_TESTS_MOCK_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"

typedef struct qf_mock qf_mock;

typedef struct qf_mock_opts {
    const char *data_dir;   /* NULL: QF_MOCK_DEFAULT_DATA_DIR (the repo's data/, compile-time) */
    int port;               /* 0: ephemeral */
    int64_t start_time_ms;  /* mock clock at start; 0: 2025-03-01T00:00:00Z */
    int weight_limit_1m;    /* 0: 6000 */
    int ban_after_429s;     /* 429s answered (while the client should wait) before a 418; 0: 3 */
    long ban_seconds;       /* 418 Retry-After; 0: 120 */
    long retry_after_429_s; /* 0: 1 */
    int frozen_clock;       /* nonzero: wall time does not move the clock, only qf_mock_advance
                             * (deterministic prices and fills in tests) */
} qf_mock_opts;

/* 2025-03-01T00:00:00Z, the default start of the mock clock. */
#define QF_MOCK_DEFAULT_START_MS 1740787200000LL

/* Binance test credentials the mock accepts (any other key: -2015). */
#define QF_MOCK_BINANCE_KEY    "qfmockTESTkeyDoNotUseAnywhere000000000000000000000000000000000000"
#define QF_MOCK_BINANCE_SECRET "qfmockTESTsecretDoNotUseAnywhere0000000000000000000000000000000"

/* Coinbase CDP test credentials the mock accepts.
 * !!! TEST-ONLY KEYS, PUBLIC IN THIS REPOSITORY. They unlock nothing but the
 * !!! mock; never configure them against a real exchange, never reuse them.
 * ES256 (EC P-256, PEM "EC PRIVATE KEY") and EdDSA (Ed25519: base64 of the
 * 32-byte seed followed by the 32-byte public key, as the CDP portal gives). */
#define QF_MOCK_COINBASE_KEY_NAME "organizations/qf-mock-org/apiKeys/qf-mock-test-key"
#define QF_MOCK_COINBASE_PRIVATE_PEM                                                               \
    "-----BEGIN EC PRIVATE KEY-----\n"                                                             \
    "MHcCAQEEIJ28PJaGEgYMqjP6d3lran2mHFe/SELZ6no6Grh0F8HkoAoGCCqGSM49\n"                           \
    "AwEHoUQDQgAEBVtjP9QgFREclMo9oMtLKha2V/Y9L15qpGLqE291sBKeD36XItGU\n"                           \
    "xOdBt7r1LcAdcKOUsvkeovSzW9x3aFYjIw==\n"                                                       \
    "-----END EC PRIVATE KEY-----\n"
#define QF_MOCK_COINBASE_ED25519_KEY_NAME "b1f0c6a2-7d3e-4c59-9a8e-qf-mock-ed25519"
#define QF_MOCK_COINBASE_ED25519_SECRET                                                            \
    "Rs3EVBy97z7OeErRIRZTR0cLj/IdYbJW+Oi/sb1LMFzjYpAvHlwJwc+Rra/GDlO8UN91jsXbFwcjKa+c73agDA=="

/* Starts the server on 127.0.0.1 (and loads the data). QF_EIO naming the
 * file for unreadable data, QF_ENET when the port cannot be bound; *out is
 * then NULL. */
QF_NODISCARD qf_rc qf_mock_start(const qf_mock_opts *opts, qf_mock **out, qf_err *err);
/* Releases held replies, stops the server, frees everything. NULL ok. */
void qf_mock_stop(qf_mock *m);
/* "http://127.0.0.1:PORT"; both venues share it. */
const char *qf_mock_url(const qf_mock *m);
int qf_mock_port(const qf_mock *m);
/* Points exchanges.binance.base_url and exchanges.coinbase.base_url of cfg
 * at the mock. */
void qf_mock_config_urls(const qf_mock *m, qf_config *cfg);
/* Puts the mock's test credentials in cfg: QF_MOCK_BINANCE_KEY/SECRET and
 * QF_MOCK_COINBASE_KEY_NAME/PRIVATE_PEM (ES256). */
void qf_mock_config_keys(qf_config *cfg);

/* The mock clock in ms: start + wall time elapsed since qf_mock_start (none
 * with frozen_clock) +
 * every qf_mock_advance + the current skew. Binance serverTime, Coinbase
 * /time, the timestamp/recvWindow and JWT nbf/exp checks, the forming bar
 * and the weight windows all use it. */
int64_t qf_mock_now(qf_mock *m);
/* Moves the clock forward by ms (>= 0); resting limit orders crossed by the
 * price path of the bars passed are filled (partially when large). */
void qf_mock_advance(qf_mock *m, int64_t ms);
/* Sets the skew (replaces the previous one): the server clock jumps by ms
 * without filling orders, so a client's stored offset goes stale (-1021). */
void qf_mock_set_skew(qf_mock *m, int64_t ms);

typedef enum {
    QF_MOCK_FAULT_NONE,
    QF_MOCK_FAULT_429,           /* reply 429 + Retry-After, request not processed */
    QF_MOCK_FAULT_418,           /* reply 418 + Retry-After, request not processed */
    QF_MOCK_FAULT_500,           /* reply 500, request not processed */
    QF_MOCK_FAULT_503,           /* reply 503, request not processed */
    QF_MOCK_FAULT_SLOW,          /* param: delay in ms before processing (a client timeout) */
    QF_MOCK_FAULT_MALFORMED,     /* processed; 200 with a body that is not JSON */
    QF_MOCK_FAULT_TRUNCATED,     /* processed; the real body cut in half */
    QF_MOCK_FAULT_HTML,          /* reply 502 with an HTML error page, not processed */
    QF_MOCK_FAULT_WRONG_TYPES,   /* processed; the real body with strings <-> numbers swapped */
    QF_MOCK_FAULT_ACK_500,       /* processed (order accepted), reply 500 */
    QF_MOCK_FAULT_ACK_DROP,      /* processed, connection closed without a reply */
    QF_MOCK_FAULT_ACK_HANG,      /* processed, reply held until qf_mock_release or stop */
    QF_MOCK_FAULT_QUERY_UNKNOWN, /* order lookups (Binance GET /api/v3/order, Coinbase GET
                                  * /orders/historical/{id}) answer "does not exist" though
                                  * the order exists */
    QF_MOCK_FAULT_ACK_408        /* processed (order accepted), then Binance's "execution
                                  * status unknown": HTTP 408 with -1007 "Timeout waiting for
                                  * response from backend server. Send status unknown;
                                  * execution status unknown." (param 1006: HTTP 400 with
                                  * -1006 "An unexpected response was received from the
                                  * message bus. Execution status unknown."); Coinbase paths:
                                  * HTTP 408 {"error":"DEADLINE_EXCEEDED",...} */
} qf_mock_fault_kind;

/* The next `count` requests whose path starts with path_prefix (NULL: any
 * path) get the fault. Faults queue in the order given; each request takes
 * at most one (the first matching). count <= 0 clears every queued fault. */
void qf_mock_fault(qf_mock *m, const char *path_prefix, qf_mock_fault_kind kind, int count,
                   long param);
/* Lets held (ACK_HANG) replies go. */
void qf_mock_release(qf_mock *m);

typedef struct qf_mock_stats {
    long requests;       /* every request */
    long orders_created; /* orders that exist at the exchange (both venues) */
    long max_weight_1m;  /* highest Binance weight asked for in any one minute window, rejected
                          * requests included: above the limit means a client overran it */
    long ban_count;      /* 418s sent */
    long held_acks;      /* replies currently held by ACK_HANG */
    long rejected_429;   /* 429s sent (weight limit and fault injection) */
} qf_mock_stats;
qf_mock_stats qf_mock_get_stats(qf_mock *m);

/* Orders created at the exchange with this client id (NULL: all), both venues. */
size_t qf_mock_count_orders(qf_mock *m, const char *client_id);
/* Sets the free balance of an asset (both venues share one account). Default:
 * 100000 USDT, 10 BTC, 100 ETH, 1000 SOL. */
void qf_mock_set_balance(qf_mock *m, const char *asset, double free);

#endif
