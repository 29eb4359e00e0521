/*
 * fuzz_exchange_error.c - libFuzzer target for the venue error-body parsers
 * (Binance {"code","msg"}, Coinbase {"message"} / {"error",...} / plain
 * text): the message is always NUL-terminated and within its buffer.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "market/binance_parse.h"
#include "market/coinbase_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    qf_err err;
    char msg[64];
    int code;
    if (qf_binance_parse_error(p, size, &code, msg, sizeof msg, &err) == QF_OK &&
        strlen(msg) >= sizeof msg)
        abort();
    bool nf;
    if (qf_coinbase_parse_error(p, size, msg, sizeof msg, &nf, &err) == QF_OK &&
        strlen(msg) >= sizeof msg)
        abort();
    return 0;
}
