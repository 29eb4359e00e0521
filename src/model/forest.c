/*
 * forest.c - XGBoost 1.7 JSON models compiled into flat arrays and
 * predicted without the library (see forest.h).
 *
 * What XGBoost 1.7.4 does, and so what the forest does (checked against
 * the library, see tests/unit/model/test_forest.c):
 *   - RegTree nodes: a leaf has left_children == -1 and its value in
 *     split_conditions (base_weights is the node weight before the learning
 *     rate and is not used for prediction). A split compares the feature as
 *     float, `fvalue < split_condition` going left; a missing feature goes
 *     to right_children or left_children by default_left. A present feature
 *     that does not go left goes to left_children + 1, whatever
 *     right_children says (predict_fn.h GetNextNode), so the forest refuses
 *     a tree whose right child is not its left child + 1 instead of
 *     guessing which of the two XGBoost would have meant.
 *   - The prediction buffer starts at base_score (its margin, which is the
 *     same number for every objective accepted here) and each tree adds its
 *     leaf value to the group tree_info names, tree by tree, in float
 *     (cpu_predictor PredictByAllTrees: out_preds[row, gid] += leaf).
 *   - multi:softprob applies common::Softmax (math.h): the max by fmaxf,
 *     expf of each margin minus it, their sum in double, each divided by
 *     the sum rounded to float.
 *   - Trees are placed by their "id" (GBTreeModel::LoadModel), which the
 *     forest requires to be their position.
 *
 * Order. Only the order of the trees within an output group matters to the
 * sums, so the forest deals its trees out round-robin over the groups of
 * all its parts (group 0's first tree, group 1's first, ..., group 0's
 * second, ...). Each group's sum is a chain of dependent float adds; dealt
 * out this way the chains of the groups interleave and the CPU runs them
 * side by side, where one model after another would leave it waiting on
 * one chain at a time. The kernels find the leaf of each tree in that
 * order, CHUNK trees at a time, and the sums take the leaves in order.
 * When every group has as many trees (gbdt.c's models: one tree per class
 * or quantile per round) and there are at most PERIOD_MAX groups, the deal
 * repeats every n_groups trees: a chunk then holds whole rounds (up to
 * CHUNK - 1 padding lanes) and the sums stay in registers.
 *
 * The scalar kernel walks BLOCK trees in lockstep: their loads are
 * independent, so the CPU overlaps them. Each tree's reachable nodes are
 * stored breadth first, one 64-bit word a node (see `node`); a leaf points
 * to itself and reads a row slot below every threshold, so a walker that
 * reached it stays, and a block walks as many steps as its deepest tree
 * with no test for leaves.
 *
 * The AVX-512 kernel (x86-64 with AVX-512 F, BW and VBMI; trees of at most
 * LV_DEPTH levels, at most 64 features of at most 255 distinct thresholds
 * each) walks the CHUNK = 64 trees of a chunk level by level, one tree a
 * byte lane. Thresholds become ranks: the row's value of feature f becomes
 * its bin, the number of f's thresholds at or below it (one binary search
 * per feature and row), and `x < threshold` holds exactly when bin <= the
 * threshold's rank. Each tree is padded to a complete tree of the chunk's
 * depth (a leaf above the bottom continues as splits that always go left),
 * so the node a tree reaches at level L is row `path` of the level's 2^L
 * rows of 64 bytes (one byte a tree). A tree of blends driven by the
 * decisions taken so far picks each lane's feature and rank bytes, a byte
 * permute looks up the bins, and one compare decides 64 trees.
 *
 * Two vector designs lost to it on the Zen 5 this was written on: walking
 * with gathers (an 8-lane gather costs what 8 scalar loads do there), and
 * QuickScorer across 16 trees (one compare and mask per split of every
 * tree: ~30 per tree, where the level walk spends ~3 vector operations a
 * tree).
 *
 * Building reads each JSON part twice through jansson's tree: the first
 * pass checks every tree and counts, the second writes into one block
 * allocated in between (the AVX-512 kernel's arrays, when built, are a
 * second block).
 */
#include "model/forest.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX512 1
#else
#define HAVE_AVX512 0
#endif

#define BLOCK      16     /* trees the scalar kernel walks in lockstep */
#define CHUNK      64     /* trees the kernels take at a time (the AVX-512 kernel's lanes) */
#define LV_DEPTH   7      /* AVX-512 kernel: most levels of splits */
#define LV_FEAT    64     /* AVX-512 kernel: most features (one register of bins) */
#define LV_THR     256    /* AVX-512 kernel: thresholds a feature may have, + 1 NaN */
#define FEAT_MASK  0xffu  /* node bits 0-7: the feature */
#define DLEFT_BIT  0x100u /* node bit 8: a missing value goes left */
#define DIST_SHIFT 9      /* node bits 9-31: the distance to the left child */
#define DIST_MASK  0x7fffffu
#define LV_DLEFT   0x80u /* AVX-512 kernel feature byte: a missing value goes left */
#define PERIOD_MAX 8     /* most groups whose sums margins keeps in registers */

/* One node of the scalar kernel. Bits 0-7: the feature; bit 8: a missing
 * value goes left; bits 9-31: the distance to the left child in nodes (0:
 * a leaf; the right child follows the left one); bits 32-63: the key
 * (below) of the threshold or of the leaf value. */
typedef uint64_t node;

/* Float bits mapped to a signed 32-bit key ordered as the floats are
 * (negative floats have their magnitude bits flipped); the map is its own
 * inverse. Only -0.0 and +0.0, equal as floats, get different keys, so
 * thresholds and row values are made +0.0 first (leaf values are not
 * compared and keep their sign). */
static uint32_t float_key(float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits ^ ((0u - (bits >> 31)) >> 1);
}

