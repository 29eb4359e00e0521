/*
 * fuzz_kline_csv.c - libFuzzer target for the kline CSV parser: the first
 * line decides the layout, every further line is parsed and checked as a row.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "market/kline_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *end = p + size;
    const char *nl = memchr(p, '\n', size);
    size_t first = nl != NULL ? (size_t)(nl - p) : size;
    qf_kline_layout layout;
    qf_err err;
    if (qf_kline_csv_layout(p, first, &layout, &err) != QF_OK)
        return 0;
    p = nl != NULL ? nl + 1 : end;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        qf_candle c;
        int64_t close_time;
        if (qf_kline_csv_parse_row(p, len, &layout, &c, &close_time, &err) == QF_OK)
            (void)qf_kline_check(&c, close_time, 4 * 3600000, &err);
        p += len + 1;
    }
    return 0;
}
