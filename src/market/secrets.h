/*
 * secrets.h - where exchange API keys come from.
 *
 * In order of precedence:
 *   1. the configuration (exchanges.<venue>.api_key / api_secret), whose
 *      defaults read the environment: BINANCE_API_KEY, BINANCE_API_SECRET,
 *      COINBASE_API_KEY (the CDP key name), COINBASE_API_SECRET (its private
 *      key: PEM, "\n" escapes allowed, or Ed25519 base64);
 *   2. a secrets file, filling whatever the configuration left empty:
 *      $QF_SECRETS_FILE when set (it must then exist), else
 *      $XDG_CONFIG_HOME/quantflow/secrets (~/.config/quantflow/secrets) when
 *      that file exists.
 *
 * The file holds NAME=value lines with the four names above ("#" comments,
 * blank lines, optional double quotes around the value). It must be a
 * regular file owned by the current user and readable by nobody else (mode
 * 0600 or 0400): anything wider is refused with an error naming the mode.
 * Values are registered with the logger's masking (core/log.h) and never
 * appear in an error message: errors name the file, the line and the key.
 */
#ifndef QF_MARKET_SECRETS_H
#define QF_MARKET_SECRETS_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"

#define QF_SECRETS_FILE_MAX 65536 /* bytes; a larger file is refused */

/* The keys a secrets file holds ("" when absent). */
typedef struct qf_secrets {
    char binance_key[QF_CONFIG_STR_MAX];
    char binance_secret[QF_CONFIG_STR_MAX];
    char coinbase_key[QF_CONFIG_STR_MAX];
    char coinbase_secret[QF_CONFIG_STR_MAX];
} qf_secrets;

/* Reads and checks one secrets file (permissions, format). *out is filled
 * only on success (names absent from the file are empty strings); it holds
 * secrets: wipe it with qf_secrets_wipe. */
QF_NODISCARD qf_rc qf_secrets_read(const char *path, qf_secrets *out, qf_err *err);

/* Overwrites *s with zeros (not optimised away). */
void qf_secrets_wipe(qf_secrets *s);

/* The secrets file in effect: $QF_SECRETS_FILE, else the XDG default. Writes
 * "" when neither applies ($HOME unset). *out_explicit says whether the
 * user named it (then it must exist). */
QF_NODISCARD qf_rc qf_secrets_path(char *out, size_t size, int *out_explicit, qf_err *err);

/* Fills the empty api_key / api_secret fields of cfg->exchanges from the
 * secrets file in effect (none: nothing to do, QF_OK) and registers every
 * key of cfg with the logger's masking. On failure cfg is unchanged. */
QF_NODISCARD qf_rc qf_secrets_apply(qf_config *cfg, qf_err *err);

#endif
