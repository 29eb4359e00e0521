/*
 * registry_int.h - private helpers of the model registry: SHA-256 (used to
 * fingerprint the files of a saved model so a changed or corrupt file is
 * caught on load even when it still parses), and the metadata reader and
 * file names registry.c shares with registry_meta.c.
 */
#ifndef QF_MODEL_REGISTRY_INT_H
#define QF_MODEL_REGISTRY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "model/registry.h"

#define QF_SHA256_HEX 65 /* 64 hex digits and a NUL */

/* The SHA-256 (FIPS 180-4) of len bytes, as 64 lowercase hex digits. */
void qf_sha256_hex(const void *data, size_t len, char out[QF_SHA256_HEX]);

/* Reads metadata JSON j (from `file`, named in messages) into *out: every
 * key but "files" checked (QF_EPARSE naming the key, QF_EVERSION for another
 * format version). *out (initialised) is replaced only on success. */
QF_NODISCARD qf_rc qf_registry_meta_from_json(json_t *j, const char *file, qf_model_meta *out,
                                              qf_err *err);

/* The file name of part `part` (0: classifier.json, k: q<100 alpha>.json). */
void qf_registry_part_file(const qf_model_meta *m, size_t part, char *out, size_t size);

#endif
