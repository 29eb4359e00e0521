/*
 * symbol.h - QuantFlow writes symbols one way, "BASE/QUOTE" (BTC/USDT), and
 * translates them per exchange (Binance "BTCUSDT", Coinbase "BTC-USDT").
 */
#ifndef QF_CORE_SYMBOL_H
#define QF_CORE_SYMBOL_H

#include <stddef.h>

#include "core/err.h"

/* Checks "BASE/QUOTE" with 1..10 upper-case letters or digits on each side. */
QF_NODISCARD qf_rc qf_symbol_validate(const char *symbol, qf_err *err);

/* "BTCUSDT" -> "BTC/USDT": splits off the longest known quote asset (USDT,
 * USDC, FDUSD, BUSD, TUSD, BTC, ETH, BNB, EUR, USD, ...). Case-insensitive in,
 * upper-case out. Fails with QF_EINVAL when no known quote ends the name, the
 * name is only a quote asset ("USDT", "FDUSD"), the base is not 1..10 letters or
 * digits, or out (size bytes) is too small. */
QF_NODISCARD qf_rc qf_symbol_from_concat(const char *concat, char *out, size_t size, qf_err *err);

/* "BTC/USDT" -> "BTCUSDT" (Binance) into out. Invalid symbols and too small
 * buffers fail with QF_EINVAL (out is then untouched or a truncated string). */
QF_NODISCARD qf_rc qf_symbol_to_binance(const char *symbol, char *out, size_t size, qf_err *err);

/* "BTC/USDT" -> "BTC-USDT" (Coinbase) into out. */
QF_NODISCARD qf_rc qf_symbol_to_coinbase(const char *symbol, char *out, size_t size, qf_err *err);

#endif