static float key_float(uint32_t key)
{
    uint32_t bits = key ^ ((0u - (key >> 31)) >> 1);
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static node make_node(uint32_t key, uint32_t meta)
{
    return (uint64_t)key << 32 | meta;
}

static float node_value(node q)
{
    return key_float((uint32_t)(q >> 32));
}

static size_t node_dist(node q)
{
    return q >> DIST_SHIFT & DIST_MASK;
}

/* A row value as compared with nodes: its key in the high half and ones
 * below, so `value >= node` (as int64_t) holds exactly when the value is
 * not below the node's threshold: the high halves decide unless equal, and
 * equal means not below. */
static int64_t row_word(uint32_t key)
{
    return (int64_t)((uint64_t)key << 32 | 0xffffffffu);
}

/* One model's outputs within the forest's. */
typedef struct part_out {
    uint32_t first;  /* its first group */
    uint32_t groups; /* how many */
    int softmax;     /* multi:softprob: softmax over them */
} part_out;

/* The AVX-512 kernel's arrays (a block of its own). */
typedef struct lv_data {
    const float *thr;      /* n_features * LV_THR: each feature's thresholds ascending, NaN after */
    const uint32_t *row0;  /* per chunk: its first 64-byte row in rows */
    const uint32_t *leaf0; /* per chunk: its first value in leaf */
    const uint8_t *depth;  /* per chunk: its levels of splits */
    const uint8_t *rows;   /* per chunk and level L: 2^L feature rows, then 2^L rank rows */
    const float *leaf;     /* per chunk: tree t's 2^depth leaves at t << depth */
} lv_data;

enum { KERNEL_SCALAR = 1, KERNEL_AVX512 = 2 }; /* = the qf_forest_kernel values */

struct qf_forest {
    size_t n_features;     /* input columns */
    size_t n_groups;       /* outputs per row, all parts' */
    size_t n_parts;        /* models */
    size_t n_trees;        /* trees of all models */
    size_t per_chunk;      /* trees a chunk holds (CHUNK, or whole rounds of `period`) */
    size_t n_chunks;       /* ceil(n_trees / per_chunk) */
    size_t period;         /* every group has as many trees: the deal repeats every n_groups
                              trees; 0 otherwise */
    int kernel;            /* KERNEL_SCALAR or KERNEL_AVX512 */
    const part_out *parts; /* n_parts */
    const float *base;     /* n_groups: each group's starting margin (its model's base_score) */
    const uint32_t *group; /* n_trees, in the dealt order: the group each adds to */
    /* scalar kernel */
    const node *nodes;     /* node 0: a padding leaf; then each tree, breadth first */
    const uint32_t *root;  /* n_chunks * CHUNK: chunk c's trees (per_chunk of the dealt order,
                              then padding: 0) */
    const uint32_t *depth; /* per BLOCK of trees: steps that bring each to a leaf */
    /* AVX-512 kernel */
    lv_data lv;              /* all NULL when not built */
    void *lv_mem;            /* its block */
    void (*free_fn)(void *); /* jansson's free when the forest was allocated */
};

/* ---- JSON access -------------------------------------------------------- */

/* obj[key] of the given type, or QF_EPARSE naming path.key. */
static qf_rc member(const json_t *obj, const char *path, const char *key, json_type type,
                    json_t **out, qf_err *err)
{
    static const char *const names[] = {"an object", "an array", "a string", "an integer",
                                        "a number",  "true",     "false",    "null"};
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return qf_err_set(err, QF_EPARSE, "%s.%s is missing", path, key);
    int ok = json_typeof(v) == type || (type == JSON_REAL && json_is_number(v));
    if (!ok)
        return qf_err_set(err, QF_EPARSE, "%s.%s is not %s", path, key, names[type]);
    *out = v;
    return QF_OK;
}

/* A decimal count written as a JSON string ("10"), within 0..max. */
static qf_rc string_count(const json_t *obj, const char *path, const char *key, long long max,
                          size_t *out, qf_err *err)
{
    json_t *v = NULL;
    qf_rc rc = member(obj, path, key, JSON_STRING, &v, err);
    if (rc != QF_OK)
        return rc;
    const char *s = json_string_value(v);
    char *end = NULL;
    long long n = strtoll(s, &end, 10);
    /* Digits only (strtoll also takes a sign and spaces, XGBoost may not). */
    if (s[0] < '0' || s[0] > '9' || end == s || *end != '\0' || n < 0 || n > max)
        return qf_err_set(err, QF_EPARSE, "%s.%s is \"%.40s\", not a count in 0..%lld", path, key,
                          s, max);
    *out = (size_t)n;
    return QF_OK;
}

/* ---- the learner: version, parameters, objective, booster -------------- */

/* What the learner says about the whole model. */
typedef struct model_json {
    json_t *doc;            /* the parsed text, owned */
    size_t softmax_classes; /* the objective's num_class; SIZE_MAX when not given */
    size_t n_features;
    size_t n_groups;
    size_t n_trees;
    int softmax;
    float base_score;
    json_t *trees;     /* gradient_booster.model.trees */
    json_t *tree_info; /* gradient_booster.model.tree_info */
} model_json;

/* Only 1.7.x: the prediction rules above were checked against 1.7.4; other
 * versions' predictors and JSON may differ (2.0 estimates base_score, 2.1
 * has vector leaves). */
static qf_rc read_version(const json_t *doc, qf_err *err)
{
    json_t *v = NULL;
    qf_rc rc = member(doc, "model", "version", JSON_ARRAY, &v, err);
    if (rc != QF_OK)
        return rc;
    json_int_t part[3] = {-1, -1, -1};
    for (size_t i = 0; i < 3 && i < json_array_size(v); i++)
        if (json_is_integer(json_array_get(v, i)))
            part[i] = json_integer_value(json_array_get(v, i));
    if (json_array_size(v) != 3 || part[0] < 0 || part[1] < 0 || part[2] < 0)
        return qf_err_set(err, QF_EPARSE, "version is not [major, minor, patch]");
    if (part[0] != 1 || part[1] != 7)
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "an XGBoost %lld.%lld.%lld model; only 1.7.x models are "
                          "supported",
                          (long long)part[0], (long long)part[1], (long long)part[2]);
    return QF_OK;
}

/* Objectives whose prediction is the margin itself and whose base_score
 * is its own margin (ProbToMargin is the identity). */
static const char *const identity_objectives[] = {"reg:squarederror", "reg:squaredlogerror",
                                                  "reg:pseudohubererror", "reg:absoluteerror"};

static qf_rc read_objective(const json_t *learner, model_json *m, qf_err *err)
{
    json_t *obj = NULL, *name = NULL;
    qf_rc rc = member(learner, "learner", "objective", JSON_OBJECT, &obj, err);
    if (rc == QF_OK)
        rc = member(obj, "learner.objective", "name", JSON_STRING, &name, err);
    if (rc != QF_OK)
        return rc;
    const char *s = json_string_value(name);
    m->softmax = strcmp(s, "multi:softprob") == 0;
    int known = m->softmax;
    for (size_t i = 0; i < sizeof identity_objectives / sizeof *identity_objectives; i++)
        known |= strcmp(s, identity_objectives[i]) == 0;
    if (!known)
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "objective \"%.60s\" is not supported (multi:softprob or a "
                          "reg: objective with an identity link)",
                          s);
    /* XGBoost's softmax reshapes by the objective's own num_class. */
    json_t *param = json_object_get(obj, "softmax_multiclass_param");
    if (m->softmax && param != NULL)
        return string_count(param, "learner.objective.softmax_multiclass_param", "num_class", 65535,
                            &m->softmax_classes, err);
    return QF_OK;
}

/* Digits of the mantissa of decimal s from its first non-zero digit on
 * (trailing zeros count). */
static size_t mantissa_digits(const char *s)
{
    size_t n = 0;
    int leading = 1;
    for (; *s != '\0' && *s != 'e' && *s != 'E'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        leading &= *s == '0';
        n += !leading;
    }
    return n;
}

/* base_score: a finite decimal as XGBoost writes it ("-8.758871E-1").
 * strtof would also take hex, inf, nan and spaces; and XGBoost 1.7 reads a
 * mantissa of more than 9 digits as its default 0.5 without a word, so
 * such a model is refused rather than predicted as XGBoost would not. */
static qf_rc read_base_score(const json_t *bs, model_json *m, qf_err *err)
{
    const char *s = json_string_value(bs);
    char *end = NULL;
    m->base_score = strtof(s, &end);
    if (s[strspn(s, "0123456789+-.eE")] != '\0' || end == s || *end != '\0' ||
        !isfinite(m->base_score))
        return qf_err_set(err, QF_EPARSE, "base_score \"%.40s\" is not a finite decimal", s);
    if (mantissa_digits(s) > 9)
        return qf_err_set(err, QF_EPARSE,
                          "base_score \"%.40s\" has more than 9 significant digits (XGBoost 1.7 "
                          "would read it as 0.5)",
                          s);
    return QF_OK;
}

/* learner_model_param: num_feature, num_class, num_target, base_score. */
static qf_rc read_params(const json_t *learner, model_json *m, qf_err *err)
{
    const char *path = "learner.learner_model_param";
    json_t *p = NULL, *bs = NULL;
    size_t n_class = 0, n_target = 1;
    qf_rc rc = member(learner, "learner", "learner_model_param", JSON_OBJECT, &p, err);
    if (rc == QF_OK)
        rc = string_count(p, path, "num_feature", INT_MAX, &m->n_features, err);
    if (rc == QF_OK)
        rc = string_count(p, path, "num_class", 65535, &n_class, err);
    if (rc == QF_OK && json_object_get(p, "num_target") != NULL)
        rc = string_count(p, path, "num_target", 65535, &n_target, err);
    if (rc == QF_OK)
        rc = member(p, path, "base_score", JSON_STRING, &bs, err);
    if (rc != QF_OK)
        return rc;
    if (m->n_features == 0)
        return qf_err_set(err, QF_EPARSE, "the model takes no features");
    if (m->n_features > QF_FOREST_FEATURES_MAX)
        return qf_err_set(err, QF_EUNSUPPORTED, "a model of %zu features; at most %d supported",
                          m->n_features, QF_FOREST_FEATURES_MAX);
    if (n_target != 1)
        return qf_err_set(err, QF_EUNSUPPORTED, "a model of %zu targets; only one is supported",
                          n_target);
    if (m->softmax && n_class < 1)
        return qf_err_set(err, QF_EPARSE, "multi:softprob with num_class 0");
    if (m->softmax && m->softmax_classes != SIZE_MAX && m->softmax_classes != n_class)
        return qf_err_set(err, QF_EPARSE, "num_class %zu, but the objective's is %zu", n_class,
                          m->softmax_classes);
    if (!m->softmax && n_class > 1)
        return qf_err_set(err, QF_EUNSUPPORTED, "num_class %zu with a regression objective",
                          n_class);
    m->n_groups = m->softmax ? n_class : 1;
    return read_base_score(bs, m, err);
}

/* gradient_booster: a gbtree with as many trees as tree_info entries and
 * num_trees says. */
