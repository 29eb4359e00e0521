/*
 * fuzz_binance_klines.c - libFuzzer target for the Binance klines parser
 * (and, on the same bytes, the book ticker, depth and time parsers): any
 * input gives QF_OK with valid rows or a clean error, never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "market/binance_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    qf_err err;
    qf_candles c;
    qf_candles_init(&c);
    if (qf_binance_parse_klines(p, size, 4 * 3600000, &c, &err) == QF_OK) {
        for (size_t i = 1; i < c.n; i++)
            if (c.v[i].open_time <= c.v[i - 1].open_time || c.v[i].low > c.v[i].high)
                abort();
    }
    qf_candles_cleanup(&c);
    qf_ticker t;
    (void)qf_binance_parse_book_ticker(p, size, &t, &err);
    qf_book_level *lv = NULL;
    size_t nb, na;
    if (qf_binance_parse_depth(p, size, &lv, &nb, &na, &err) == QF_OK)
        free(lv);
    int64_t ms;
    (void)qf_binance_parse_time(p, size, &ms, &err);
    qf_symbol_rules *r = NULL;
    size_t n;
    if (qf_binance_parse_exchange_info(p, size, 0, &r, &n, NULL, &err) == QF_OK)
        free(r);
    return 0;
}
