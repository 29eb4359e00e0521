/*
 * registry.h - trained models on disk (one directory each) and in the
 * store's model_artifacts index.
 *
 * Layout of <root>/<model_id>/ (root: model.registry_dir, var/models):
 *   metadata.json    what the model is (below)
 *   classifier.json  the XGBoost classifier, XGBoost's own JSON
 *   q10.json ...     one XGBoost regressor per quantile, named by 100 alpha
 *                    (q10 q25 q50 q75 q90; 0.025 would be q2.5)
 *
 * metadata.json (format "quantflow-model", format_version 1): model_id,
 * kind ("gbdt"), created_at (ISO and ms), the XGBoost version, feature_set
 * (name, version, feature names in input order, the normalisation the
 * inputs had), data (exchange, symbol, timeframe, first and last open_time
 * trained on), rows (what qf_gbdt_rows counted: used, NaN rows skipped,
 * unlabeled, classes), quantiles, config (the model, labeling and
 * walk-forward parameters used, as the caller gives them), metrics (the
 * cross-validated scores, or null), and files: each model file with its
 * part, alpha, size and SHA-256.
 *
 * Model ids read <BASE><QUOTE>-<timeframe>-<YYYYmmddTHHMMSS>-<hash6>, e.g.
 * BTCUSDT-4h-20260107T120000-3fa91c: the series, the UTC creation time to
 * the second, and the first 6 hex digits of a SHA-256 over the exchange,
 * series, data range, creation time in ms and the model files' hashes.
 * Readable, sortable by time within a series, and distinct for models
 * saved in the same second unless they are the same model.
 *
 * Saving is atomic: every file is written (and fsync'ed) into a hidden
 * temporary directory beside the final one, which is then renamed into
 * place; the store row is written last and, should that fail, the directory
 * is removed again. A failed save leaves neither a directory nor a row.
 * Loading checks the metadata, each file's size and SHA-256, that XGBoost
 * accepts each file as the part it must be, and that the feature set is
 * the one the caller computes; any mismatch is a clear error naming the
 * file or the difference.
 */
#ifndef QF_MODEL_REGISTRY_H
#define QF_MODEL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/types.h"
#include "features/featureset.h"
#include "model/gbdt.h"
#include "store/store.h"

#define QF_MODEL_ID_MAX     QF_STORE_MODEL_ID_MAX
#define QF_MODEL_NAME_MAX   32 /* feature set and feature names, normalisation method */
#define QF_MODEL_FORMAT     "quantflow-model"
#define QF_MODEL_FORMAT_VER 1
#define QF_MODEL_KIND       "gbdt"
#define QF_MODEL_META_FILE  "metadata.json"
#define QF_MODEL_FILE_MAX   (512L * 1024 * 1024) /* larger model files are refused */

/* What a saved model is: metadata.json in a struct. */
typedef struct qf_model_meta {
    char model_id[QF_MODEL_ID_MAX]; /* "" until saved (qf_registry_save fills it) */
    int64_t created_at;             /* UTC ms; 0 until saved */
    char feature_set[QF_MODEL_NAME_MAX];
    int feature_set_version;
    size_t n_features;
    char feature_names[QF_GBDT_FEATURES_MAX][QF_MODEL_NAME_MAX]; /* input order */
    char normalization[QF_MODEL_NAME_MAX]; /* "rolling_zscore" or "none": what the inputs were */
    int norm_window;                       /* rolling_zscore window, bars (0 for none) */
    int norm_shift;                        /* rolling_zscore shift, bars */
    qf_series_key series;                  /* exchange, symbol, timeframe trained on */
    int64_t first_open_time;               /* first bar of the training data, UTC ms */
    int64_t last_open_time;                /* last bar */
    qf_gbdt_rows rows;                     /* what became of the rows */
    size_t n_quantiles;                    /* as the model predicts them */
    double quantiles[QF_GBDT_QUANTILES_MAX];
    char xgboost_version[16]; /* of the library that trained it, "1.7.4" */
    json_t *config;           /* owned, may be NULL: parameters used (model, labeling, ...) */
    json_t *metrics;          /* owned, may be NULL: cross-validated scores */
} qf_model_meta;

/* Empty metadata; cannot fail. */
void qf_model_meta_init(qf_model_meta *m);
/* Releases config and metrics and empties m; NULL does nothing. */
void qf_model_meta_cleanup(qf_model_meta *m);

/* Copies a feature set's name, version and feature names into m.
 * QF_EINVAL when it has more than QF_GBDT_FEATURES_MAX features or a name
 * does not fit. */
QF_NODISCARD qf_rc qf_model_meta_set_features(qf_model_meta *m, const qf_feature_set_info *fs,
                                              qf_err *err);

/* QF_EINVAL unless id is 1..QF_MODEL_ID_MAX-1 characters of A-Z a-z 0-9
 * . _ - not starting with '.' (so it is one safe directory name). */
QF_NODISCARD qf_rc qf_registry_check_id(const char *id, qf_err *err);

/* The metadata as metadata.json holds it, without "files". NULL on
 * out-of-memory. */
json_t *qf_model_meta_to_json(const qf_model_meta *m);

/* Saves model with meta under root/<id>/ (root and its parents are created)
 * and, when store is not NULL, records it in model_artifacts (path: the
 * directory's absolute path, sha256: that of metadata.json). meta's
 * model_id and created_at are filled when empty (now, and the id as
 * above); the rest must describe the model: n_features and the quantiles
 * must equal the model's, the series must be valid. An id already present
 * in root is QF_EEXIST. On failure nothing is left behind (see above) and
 * meta is unchanged. out_dir (may be NULL, size out_size) gets the
 * directory. */
QF_NODISCARD qf_rc qf_registry_save(const char *root, qf_gbdt *model, qf_model_meta *meta,
                                    qf_store *store, char *out_dir, size_t out_size, qf_err *err);

/* Reads and checks root/<id>/metadata.json into *out_meta (initialised by
 * the caller; its old config and metrics are released). QF_ENOTFOUND when
 * there is no such model, QF_EPARSE naming the file for malformed or
 * incomplete metadata. *out_meta is unchanged on failure. */
QF_NODISCARD qf_rc qf_registry_read_meta(const char *root, const char *id, qf_model_meta *out_meta,
                                         qf_err *err);

/* Loads model id: its metadata (into out_meta, may be NULL) and every model
 * file, checked as described above. With expect not NULL, a model whose
 * feature set name, version or feature names differ from expect's is
 * refused (QF_EVERSION for another version, QF_EINVAL otherwise), naming
 * both. Predictions use n_threads (0: one per core). *out_model is set only
 * on success. */
QF_NODISCARD qf_rc qf_registry_load(const char *root, const char *id,
                                    const qf_feature_set_info *expect, int n_threads,
                                    qf_gbdt **out_model, qf_model_meta *out_meta, qf_err *err);

#endif
