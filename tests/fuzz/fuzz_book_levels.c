/*
 * fuzz_book_levels.c - libFuzzer target for the order-book levels parser
 * (the bids/asks JSON of orderbook_snapshots, which other programs may have
 * written). Whatever parses must format back to text that parses to the same
 * bits (the store's full-precision promise); and as the bid side of a book
 * with no asks, what qf_book_check accepts has a NaN imbalance.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/book.h"
#include "features/orderbook.h"
#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static qf_book_level parsed[QF_BOOK_LEVELS_MAX];
static qf_book_level again[QF_BOOK_LEVELS_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    qf_err err;
    if (qf_store_book_levels_parse((const char *)data, size, parsed, &n, &err) != QF_OK)
        return 0;
    /* A one-sided book that passes the check has no imbalance (NaN). */
    qf_book b = {0, parsed, n, NULL, 0};
    double imb = 0;
    if (qf_book_check(&b, &err) == QF_OK &&
        (qf_book_imbalance(&b, 1, &imb, &err) != QF_OK || !isnan(imb)))
        abort();
    char *text = NULL;
    if (qf_store_book_levels_format(parsed, n, &text, &err) != QF_OK)
        abort(); /* parsed numbers are finite, so they always format */
    size_t m = 0;
    if (qf_store_book_levels_parse(text, strlen(text), again, &m, &err) != QF_OK || m != n ||
        (n > 0 && memcmp(parsed, again, n * sizeof *parsed) != 0))
        abort();
    free(text);
    return 0;
}
