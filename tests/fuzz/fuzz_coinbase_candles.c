/*
 * fuzz_coinbase_candles.c - libFuzzer target for the Coinbase candles parser
 * (and products, ticker and time on the same bytes): output ascending and
 * deduplicated, or a clean error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "market/coinbase_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    qf_err err;
    qf_candles c;
    qf_candles_init(&c);
    if (qf_coinbase_parse_candles(p, size, &c, &err) == QF_OK) {
        for (size_t i = 1; i < c.n; i++)
            if (c.v[i].open_time <= c.v[i - 1].open_time)
                abort();
    }
    qf_candles_cleanup(&c);
    qf_symbol_rules *r = NULL;
    size_t n;
    if (qf_coinbase_parse_products(p, size, 0, &r, &n, &err) == QF_OK)
        free(r);
    qf_ticker t;
    (void)qf_coinbase_parse_ticker(p, size, &t, &err);
    int64_t ms;
    (void)qf_coinbase_parse_time(p, size, &ms, &err);
    return 0;
}