static qf_rc read_booster(const json_t *learner, model_json *m, qf_err *err)
{
    json_t *gb = NULL, *name = NULL, *model = NULL, *param = NULL;
    qf_rc rc = member(learner, "learner", "gradient_booster", JSON_OBJECT, &gb, err);
    if (rc == QF_OK)
        rc = member(gb, "learner.gradient_booster", "name", JSON_STRING, &name, err);
    if (rc != QF_OK)
        return rc;
    if (strcmp(json_string_value(name), "gbtree") != 0)
        return qf_err_set(err, QF_EUNSUPPORTED, "booster \"%.40s\" is not supported (only gbtree)",
                          json_string_value(name));
    const char *path = "learner.gradient_booster.model";
    size_t n_trees = 0;
    rc = member(gb, "learner.gradient_booster", "model", JSON_OBJECT, &model, err);
    if (rc == QF_OK)
        rc = member(model, path, "trees", JSON_ARRAY, &m->trees, err);
    if (rc == QF_OK)
        rc = member(model, path, "tree_info", JSON_ARRAY, &m->tree_info, err);
    if (rc == QF_OK)
        rc = member(model, path, "gbtree_model_param", JSON_OBJECT, &param, err);
    if (rc == QF_OK)
        rc = string_count(param, "learner.gradient_booster.model.gbtree_model_param", "num_trees",
                          INT_MAX, &n_trees, err);
    if (rc != QF_OK)
        return rc;
    m->n_trees = json_array_size(m->trees);
    if (n_trees != m->n_trees || json_array_size(m->tree_info) != m->n_trees)
        return qf_err_set(err, QF_EPARSE,
                          "num_trees %zu, %zu trees and %zu tree_info entries disagree", n_trees,
                          m->n_trees, json_array_size(m->tree_info));
    return QF_OK;
}

static qf_rc read_model(const json_t *doc, model_json *m, qf_err *err)
{
    m->softmax_classes = SIZE_MAX;
    json_t *learner = NULL;
    qf_rc rc = json_is_object(doc) ? QF_OK : qf_err_set(err, QF_EPARSE, "not an XGBoost model");
    if (rc == QF_OK)
        rc = read_version(doc, err);
    if (rc == QF_OK)
        rc = member(doc, "model", "learner", JSON_OBJECT, &learner, err);
    if (rc == QF_OK)
        rc = read_objective(learner, m, err);
    if (rc == QF_OK)
        rc = read_params(learner, m, err);
    if (rc == QF_OK)
        rc = read_booster(learner, m, err);
    return rc;
}

/* ---- one tree ----------------------------------------------------------- */

/* The arrays of one tree, each of n entries (node ids index them). */
typedef struct tree_json {
    size_t k; /* position in trees[] */
    size_t n; /* nodes, reachable or not */
    json_t *left, *right, *feature, *cond, *dleft;
    json_t *stype; /* split_type, may be NULL */
} tree_json;

static qf_rc tree_array(const json_t *t, size_t k, const char *key, json_t **out, qf_err *err)
{
    char path[32];
    snprintf(path, sizeof path, "trees[%zu]", k);
    return member(t, path, key, JSON_ARRAY, out, err);
}

/* Tree t's node arrays into *tj. */
static qf_rc tree_arrays(const json_t *t, size_t k, tree_json *tj, qf_err *err)
{
    qf_rc rc = tree_array(t, k, "left_children", &tj->left, err);
    if (rc == QF_OK)
        rc = tree_array(t, k, "right_children", &tj->right, err);
    if (rc == QF_OK)
        rc = tree_array(t, k, "split_indices", &tj->feature, err);
    if (rc == QF_OK)
        rc = tree_array(t, k, "split_conditions", &tj->cond, err);
    if (rc == QF_OK)
        rc = tree_array(t, k, "default_left", &tj->dleft, err);
    tj->stype = json_object_get(t, "split_type");
    tj->n = json_array_size(tj->left);
    return rc;
}

/* The arrays all have num_nodes entries (XGBoost sizes the tree by it). */
static qf_rc tree_lengths(const json_t *t, const tree_json *tj, qf_err *err)
{
    size_t n = tj->n, nodes = n;
    json_t *param = json_object_get(t, "tree_param");
    if (param != NULL) {
        char path[48];
        snprintf(path, sizeof path, "trees[%zu].tree_param", tj->k);
        qf_rc rc = string_count(param, path, "num_nodes", INT_MAX, &nodes, err);
        if (rc != QF_OK)
            return rc;
    }
    if (n == 0 || nodes != n || json_array_size(tj->right) != n ||
        json_array_size(tj->feature) != n || json_array_size(tj->cond) != n ||
        json_array_size(tj->dleft) != n || (tj->stype != NULL && json_array_size(tj->stype) != n))
        return qf_err_set(err, QF_EPARSE,
                          "trees[%zu]: num_nodes and the node arrays have different lengths (or 0)",
                          tj->k);
    return QF_OK;
}

/* Checks tree k's shape (id, arrays and their lengths, no categories) into
 * *out. */
static qf_rc read_tree(const json_t *trees, size_t k, tree_json *out, qf_err *err)
{
    json_t *t = json_array_get(trees, k);
    if (!json_is_object(t))
        return qf_err_set(err, QF_EPARSE, "trees[%zu] is not an object", k);
    json_t *id = json_object_get(t, "id");
    if (!json_is_integer(id) || json_integer_value(id) != (json_int_t)k)
        return qf_err_set(err, QF_EPARSE, "trees[%zu] does not have id %zu", k, k);
    if (json_array_size(json_object_get(t, "categories_nodes")) > 0)
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "trees[%zu] has categorical splits; only numerical splits "
                          "are supported",
                          k);
    tree_json tj = {.k = k};
    qf_rc rc = tree_arrays(t, k, &tj, err);
    if (rc == QF_OK)
        rc = tree_lengths(t, &tj, err);
    if (rc == QF_OK)
        *out = tj;
    return rc;
}

/* Integer entry i of arr, or QF_EPARSE naming tree k's field. */
static qf_rc node_int(const tree_json *t, const json_t *arr, const char *field, size_t i,
                      json_int_t *out, qf_err *err)
{
    json_t *v = json_array_get(arr, i);
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return QF_OK;
    }
    if (json_is_boolean(v)) { /* default_left may be written as true/false */
        *out = json_is_true(v);
        return QF_OK;
    }
    return qf_err_set(err, QF_EPARSE, "trees[%zu].%s[%zu] is not an integer", t->k, field, i);
}

static qf_rc node_float(const tree_json *t, size_t i, float *out, qf_err *err)
{
    json_t *v = json_array_get(t->cond, i);
    if (!json_is_number(v))
        return qf_err_set(err, QF_EPARSE, "trees[%zu].split_conditions[%zu] is not a number", t->k,
                          i);
    *out = (float)json_number_value(v);
    return QF_OK;
}

/* Scratch of a breadth-first walk, sized for the largest tree so far. */
typedef struct walk {
    uint32_t *queue; /* node ids in breadth-first order */
    uint8_t *seen;   /* per node id: already queued */
    size_t cap;
} walk;

/* A leaf: its value, feature slot n_features (the lowest row word, below
 * every key of a finite value: the walk stays), distance 0. */
static node leaf_node(float value, size_t n_features)
{
    return make_node(float_key(value), (uint32_t)n_features);
}

/* Leaf u of tree t at breadth-first position pos. */
static qf_rc visit_leaf(const tree_json *t, size_t u, size_t n_features, node *out, qf_err *err)
{
    json_int_t right = 0;
    float value = 0.0f;
    qf_rc rc = node_int(t, t->right, "right_children", u, &right, err);
    if (rc == QF_OK && right != -1)
        rc = qf_err_set(err, QF_EPARSE, "trees[%zu] node %zu: a leaf with a right child", t->k, u);
    if (rc == QF_OK)
        rc = node_float(t, u, &value, err);
    if (rc == QF_OK && !isfinite(value))
        rc = qf_err_set(err, QF_EPARSE, "trees[%zu] node %zu: leaf value out of float range", t->k,
                        u);
    if (rc == QF_OK && out != NULL)
        *out = leaf_node(value, n_features);
    return rc;
}

/* The fields of split u other than its children. */
static qf_rc split_fields(const tree_json *t, size_t u, size_t n_features, json_int_t *out_feature,
                          json_int_t *out_dleft, float *out_thr, qf_err *err)
{
    json_int_t type = 0;
    qf_rc rc = node_int(t, t->feature, "split_indices", u, out_feature, err);
    if (rc == QF_OK)
        rc = node_int(t, t->dleft, "default_left", u, out_dleft, err);
    if (rc == QF_OK && t->stype != NULL)
        rc = node_int(t, t->stype, "split_type", u, &type, err);
    if (rc == QF_OK)
        rc = node_float(t, u, out_thr, err);
    if (rc != QF_OK)
        return rc;
    if (type != 0)
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "trees[%zu] node %zu: a categorical split is not supported", t->k, u);
    if (*out_feature < 0 || (size_t)*out_feature >= n_features)
        return qf_err_set(err, QF_EPARSE, "trees[%zu] node %zu: feature %lld outside 0..%zu", t->k,
                          u, (long long)*out_feature, n_features - 1);
    if (*out_dleft != 0 && *out_dleft != 1)
        return qf_err_set(err, QF_EPARSE, "trees[%zu] node %zu: default_left is %lld", t->k, u,
                          (long long)*out_dleft);
    return QF_OK;
}

/* Split u at breadth-first position pos whose children go to positions
 * tail and tail + 1: checks the children and queues them. */
static qf_rc visit_split(const tree_json *t, size_t u, json_int_t left, size_t pos, size_t tail,
                         size_t n_features, walk *w, node *out, qf_err *err)
{
    json_int_t right = 0, feature = 0, dleft = 0;
    float thr = 0.0f;
    qf_rc rc = node_int(t, t->right, "right_children", u, &right, err);
    if (rc == QF_OK)
        rc = split_fields(t, u, n_features, &feature, &dleft, &thr, err);
    if (rc != QF_OK)
        return rc;
    if (left < 1 || (size_t)left >= t->n - 1)
        return qf_err_set(err, QF_EPARSE,
                          "trees[%zu] node %zu: left child %lld of a tree of %zu nodes", t->k, u,
                          (long long)left, t->n);
    if (right != left + 1)
        return qf_err_set(err, QF_EPARSE,
                          "trees[%zu] node %zu: right child %lld is not left child %lld "
                          "+ 1, which XGBoost's predictor assumes",
                          t->k, u, (long long)right, (long long)left);
    if (w->seen[left] || w->seen[right])
        return qf_err_set(err, QF_EPARSE, "trees[%zu] node %lld is reached twice", t->k,
                          (long long)(w->seen[left] ? left : right));
    if (tail + 2 > QF_FOREST_TREE_NODES_MAX)
        return qf_err_set(err, QF_EUNSUPPORTED, "trees[%zu] has more than %u nodes", t->k,
                          QF_FOREST_TREE_NODES_MAX);
    w->seen[left] = w->seen[right] = 1;
    w->queue[tail] = (uint32_t)left;
    w->queue[tail + 1] = (uint32_t)right;
    if (out != NULL) {
        uint32_t meta = (uint32_t)feature | (dleft ? DLEFT_BIT : 0u);
        meta |= (uint32_t)(tail - pos) << DIST_SHIFT;
        out[pos] = make_node(float_key(thr + 0.0f), meta); /* + 0.0f: -0.0 becomes +0.0 */
    }
    return QF_OK;
}

/* Walks tree t breadth first from its root, checking every node reached;
 * out (may be NULL) receives them in that order. *out_count gets the nodes
 * reached, *out_depth the steps from the root to the deepest leaf. */
static qf_rc walk_tree(const tree_json *t, size_t n_features, walk *w, node *out, size_t *out_count,
                       uint32_t *out_depth, qf_err *err)
{
    memset(w->seen, 0, t->n);
    w->queue[0] = 0;
    w->seen[0] = 1;
    size_t tail = 1, level_end = 1;
    uint32_t depth = 0;
    for (size_t pos = 0; pos < tail; pos++) {
        if (pos == level_end) {
            depth++;
            level_end = tail;
        }
        size_t u = w->queue[pos];
        json_int_t left = 0;
        qf_rc rc = node_int(t, t->left, "left_children", u, &left, err);
        if (rc == QF_OK && left == -1)
            rc = visit_leaf(t, u, n_features, out != NULL ? out + pos : NULL, err);
        else if (rc == QF_OK) {
            rc = visit_split(t, u, left, pos, tail, n_features, w, out, err);
            tail += 2;
        }
        if (rc != QF_OK)
            return rc;
    }
    *out_count = tail;
    *out_depth = depth;
    return QF_OK;
}

/* Grows w to hold n nodes with jansson's allocator. */
static qf_rc walk_reserve(walk *w, size_t n, qf_err *err)
{
    if (n <= w->cap)
        return QF_OK;
    json_malloc_t alloc = NULL;
    json_free_t dealloc = NULL;
    json_get_alloc_funcs(&alloc, &dealloc);
    uint32_t *q = n <= SIZE_MAX / sizeof *q ? alloc(n * sizeof *q) : NULL;
    uint8_t *s = alloc(n);
    if (q == NULL || s == NULL) {
        dealloc(q);
        dealloc(s);
        return qf_err_set(err, QF_ENOMEM, "out of memory for a tree of %zu nodes", n);
    }
    dealloc(w->queue);
    dealloc(w->seen);
    w->queue = q;
    w->seen = s;
    w->cap = n;
    return QF_OK;
}

static void walk_free(walk *w)
{
    json_malloc_t alloc = NULL;
    json_free_t dealloc = NULL;
    json_get_alloc_funcs(&alloc, &dealloc);
    dealloc(w->queue);
    dealloc(w->seen);
}

/* ---- building ----------------------------------------------------------- */

/* Group of tree k of m from tree_info (within m's groups). */
static qf_rc tree_group(const model_json *m, size_t k, uint32_t *out, qf_err *err)
{
    json_t *v = json_array_get(m->tree_info, k);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (size_t)json_integer_value(v) >= m->n_groups)
        return qf_err_set(err, QF_EPARSE, "tree_info[%zu] is not a group in 0..%zu", k,
                          m->n_groups - 1);
    *out = (uint32_t)json_integer_value(v);
    return QF_OK;
}

/* A tree as pass 1 found it. */
typedef struct tree_ref {
    uint32_t part;  /* its model */
    uint32_t index; /* its position in that model's trees */
    uint32_t group; /* the forest's group it adds to */
} tree_ref;

/* The models being built, and pass 1's findings. */
typedef struct builder {
    model_json *m; /* n_parts */
    size_t n_parts;
    size_t n_features, n_groups, n_trees, n_nodes; /* n_nodes: all trees' */
    tree_ref *ref;                                 /* n_trees, model by model */
    uint32_t *order;                               /* n_trees: ref indices in the dealt order */
    size_t period;                                 /* see qf_forest */
    size_t per_chunk;
    size_t part; /* the part being read: named by errors when there are several */
    walk w;
} builder;

static void *scratch_alloc(size_t n, size_t size)
{
    json_malloc_t alloc = NULL;
    json_free_t dealloc = NULL;
    json_get_alloc_funcs(&alloc, &dealloc);
    return n <= SIZE_MAX / size ? alloc(n * size) : NULL;
}

static void scratch_free(void *p)
{
    json_malloc_t alloc = NULL;
    json_free_t dealloc = NULL;
    json_get_alloc_funcs(&alloc, &dealloc);
    dealloc(p);
}

/* Checks tree k of part p, whose groups start at the forest's group
 * `first`, and records it as *r. */
static qf_rc count_tree(builder *b, size_t p, size_t k, size_t first, tree_ref *r, qf_err *err)
{
    const model_json *m = &b->m[p];
    tree_json t;
    uint32_t group = 0, depth = 0;
    size_t n = 0;
    qf_rc rc = tree_group(m, k, &group, err);
    if (rc == QF_OK)
        rc = read_tree(m->trees, k, &t, err);
    if (rc == QF_OK)
        rc = walk_reserve(&b->w, t.n, err);
    if (rc == QF_OK)
        rc = walk_tree(&t, m->n_features, &b->w, NULL, &n, &depth, err);
    if (rc != QF_OK)
        return rc;
    /* Root offsets are uint32_t; the cap also keeps every size below in range. */
    if (b->n_nodes + n >= UINT32_MAX / 2)
        return qf_err_set(err, QF_EUNSUPPORTED, "more than %u nodes", UINT32_MAX / 2);
    b->n_nodes += n;
    *r = (tree_ref){(uint32_t)p, (uint32_t)k, (uint32_t)(first + group)};
    return QF_OK;
}

/* Pass 1: checks every tree of every part and records it in b->ref. */
static qf_rc count_trees(builder *b, qf_err *err)
{
    b->ref = scratch_alloc(b->n_trees + 1, sizeof *b->ref);
    b->order = scratch_alloc(b->n_trees + 1, sizeof *b->order);
    if (b->ref == NULL || b->order == NULL)
        return qf_err_set(err, QF_ENOMEM, "out of memory for %zu trees", b->n_trees);
    size_t n = 0, first = 0;
    for (b->part = 0; b->part < b->n_parts; b->part++) {
        const model_json *m = &b->m[b->part];
        for (size_t k = 0; k < m->n_trees; k++) {
            qf_rc rc = count_tree(b, b->part, k, first, &b->ref[n++], err);
            if (rc != QF_OK)
                return rc;
        }
        first += m->n_groups;
    }
    b->part = SIZE_MAX;
    return QF_OK;
}

/* Deals the trees out round-robin over the groups, each group's in its
 * model's order (see the file comment): b->order. */
static qf_rc deal_trees(builder *b, qf_err *err)
{
    uint32_t *start = scratch_alloc(b->n_groups + 1, sizeof *start);
    uint32_t *by_group = scratch_alloc(b->n_trees + 1, sizeof *by_group);
    if (start == NULL || by_group == NULL) {
        scratch_free(start);
        scratch_free(by_group);
        return qf_err_set(err, QF_ENOMEM, "out of memory for %zu trees", b->n_trees);
    }
    memset(start, 0, (b->n_groups + 1) * sizeof *start);
    for (size_t i = 0; i < b->n_trees; i++)
        start[b->ref[i].group + 1]++;
    for (size_t g = 0; g < b->n_groups; g++)
        start[g + 1] += start[g];
    size_t most = 0;
    for (size_t g = 0; g < b->n_groups; g++)
        most = start[g + 1] - start[g] > most ? start[g + 1] - start[g] : most;
    for (size_t i = 0; i < b->n_trees; i++) /* stable: model order within a group */
        by_group[start[b->ref[i].group]++] = (uint32_t)i;
    for (size_t g = b->n_groups; g > 0; g--) /* start[] moved one group on: back */
        start[g] = start[g - 1];
    start[0] = 0;
    size_t n = 0;
    for (size_t j = 0; j < most; j++)
        for (size_t g = 0; g < b->n_groups; g++)
            if (start[g] + j < start[g + 1])
                b->order[n++] = by_group[start[g] + j];
    /* Equal groups of at most PERIOD_MAX: a chunk holds whole rounds, whose
     * sums stay in registers (margins). */
    b->period = most * b->n_groups == b->n_trees && b->n_groups <= PERIOD_MAX ? b->n_groups : 0;
    b->per_chunk = b->period != 0 ? CHUNK - CHUNK % b->period : CHUNK;
    scratch_free(start);
    scratch_free(by_group);
    return QF_OK;
}

/* Byte offsets of the arrays in a forest's block. */
typedef struct layout {
    size_t parts, base, group, nodes, root, depth, bytes;
} layout;

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static layout plan(const builder *b)
{
    size_t n_chunks = (b->n_trees + b->per_chunk - 1) / b->per_chunk;
    layout l;
    l.parts = align8(sizeof(qf_forest));
    l.base = align8(l.parts + b->n_parts * sizeof(part_out));
    l.group = align8(l.base + b->n_groups * sizeof(float));
    l.nodes = align8(l.group + b->n_trees * sizeof(uint32_t));
    l.root = l.nodes + (b->n_nodes + 1) * sizeof(node);
    l.depth = l.root + n_chunks * CHUNK * sizeof(uint32_t);
    l.bytes = l.depth + n_chunks * (CHUNK / BLOCK) * sizeof(uint32_t);
    return l;
}

static qf_rc forest_alloc(const builder *b, qf_forest **out, qf_err *err)
{
    layout l = plan(b);
    json_malloc_t alloc = NULL;
    json_free_t dealloc = NULL;
    json_get_alloc_funcs(&alloc, &dealloc);
    unsigned char *mem = alloc(l.bytes);
    if (mem == NULL)
        return qf_err_set(err, QF_ENOMEM, "out of memory for %zu trees (%zu bytes)", b->n_trees,
                          l.bytes);
    memset(mem, 0, l.bytes);
    qf_forest *f = (qf_forest *)mem;
    *f = (qf_forest){.n_features = b->n_features,
                     .n_groups = b->n_groups,
                     .n_parts = b->n_parts,
                     .n_trees = b->n_trees,
                     .per_chunk = b->per_chunk,
                     .n_chunks = (b->n_trees + b->per_chunk - 1) / b->per_chunk,
                     .period = b->period,
                     .kernel = KERNEL_SCALAR,
                     .parts = (part_out *)(mem + l.parts),
                     .base = (float *)(mem + l.base),
                     .group = (uint32_t *)(mem + l.group),
                     .nodes = (node *)(mem + l.nodes),
                     .root = (uint32_t *)(mem + l.root),
                     .depth = (uint32_t *)(mem + l.depth),
                     .free_fn = dealloc};
    *out = f;
    return QF_OK;
}

/* Each part's outputs and base scores. */
static void fill_parts(const builder *b, qf_forest *f)
{
    part_out *parts = (part_out *)f->parts;
    float *base = (float *)f->base;
    uint32_t first = 0;
    for (size_t p = 0; p < b->n_parts; p++) {
        const model_json *m = &b->m[p];
        parts[p] = (part_out){first, (uint32_t)m->n_groups, m->softmax};
        for (size_t g = 0; g < m->n_groups; g++)
            base[first + g] = m->base_score;
        first += (uint32_t)m->n_groups;
    }
}

/* Pass 2: writes every tree's nodes into f in the dealt order (the trees
 * were checked by pass 1). */
static qf_rc fill_trees(builder *b, qf_forest *f, qf_err *err)
{
    node *nodes = (node *)f->nodes;
    uint32_t *root = (uint32_t *)f->root;
    uint32_t *group = (uint32_t *)f->group;
    uint32_t *depth = (uint32_t *)f->depth;
    nodes[0] = leaf_node(0.0f, b->n_features);
    size_t next = 1;
    for (size_t i = 0; i < b->n_trees; i++) {
        const tree_ref *r = &b->ref[b->order[i]];
        tree_json t;
        uint32_t d = 0;
        size_t n = 0;
        qf_rc rc = read_tree(b->m[r->part].trees, r->index, &t, err);
        if (rc == QF_OK)
            rc = walk_tree(&t, b->n_features, &b->w, nodes + next, &n, &d, err);
        if (rc != QF_OK)
            return rc;
        size_t pos = i / b->per_chunk * CHUNK + i % b->per_chunk;
        root[pos] = (uint32_t)next;
        group[i] = r->group;
        depth[pos / BLOCK] = d > depth[pos / BLOCK] ? d : depth[pos / BLOCK];
        next += n;
    }
    return QF_OK;
}

/* ---- the AVX-512 kernel's arrays ---------------------------------------- */

static int cpu_has_avx512(void)
{
#if HAVE_AVX512
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi");
#else
    return 0;
#endif
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Each feature's distinct thresholds, ascending, into thr (n_features *
 * LV_THR, NaN after them); 0 when a feature has more than LV_THR - 1.
 * scratch holds n_nodes floats: the splits' thresholds grouped by feature
 * (a counting sort), each group then sorted. */
static int lv_thresholds(const qf_forest *f, size_t n_nodes, float *thr, float *scratch)
{
    size_t start[QF_FOREST_FEATURES_MAX + 2] = {0};
    for (size_t i = 1; i < n_nodes; i++)
        if (node_dist(f->nodes[i]) != 0)
            start[(f->nodes[i] & FEAT_MASK) + 1]++;
    for (size_t feat = 0; feat < f->n_features; feat++)
        start[feat + 1] += start[feat];
    size_t fill[QF_FOREST_FEATURES_MAX + 1];
    memcpy(fill, start, sizeof fill);
    for (size_t i = 1; i < n_nodes; i++)
        if (node_dist(f->nodes[i]) != 0)
            scratch[fill[f->nodes[i] & FEAT_MASK]++] = node_value(f->nodes[i]);
    for (size_t i = 0; i < f->n_features * LV_THR; i++)
        thr[i] = NAN;
    for (size_t feat = 0; feat < f->n_features; feat++) {
        float *v = scratch + start[feat], *t = thr + feat * LV_THR;
        size_t n = start[feat + 1] - start[feat], u = 0;
        qsort(v, n, sizeof *v, cmp_float);
        for (size_t i = 0; i < n; i++) {
            if (u > 0 && t[u - 1] == v[i])
                continue;
            if (u == LV_THR - 1)
                return 0;
            t[u++] = v[i];
        }
    }
    return 1;
}

/* Position of v among t's thresholds (it is one of them). */
static uint8_t lv_rank(const float *t, float v)
{
    size_t lo = 0;
    for (size_t step = LV_THR / 2; step > 0; step >>= 1)
        lo += t[lo + step - 1] < v ? step : 0;
    return (uint8_t)lo;
}

/* Where lv_subtree writes: tree `lane` of a chunk of `depth` levels. */
typedef struct lv_fill {
    const float *thr;
    uint8_t *rows; /* the chunk's first row */
    float *leaf;   /* the chunk's leaves */
    int depth;
    int lane;
} lv_fill;

/* The feature (rank = 0) or rank (rank = 1) byte of node r of level L. */
static uint8_t *lv_byte(const lv_fill *c, int level, size_t r, int rank)
{
    size_t row = 2 * (((size_t)1 << level) - 1) + (rank ? (size_t)1 << level : 0) + r;
    return c->rows + row * 64 + (size_t)c->lane;
}

/* Writes the subtree at p as node r of level L and below. Recursion depth
 * <= LV_DEPTH. */
static void lv_subtree(const node *p, int level, size_t r, const lv_fill *c)
{
    node q = *p;
    size_t dist = node_dist(q);
    if (dist == 0) {
        /* A leaf above the bottom: splits that always go left (rank 255:
         * no bin exceeds it; NaN goes left), down to the leaf's slot. */
        for (int l = level; l < c->depth; l++) {
            *lv_byte(c, l, r << (l - level), 0) = LV_DLEFT;
            *lv_byte(c, l, r << (l - level), 1) = 0xff;
        }
        c->leaf[((size_t)c->lane << c->depth) + (r << (c->depth - level))] = node_value(q);
        return;
    }
    size_t feat = q & FEAT_MASK;
    *lv_byte(c, level, r, 0) = (uint8_t)(feat | ((q & DLEFT_BIT) ? LV_DLEFT : 0u));
    *lv_byte(c, level, r, 1) = lv_rank(c->thr + feat * LV_THR, node_value(q));
    lv_subtree(p + dist, level + 1, 2 * r, c);
    lv_subtree(p + dist + 1, level + 1, 2 * r + 1, c);
}

/* Levels of each chunk (the deepest of its trees) into depth, and the
 * rows and leaves of the kernel's arrays; 0 when a tree is deeper than
 * LV_DEPTH or the arrays would outgrow the kernel's 32-bit offsets. */
static int lv_sizes(const qf_forest *f, uint8_t *depth, size_t *out_rows, size_t *out_leaves)
{
    size_t rows = 0, leaves = 0;
    for (size_t c = 0; c < f->n_chunks; c++) {
        uint32_t d = 0;
        for (size_t b = c * (CHUNK / BLOCK); b < (c + 1) * (CHUNK / BLOCK); b++)
            d = f->depth[b] > d ? f->depth[b] : d;
        if (d > LV_DEPTH)
            return 0;
        depth[c] = (uint8_t)d;
        rows += 2 * (((size_t)1 << d) - 1);
        leaves += (size_t)CHUNK << d;
    }
    *out_rows = rows;
    *out_leaves = leaves;
    return leaves < INT32_MAX / 2 && rows < UINT32_MAX / 64;
}

/* Lays out and fills the kernel's arrays in mem (see lv_build). */
static void lv_fill_chunks(qf_forest *f, unsigned char *mem, const uint8_t *depth, size_t leaves)
{
    lv_data *lv = &f->lv;
    float *leaf = (float *)(mem + f->n_features * LV_THR * sizeof(float));
    uint32_t *row0 = (uint32_t *)(leaf + leaves);
    uint32_t *leaf0 = row0 + f->n_chunks;
    uint8_t *dep = (uint8_t *)(leaf0 + f->n_chunks);
    uint8_t *rows = dep + f->n_chunks;
    rows += (64 - (uintptr_t)rows % 64) % 64;
    size_t next_row = 0, next_leaf = 0;
    for (size_t c = 0; c < f->n_chunks; c++) {
        row0[c] = (uint32_t)next_row;
        leaf0[c] = (uint32_t)next_leaf;
        dep[c] = depth[c];
        for (int t = 0; t < CHUNK; t++) {
            lv_fill fill = {lv->thr, rows + next_row * 64, leaf + next_leaf, depth[c], t};
            lv_subtree(f->nodes + f->root[c * CHUNK + (size_t)t], 0, 0, &fill);
        }
        next_row += 2 * (((size_t)1 << depth[c]) - 1);
        next_leaf += (size_t)CHUNK << depth[c];
    }
    *lv = (lv_data){lv->thr, row0, leaf0, dep, rows, leaf};
}

/* Builds the AVX-512 kernel's arrays and makes it f's kernel, when the CPU
 * and the model allow it (else f keeps the scalar kernel). QF_ENOMEM
 * leaves f as it was. */
static qf_rc lv_build(qf_forest *f, size_t n_nodes, qf_err *err)
{
    if (!cpu_has_avx512() || f->n_features > LV_FEAT)
        return QF_OK;
    uint8_t *depth = scratch_alloc(f->n_chunks + 1, 1);
    float *scratch = scratch_alloc(n_nodes, sizeof(float));
    unsigned char *mem = NULL;
    size_t rows = 0, leaves = 0;
    qf_rc rc = QF_OK;
    if (depth == NULL || scratch == NULL) {
        rc = qf_err_set(err, QF_ENOMEM, "out of memory building the kernel");
    } else if (lv_sizes(f, depth, &rows, &leaves)) {
        size_t bytes = f->n_features * LV_THR * sizeof(float) + leaves * sizeof(float) +
                       f->n_chunks * 9 + rows * 64 + 64; /* 64: to align the rows */
        mem = scratch_alloc(bytes, 1);
        if (mem == NULL)
            rc = qf_err_set(err, QF_ENOMEM, "out of memory for the kernel (%zu bytes)", bytes);
        else
            memset(mem, 0, bytes);
    }
    if (mem != NULL && lv_thresholds(f, n_nodes, (float *)mem, scratch)) {
        f->lv.thr = (const float *)mem;
        lv_fill_chunks(f, mem, depth, leaves);
        f->lv_mem = mem;
        f->kernel = KERNEL_AVX512;
        mem = NULL;
    }
    scratch_free(mem);
    scratch_free(depth);
    scratch_free(scratch);
    return rc;
}

/* ---- building, the whole ------------------------------------------------ */

/* Parses part p into b->m[p] and checks it matches the parts before it. */
static qf_rc load_part(builder *b, size_t p, const char *text, size_t len, qf_err *err)
{
    if (text == NULL)
        return qf_err_set(err, QF_EINVAL, "no text");
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        /* jansson leaves the error empty when its lexer's first buffer
         * cannot be allocated. */
        if (json_error_code(&jerr) == json_error_out_of_memory || jerr.text[0] == '\0')
            return qf_err_set(err, QF_ENOMEM, "out of memory reading the JSON");
        return qf_err_set(err, QF_EPARSE, "not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                          jerr.column);
    }
    model_json *m = &b->m[p];
    m->doc = doc;
    qf_rc rc = read_model(doc, m, err);
    if (rc == QF_OK && p > 0 && m->n_features != b->n_features)
        rc = qf_err_set(err, QF_EINVAL, "%zu features where part 0 has %zu", m->n_features,
                        b->n_features);
    if (rc == QF_OK && b->n_groups + m->n_groups > QF_FOREST_GROUPS_MAX)
        rc = qf_err_set(err, QF_EUNSUPPORTED, "more than %d outputs", QF_FOREST_GROUPS_MAX);
    if (rc == QF_OK && b->n_trees + m->n_trees > UINT32_MAX / 2)
        rc = qf_err_set(err, QF_EUNSUPPORTED, "too many trees");
    if (rc != QF_OK)
        return rc;
    b->n_features = m->n_features;
    b->n_groups += m->n_groups;
    b->n_trees += m->n_trees;
    return QF_OK;
}

static void builder_free(builder *b)
{
    for (size_t p = 0; p < b->n_parts; p++)
        json_decref(b->m[p].doc);
    scratch_free(b->m);
    scratch_free(b->ref);
    scratch_free(b->order);
    walk_free(&b->w);
}

/* Parses, checks and counts every part, deals the trees, allocates, fills. */
static qf_rc build(builder *b, const char *const *texts, const size_t *lens, qf_forest **out,
                   qf_err *err)
{
    for (b->part = 0; b->part < b->n_parts; b->part++) {
        qf_rc rc = load_part(b, b->part, texts[b->part], lens[b->part], err);
        if (rc != QF_OK)
            return rc;
    }
    b->part = SIZE_MAX;
    qf_rc rc = count_trees(b, err);
    if (rc == QF_OK)
        rc = deal_trees(b, err);
    qf_forest *f = NULL;
    if (rc == QF_OK)
        rc = forest_alloc(b, &f, err);
    if (rc == QF_OK) {
        fill_parts(b, f);
        rc = fill_trees(b, f, err);
    }
    if (rc == QF_OK)
        rc = lv_build(f, b->n_nodes + 1, err);
    if (rc != QF_OK) {
        qf_forest_free(f);
        return rc;
    }
    *out = f;
    return QF_OK;
}

qf_rc qf_forest_from_json_parts(const char *const *texts, const size_t *lens, size_t n_parts,
                                qf_forest **out_forest, qf_err *err)
{
    qf_err_clear(err);
    if (texts == NULL || lens == NULL || out_forest == NULL || n_parts == 0)
        return qf_err_set(err, QF_EINVAL, "forest: no models or no output");
    builder b;
    memset(&b, 0, sizeof b);
    b.m = scratch_alloc(n_parts, sizeof *b.m);
    if (b.m == NULL)
        return qf_err_set(err, QF_ENOMEM, "forest: out of memory");
    memset(b.m, 0, n_parts * sizeof *b.m);
    b.n_parts = n_parts;
    b.part = SIZE_MAX;
    qf_rc rc = build(&b, texts, lens, out_forest, err);
    if (rc != QF_OK && n_parts > 1 && b.part < n_parts)
        qf_err_prefix(err, "forest: part %zu", b.part);
    else if (rc != QF_OK)
        qf_err_prefix(err, "forest");
    builder_free(&b);
    return rc;
}

qf_rc qf_forest_from_json(const char *text, size_t len, qf_forest **out_forest, qf_err *err)
{
    return qf_forest_from_json_parts(&text, &len, 1, out_forest, err);
}

void qf_forest_free(qf_forest *f)
{
    if (f == NULL)
        return;
    if (f->lv_mem != NULL)
        f->free_fn(f->lv_mem);
    f->free_fn(f);
}

size_t qf_forest_n_features(const qf_forest *f)
{
    return f->n_features;
}

size_t qf_forest_n_groups(const qf_forest *f)
{
    return f->n_groups;
}

size_t qf_forest_n_trees(const qf_forest *f)
{
    return f->n_trees;
}

qf_forest_kernel qf_forest_kernel_used(const qf_forest *f)
{
    return (qf_forest_kernel)f->kernel;
}

qf_rc qf_forest_set_kernel(qf_forest *f, qf_forest_kernel kernel, qf_err *err)
{
    if (kernel == QF_FOREST_KERNEL_AUTO)
        kernel = f->lv_mem != NULL ? QF_FOREST_KERNEL_AVX512 : QF_FOREST_KERNEL_SCALAR;
    if (kernel != QF_FOREST_KERNEL_SCALAR && kernel != QF_FOREST_KERNEL_AVX512)
        return qf_err_set(err, QF_EINVAL, "forest: no kernel %d", (int)kernel);
    if (kernel == QF_FOREST_KERNEL_AVX512 && f->lv_mem == NULL)
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "forest: the AVX-512 kernel needs a CPU with AVX-512 F, BW and VBMI, "
                          "trees of at most %d levels and at most %d features of at most %d "
                          "thresholds each",
                          LV_DEPTH, LV_FEAT, LV_THR - 1);
    f->kernel = (int)kernel;
    return QF_OK;
}

/* ---- prediction --------------------------------------------------------- */

/* A row as the kernels read it, converted to float once as XGBoost does
 * (beyond float's range: +-inf). */
typedef struct row {
    int64_t word[QF_FOREST_FEATURES_MAX + 1]; /* scalar: row_word of each value; the leaf slot */
    uint8_t nan[QF_FOREST_FEATURES_MAX + 1];  /* scalar: the value is missing (NaN) */
    uint8_t bin[LV_FEAT];                     /* AVX-512: thresholds at or below the value */
    uint8_t nanb[LV_FEAT];                    /* AVX-512: 0xff where the value is NaN */
    int missing;                              /* some value is NaN */
} row;

/* The number of t's thresholds (LV_THR, ascending, NaN after them) at or
 * below v: a branchless binary search (NaN compares false, so the padding
 * counts as above). */
static uint8_t lv_bin(const float *t, float v)
{
    size_t lo = 0;
    for (size_t step = LV_THR / 2; step > 0; step >>= 1)
        lo += t[lo + step - 1] <= v ? step : 0;
    return (uint8_t)lo;
}

static void load_row(const qf_forest *f, const double *x, row *r)
{
    size_t nf = f->n_features;
    r->missing = 0;
    if (f->kernel == KERNEL_AVX512) {
        memset(r->bin, 0, sizeof r->bin);
        memset(r->nanb, 0, sizeof r->nanb);
        for (size_t i = 0; i < nf; i++) {
            float v = (float)x[i];
            int nan = isnan(v) != 0;
            r->bin[i] = nan ? 0 : lv_bin(f->lv.thr + i * LV_THR, v);
            r->nanb[i] = nan ? 0xff : 0;
            r->missing |= nan;
        }
        return;
    }
    for (size_t i = 0; i < nf; i++) {
        float v = (float)x[i] + 0.0f; /* -0.0 becomes +0.0 */
        r->nan[i] = (uint8_t)(isnan(v) != 0);
        r->missing |= r->nan[i];
        r->word[i] = row_word(float_key(v));
    }
    r->word[nf] = row_word(0x80000000u); /* below every key of a finite value */
    r->nan[nf] = 0;
}

/* Walks the BLOCK trees whose roots are nodes + root[j] for `steps` steps
 * on a row without missing values; leaf[j] gets each one's leaf value. */
static void walk_block(const node *nodes, const uint32_t *root, uint32_t steps, const int64_t *word,
                       float *leaf)
{
    const node *p[BLOCK];
    for (int j = 0; j < BLOCK; j++)
        p[j] = nodes + root[j];
    for (uint32_t s = 0; s < steps; s++) {
#pragma GCC unroll 16
        for (int j = 0; j < BLOCK; j++) {
            node q = *p[j];
            p[j] += node_dist(q) + (word[q & FEAT_MASK] >= (int64_t)q);
        }
    }
    for (int j = 0; j < BLOCK; j++)
        leaf[j] = node_value(*p[j]);
}

/* The same on a row with missing values: a NaN goes right unless the node's
 * default is left. */
static void walk_block_missing(const node *nodes, const uint32_t *root, uint32_t steps,
                               const row *r, float *leaf)
{
    const node *p[BLOCK];
    for (int j = 0; j < BLOCK; j++)
        p[j] = nodes + root[j];
    for (uint32_t s = 0; s < steps; s++) {
        for (int j = 0; j < BLOCK; j++) {
            node q = *p[j];
            size_t feat = q & FEAT_MASK;
            int right = r->nan[feat] ? !(q & DLEFT_BIT) : r->word[feat] >= (int64_t)q;
            p[j] += node_dist(q) + (unsigned)right;
        }
    }
    for (int j = 0; j < BLOCK; j++)
        leaf[j] = node_value(*p[j]);
}

static void scalar_chunk(const qf_forest *f, size_t c, const row *r, float *leaf)
{
    for (size_t b = c * (CHUNK / BLOCK); b < (c + 1) * (CHUNK / BLOCK); b++) {
        const uint32_t *root = f->root + b * BLOCK;
        float *out = leaf + (b % (CHUNK / BLOCK)) * BLOCK;
        if (r->missing)
            walk_block_missing(f->nodes, root, f->depth[b], r, out);
        else
            walk_block(f->nodes, root, f->depth[b], r->word, out);
    }
}

#if HAVE_AVX512
#define LV_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi")))
#define LV_INLINE LV_TARGET static inline __attribute__((always_inline))

/* Row `path` of the 2^h rows (64 bytes each) at `rows`, lane by lane, the
 * lane's path being its bits h-1..0 in bit[h-1..0] (bit[0]: the latest
 * decision): a tree of blends, the root's decision picking the half. */
LV_INLINE __m512i pick0(const uint8_t *rows, const __mmask64 *bit)
{
    (void)bit;
    return _mm512_load_si512(rows);
}

#define LV_PICK(h, lower)                                                                          \
    LV_INLINE __m512i pick##h(const uint8_t *rows, const __mmask64 *bit)                           \
    {                                                                                              \
        return _mm512_mask_blend_epi8(bit[h - 1], lower(rows, bit),                                \
                                      lower(rows + ((size_t)64 << (h - 1)), bit));                 \
    }
LV_PICK(1, pick0)
LV_PICK(2, pick1)
LV_PICK(3, pick2)
LV_PICK(4, pick3)
LV_PICK(5, pick4)
LV_PICK(6, pick5)

LV_INLINE __m512i pick(const uint8_t *rows, int h, const __mmask64 *bit)
{
    switch (h) {
    case 0:
        return pick0(rows, bit);
    case 1:
        return pick1(rows, bit);
    case 2:
        return pick2(rows, bit);
    case 3:
        return pick3(rows, bit);
    case 4:
        return pick4(rows, bit);
    case 5:
        return pick5(rows, bit);
    default:
        return pick6(rows, bit);
    }
}

/* The paths (left 0, right 1, root first) of the 64 trees of a chunk of
 * `depth` levels whose rows start at `rows` (see the file comment). A NaN
 * goes right unless the node's default is left (the feature byte's top
 * bit). Inlined with constant depth and missing, the levels unroll and the
 * decisions stay in mask registers. */
LV_INLINE __m512i lv_walk(const uint8_t *rows, int depth, int missing, __m512i bins, __m512i nans)
{
    const __m512i one = _mm512_set1_epi8(1);
    __m512i path = _mm512_setzero_si512();
    __mmask64 bit[LV_DEPTH] = {0};
#pragma GCC unroll 8
    for (int level = 0; level < depth; level++) {
        const uint8_t *lev = rows + (size_t)128 * (((size_t)1 << level) - 1);
        __m512i feat = pick(lev, level, bit);
        __m512i rank = pick(lev + ((size_t)64 << level), level, bit);
        __mmask64 right = _mm512_cmpgt_epu8_mask(_mm512_permutexvar_epi8(feat, bins), rank);
        if (missing) {
            __mmask64 nan = _mm512_movepi8_mask(_mm512_permutexvar_epi8(feat, nans));
            __mmask64 dleft = _mm512_movepi8_mask(feat);
            right = (right & ~nan) | (nan & ~dleft);
        }
        for (int h = level; h > 0; h--)
            bit[h] = bit[h - 1];
        bit[0] = right;
        path = _mm512_add_epi8(path, path);
        path = _mm512_mask_add_epi8(path, right, path, one);
    }
    return path;
}

#define LV_CASE(d)                                                                                 \
    case 2 * (d):                                                                                  \
        path = lv_walk(rows, d, 0, bins, nans);                                                    \
        break;                                                                                     \
    case 2 * (d) + 1:                                                                              \
        path = lv_walk(rows, d, 1, bins, nans);                                                    \
        break;

/* Chunk c's leaves for row r: at[t] gets the index in f->lv.leaf of tree
 * t's leaf, which starts its leaves at leaf0 + (t << depth). */
LV_TARGET static void avx512_chunk(const qf_forest *f, size_t c, const row *r, uint32_t *at)
{
    const uint8_t *rows = f->lv.rows + (size_t)f->lv.row0[c] * 64;
    int depth = f->lv.depth[c];
    const __m512i bins = _mm512_loadu_si512(r->bin), nans = _mm512_loadu_si512(r->nanb);
    __m512i path = _mm512_setzero_si512();
    switch (2 * depth + (r->missing != 0)) {
        LV_CASE(1)
        LV_CASE(2)
        LV_CASE(3)
        LV_CASE(4)
        LV_CASE(5)
        LV_CASE(6)
        LV_CASE(7)
    default: /* depth 0: every tree a single leaf */
        break;
    }
    const __m512i shift = _mm512_set1_epi32(depth);
    const __m512i leaf0 = _mm512_set1_epi32((int)f->lv.leaf0[c]);
    __m512i t = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m128i quarter[4] = {_mm512_extracti32x4_epi32(path, 0), _mm512_extracti32x4_epi32(path, 1),
                          _mm512_extracti32x4_epi32(path, 2), _mm512_extracti32x4_epi32(path, 3)};
    for (int q = 0; q < 4; q++) {
        __m512i base = _mm512_add_epi32(leaf0, _mm512_sllv_epi32(t, shift));
        _mm512_storeu_si512(at + 16 * q, _mm512_add_epi32(base, _mm512_cvtepu8_epi32(quarter[q])));
        t = _mm512_add_epi32(t, _mm512_set1_epi32(16));
    }
}
#endif

/* Adds `rounds` rounds of `period` leaves (values[at[]], round by round)
 * to acc[0..period). Inlined with a constant period, acc lives in
 * registers: one chain of adds per group, side by side. */
static inline __attribute__((always_inline)) void
add_rounds(const float *values, const uint32_t *at, size_t rounds, size_t period, float *acc)
{
    for (size_t k = 0; k < rounds; k++)
        for (size_t g = 0; g < period; g++)
            acc[g] += values[at[k * period + g]];
}

static void add_periodic(const float *values, const uint32_t *at, size_t n, size_t period,
                         float *acc)
{
    switch (period) {
    case 1:
        add_rounds(values, at, n, 1, acc);
        break;
    case 2:
        add_rounds(values, at, n / 2, 2, acc);
        break;
    case 3:
        add_rounds(values, at, n / 3, 3, acc);
        break;
    case 4:
        add_rounds(values, at, n / 4, 4, acc);
        break;
    case 5:
        add_rounds(values, at, n / 5, 5, acc);
        break;
    case 6:
        add_rounds(values, at, n / 6, 6, acc);
        break;
    case 7:
        add_rounds(values, at, n / 7, 7, acc);
        break;
    default:
        add_rounds(values, at, n / 8, 8, acc);
        break;
    }
}

/* Every group's margin: its base_score plus its trees' leaves in order
 * (the dealt order keeps each group's). */
static void margins(const qf_forest *f, const row *r, float *out)
{
    float leaf[CHUNK];
    uint32_t at[CHUNK]; /* tree j's leaf is values[at[j]] */
    const float *values = leaf;
    float acc[PERIOD_MAX];
    memcpy(out, f->base, f->n_groups * sizeof *out);
    memcpy(acc, f->base, (f->period != 0 ? f->period : 1) * sizeof *acc);
    for (uint32_t j = 0; j < CHUNK; j++)
        at[j] = j;
#if HAVE_AVX512
    if (f->kernel == KERNEL_AVX512)
        values = f->lv.leaf;
#endif
    for (size_t c = 0; c < f->n_chunks; c++) {
#if HAVE_AVX512
        if (f->kernel == KERNEL_AVX512)
            avx512_chunk(f, c, r, at);
        else
#endif
            scalar_chunk(f, c, r, leaf);
        size_t first = c * f->per_chunk;
        size_t n = f->n_trees - first < f->per_chunk ? f->n_trees - first : f->per_chunk;
        if (f->period != 0) {
            add_periodic(values, at, n, f->period, acc);
        } else {
            const uint32_t *group = f->group + first;
            for (size_t j = 0; j < n; j++)
                out[group[j]] += values[at[j]];
        }
    }
    if (f->period != 0)
        memcpy(out, acc, f->period * sizeof *out);
}

/* XGBoost's common::Softmax, operation for operation. */
static void softmax(float *v, size_t n)
{
    float wmax = v[0];
    for (size_t i = 1; i < n; i++)
        wmax = fmaxf(v[i], wmax);
    double wsum = 0.0;
    for (size_t i = 0; i < n; i++) {
        v[i] = expf(v[i] - wmax);
        wsum += v[i];
    }
    for (size_t i = 0; i < n; i++)
        v[i] /= (float)wsum;
}

static void predict_one(const qf_forest *f, const double *x, float *out)
{
    row r;
    load_row(f, x, &r);
    margins(f, &r, out);
    for (size_t p = 0; p < f->n_parts; p++)
        if (f->parts[p].softmax)
            softmax(out + f->parts[p].first, f->parts[p].groups);
}

qf_rc qf_forest_predict_row(const qf_forest *f, const double *x, size_t n_features,
                            float *out_values, qf_err *err)
{
    if (n_features != f->n_features)
        return qf_err_set(err, QF_EINVAL, "forest: a row of %zu features; the model takes %zu",
                          n_features, f->n_features);
    predict_one(f, x, out_values);
    return QF_OK;
}

qf_rc qf_forest_predict(const qf_forest *f, const double *x, size_t n_rows, size_t n_features,
                        float *out_values, qf_err *err)
{
    if (n_features != f->n_features)
        return qf_err_set(err, QF_EINVAL, "forest: rows of %zu features; the model takes %zu",
                          n_features, f->n_features);
    for (size_t i = 0; i < n_rows; i++)
        predict_one(f, x + i * n_features, out_values + i * f->n_groups);
    return QF_OK;
}
