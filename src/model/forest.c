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
 *     leaf value to the group tree_info names, tree by tree (cpu_predictor
 *     PredictByAllTrees: out_preds[row, gid] += leaf).
 *   - multi:softprob applies common::Softmax (math.h): the max by fmaxf,
 *     expf of each margin minus it, their sum in double, each divided by
 *     the sum rounded to float.
 *   - Trees are placed by their "id" (GBTreeModel::LoadModel), which the
 *     forest requires to be their position.
 *
 * Trees are taken BLOCK at a time. Two kernels find the leaf each tree of
 * a block sends the row to; both then add the leaves to their groups in
 * tree order, so they give the same bits.
 *
 * The scalar kernel walks the block's trees in lockstep: their loads are
 * independent, so the CPU overlaps them instead of waiting on one tree's
 * chain of loads. Each tree's reachable nodes are stored breadth first,
 * one 64-bit word a node (see `node`); a leaf points to itself and reads a
 * row slot below every threshold, so a walker that reached it stays, and a
 * block walks as many steps as its deepest tree with no test for leaves.
 *
 * The AVX-512 kernel (x86-64 CPUs with AVX-512 F and CD, models of at most
 * 32 features and 32 leaves a tree) does not walk: it is QuickScorer
 * (Lucchese et al., SIGIR 2015) across the 16 trees of a block. A tree's
 * leaves are numbered left to right, leaf i being bit 31 - i of a 32-bit
 * word that starts all ones; every split the row does not take to the left
 * clears the leaves of its left subtree, and the leaf reached is then the
 * highest bit left (a leading-zero count). Slot s of a block holds split s
 * of each of its 16 trees (in any order: the AND commutes), so one slot is
 * a compare and a masked AND over 16 lanes, and no step waits on a load
 * that the previous step chose. A walk costs a chain of dependent loads
 * per level; this costs every split of the tree, but 16 at a time.
 *
 * Gathers were tried for a vector walk and lost: on the Zen 5 this was
 * written on, an 8-lane gather costs what 8 scalar loads do.
 *
 * The JSON is read in two passes over jansson's tree: the first checks
 * every tree and counts, the second writes into one block allocated in
 * between.
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

#define BLOCK      16     /* trees taken together */
#define QS_FEAT    32     /* features the AVX-512 kernel takes (two registers) */
#define QS_LEAVES  32     /* leaves a tree may have for the AVX-512 kernel */
#define FEAT_MASK  0xffu  /* node bits 0-7: the feature */
#define DLEFT_BIT  0x100u /* node bit 8: a missing value goes left */
#define DIST_SHIFT 9      /* node bits 9-31: the distance to the left child */
#define DIST_MASK  0x7fffffu

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

/* A row value as compared with nodes: its key in the high half and ones
 * below, so `value >= node` (as int64_t) holds exactly when the value is
 * not below the node's threshold: the high halves decide unless equal, and
 * equal means not below. */
static int64_t row_word(uint32_t key)
{
    return (int64_t)((uint64_t)key << 32 | 0xffffffffu);
}

/* The AVX-512 kernel's slot s of a block: split s of each of its trees
 * (lane j: tree j). A tree with fewer splits fills the rest with splits
 * that clear nothing. */
typedef struct qs_slot {
    float thr[BLOCK];     /* x < thr[j] goes left */
    uint32_t keep[BLOCK]; /* ANDed into tree j's leaves when x goes right */
} qs_slot;

typedef struct qs_meta {
    uint8_t feature[BLOCK];
    uint16_t dleft; /* bit j: tree j's split sends a missing value left */
    uint8_t pad[14];
} qs_meta;

enum { KERNEL_SCALAR = 1, KERNEL_AVX512 = 2 }; /* = qf_forest_kernel values */

struct qf_forest {
    size_t n_features;     /* input columns */
    size_t n_groups;       /* outputs per row */
    size_t n_trees;        /* trees in the model */
    size_t n_blocks;       /* ceil(n_trees / BLOCK) */
    int softmax;           /* 1: multi:softprob; 0: the sum is the output */
    int kernel;            /* KERNEL_SCALAR or KERNEL_AVX512 */
    float base_score;      /* every group's starting margin */
    const uint32_t *group; /* n_trees: the output group a tree adds to */
    /* scalar kernel */
    const node *nodes;     /* node 0: a padding leaf; then each tree, breadth first */
    const uint32_t *root;  /* n_blocks * BLOCK: each tree's root in nodes (padding: 0) */
    const uint32_t *depth; /* n_blocks: steps that bring every tree of the block to a leaf */
    /* AVX-512 kernel (NULL when not built) */
    const uint32_t *qs_first; /* n_blocks + 1: each block's first slot */
    const qs_slot *qs_slot;   /* 64-byte aligned */
    const qs_meta *qs_meta;
    const uint32_t *qs_leaf0; /* n_blocks * BLOCK: each tree's leaf 0 in qs_leaf (padding: 0) */
    const float *qs_leaf;     /* [0]: the padding leaf; then each tree's leaves, left to right */
    void (*free_fn)(void *);  /* jansson's free when the forest was allocated */
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
        return qf_err_set(err, QF_EPARSE, "forest: %s.%s is missing", path, key);
    int ok = json_typeof(v) == type || (type == JSON_REAL && json_is_number(v));
    if (!ok)
        return qf_err_set(err, QF_EPARSE, "forest: %s.%s is not %s", path, key, names[type]);
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
    if (end == s || *end != '\0' || n < 0 || n > max)
        return qf_err_set(err, QF_EPARSE, "forest: %s.%s is \"%.40s\", not a count in 0..%lld",
                          path, key, s, max);
    *out = (size_t)n;
    return QF_OK;
}

/* ---- the learner: version, parameters, objective, booster -------------- */

/* What the learner says about the whole model. */
typedef struct model_json {
    size_t n_features;
    size_t n_groups;
    size_t n_trees;
    int softmax;
    float base_score;
    json_t *trees;     /* gradient_booster.model.trees */
    json_t *tree_info; /* gradient_booster.model.tree_info */
} model_json;

/* Only 1.7.x: the prediction rules above were checked against 1.7.4, and
 * older versions summed a row's trees before adding base_score. */
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
        return qf_err_set(err, QF_EPARSE, "forest: version is not [major, minor, patch]");
    if (part[0] != 1 || part[1] != 7)
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "forest: an XGBoost %lld.%lld.%lld model; only 1.7.x models are "
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
                          "forest: objective \"%.60s\" is not supported (multi:softprob or a "
                          "reg: objective with an identity link)",
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
        rc = string_count(p, path, "num_feature", QF_FOREST_FEATURES_MAX, &m->n_features, err);
    if (rc == QF_OK)
        rc = string_count(p, path, "num_class", 65535, &n_class, err);
    if (rc == QF_OK && json_object_get(p, "num_target") != NULL)
        rc = string_count(p, path, "num_target", 65535, &n_target, err);
    if (rc == QF_OK)
        rc = member(p, path, "base_score", JSON_STRING, &bs, err);
    if (rc != QF_OK)
        return rc;
    if (m->n_features == 0)
        return qf_err_set(err, QF_EPARSE, "forest: the model takes no features");
    if (n_target != 1)
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "forest: a model of %zu targets; only one is supported", n_target);
    if (m->softmax && n_class < 1)
        return qf_err_set(err, QF_EPARSE, "forest: multi:softprob with num_class 0");
    if (!m->softmax && n_class > 1)
        return qf_err_set(err, QF_EUNSUPPORTED, "forest: num_class %zu with a regression objective",
                          n_class);
    m->n_groups = m->softmax ? n_class : 1;
    const char *s = json_string_value(bs);
    char *end = NULL;
    m->base_score = strtof(s, &end);
    if (end == s || *end != '\0' || !isfinite(m->base_score))
        return qf_err_set(err, QF_EPARSE, "forest: base_score \"%.40s\" is not a finite number", s);
    return QF_OK;
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
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "forest: booster \"%.40s\" is not supported (only gbtree)",
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
        rc = string_count(param, "gbtree_model_param", "num_trees", INT_MAX, &n_trees, err);
    if (rc != QF_OK)
        return rc;
    m->n_trees = json_array_size(m->trees);
    if (n_trees != m->n_trees || json_array_size(m->tree_info) != m->n_trees)
        return qf_err_set(err, QF_EPARSE,
                          "forest: num_trees %zu, %zu trees and %zu tree_info entries disagree",
                          n_trees, m->n_trees, json_array_size(m->tree_info));
    return QF_OK;
}

static qf_rc read_model(const json_t *doc, model_json *m, qf_err *err)
{
    json_t *learner = NULL;
    qf_rc rc =
        json_is_object(doc) ? QF_OK : qf_err_set(err, QF_EPARSE, "forest: not an XGBoost model");
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

/* Checks tree k's shape (id, array lengths, no categories) into *out. */
static qf_rc read_tree(const json_t *trees, size_t k, tree_json *out, qf_err *err)
{
    json_t *t = json_array_get(trees, k);
    if (!json_is_object(t))
        return qf_err_set(err, QF_EPARSE, "forest: trees[%zu] is not an object", k);
    json_t *id = json_object_get(t, "id");
    if (!json_is_integer(id) || json_integer_value(id) != (json_int_t)k)
        return qf_err_set(err, QF_EPARSE, "forest: trees[%zu] does not have id %zu", k, k);
    tree_json tj = {.k = k};
    json_t *cats = NULL;
    qf_rc rc = tree_array(t, k, "left_children", &tj.left, err);
    if (rc == QF_OK)
        rc = tree_array(t, k, "right_children", &tj.right, err);
    if (rc == QF_OK)
        rc = tree_array(t, k, "split_indices", &tj.feature, err);
    if (rc == QF_OK)
        rc = tree_array(t, k, "split_conditions", &tj.cond, err);
    if (rc == QF_OK)
        rc = tree_array(t, k, "default_left", &tj.dleft, err);
    if (rc != QF_OK)
        return rc;
    tj.stype = json_object_get(t, "split_type");
    cats = json_object_get(t, "categories_nodes");
    if (json_array_size(cats) > 0)
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "forest: trees[%zu] has categorical splits; only numerical splits "
                          "are supported",
                          k);
    tj.n = json_array_size(tj.left);
    size_t n = tj.n;
    if (n == 0 || json_array_size(tj.right) != n || json_array_size(tj.feature) != n ||
        json_array_size(tj.cond) != n || json_array_size(tj.dleft) != n ||
        (tj.stype != NULL && json_array_size(tj.stype) != n))
        return qf_err_set(err, QF_EPARSE,
                          "forest: trees[%zu]: the node arrays are empty or of different lengths",
                          k);
    *out = tj;
    return QF_OK;
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
    return qf_err_set(err, QF_EPARSE, "forest: trees[%zu].%s[%zu] is not an integer", t->k, field,
                      i);
}

static qf_rc node_float(const tree_json *t, size_t i, float *out, qf_err *err)
{
    json_t *v = json_array_get(t->cond, i);
    if (!json_is_number(v))
        return qf_err_set(err, QF_EPARSE,
                          "forest: trees[%zu].split_conditions[%zu] is not a number", t->k, i);
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
        rc = qf_err_set(err, QF_EPARSE, "forest: trees[%zu] node %zu: a leaf with a right child",
                        t->k, u);
    if (rc == QF_OK)
        rc = node_float(t, u, &value, err);
    if (rc == QF_OK && !isfinite(value))
        rc = qf_err_set(err, QF_EPARSE,
                        "forest: trees[%zu] node %zu: leaf value out of float range", t->k, u);
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
                          "forest: trees[%zu] node %zu: a categorical split is not supported", t->k,
                          u);
    if (*out_feature < 0 || (size_t)*out_feature >= n_features)
        return qf_err_set(err, QF_EPARSE,
                          "forest: trees[%zu] node %zu: feature %lld outside 0..%zu", t->k, u,
                          (long long)*out_feature, n_features - 1);
    if (*out_dleft != 0 && *out_dleft != 1)
        return qf_err_set(err, QF_EPARSE, "forest: trees[%zu] node %zu: default_left is %lld", t->k,
                          u, (long long)*out_dleft);
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
                          "forest: trees[%zu] node %zu: left child %lld of a tree of %zu nodes",
                          t->k, u, (long long)left, t->n);
    if (right != left + 1)
        return qf_err_set(err, QF_EPARSE,
                          "forest: trees[%zu] node %zu: right child %lld is not left child %lld "
                          "+ 1, which XGBoost's predictor assumes",
                          t->k, u, (long long)right, (long long)left);
    if (w->seen[left] || w->seen[right])
        return qf_err_set(err, QF_EPARSE, "forest: trees[%zu] node %lld is reached twice", t->k,
                          (long long)(w->seen[left] ? left : right));
    if (tail + 2 > QF_FOREST_TREE_NODES_MAX)
        return qf_err_set(err, QF_EUNSUPPORTED, "forest: trees[%zu] has more than %u nodes", t->k,
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
        return qf_err_set(err, QF_ENOMEM, "forest: out of memory for a tree of %zu nodes", n);
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

/* Group of tree k from tree_info. */
static qf_rc tree_group(const model_json *m, size_t k, uint32_t *out, qf_err *err)
{
    json_t *v = json_array_get(m->tree_info, k);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (size_t)json_integer_value(v) >= m->n_groups)
        return qf_err_set(err, QF_EPARSE, "forest: tree_info[%zu] is not a group in 0..%zu", k,
                          m->n_groups - 1);
    *out = (uint32_t)json_integer_value(v);
    return QF_OK;
}

/* What pass 1 counts. */
typedef struct counts {
    size_t nodes;  /* reachable nodes of all trees */
    size_t leaves; /* their leaves */
    size_t slots;  /* AVX-512 slots: per block, the splits of its largest tree */
    int small;     /* every tree has at most QS_LEAVES leaves */
} counts;

/* Adds a tree of n nodes (a full binary tree: (n + 1) / 2 leaves) as tree
 * k of its block. */
static void count_tree(counts *c, size_t k, size_t n, size_t n_trees, size_t *block_splits)
{
    size_t splits = (n - 1) / 2;
    c->nodes += n;
    c->leaves += (n + 1) / 2;
    c->small &= (n + 1) / 2 <= QS_LEAVES;
    *block_splits = splits > *block_splits ? splits : *block_splits;
    if (k % BLOCK == BLOCK - 1 || k == n_trees - 1) {
        c->slots += *block_splits;
        *block_splits = 0;
    }
}

/* Pass 1: checks every tree and counts. */
static qf_rc count_trees(const model_json *m, walk *w, counts *out, qf_err *err)
{
    counts c = {0, 0, 0, 1};
    size_t block_splits = 0;
    for (size_t k = 0; k < m->n_trees; k++) {
        tree_json t;
        uint32_t group = 0, depth = 0;
        size_t n = 0;
        qf_rc rc = tree_group(m, k, &group, err);
        if (rc == QF_OK)
            rc = read_tree(m->trees, k, &t, err);
        if (rc == QF_OK)
            rc = walk_reserve(w, t.n, err);
        if (rc == QF_OK)
            rc = walk_tree(&t, m->n_features, w, NULL, &n, &depth, err);
        if (rc != QF_OK)
            return rc;
        /* Root offsets are uint32_t; the cap also keeps the sizes below from overflowing. */
        if (c.nodes + n >= UINT32_MAX)
            return qf_err_set(err, QF_EUNSUPPORTED, "forest: more than %u nodes", UINT32_MAX - 1);
        count_tree(&c, k, n, m->n_trees, &block_splits);
    }
    *out = c;
    return QF_OK;
}

static int cpu_has_avx512(void)
{
#if HAVE_AVX512
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd");
#else
    return 0;
#endif
}

/* Byte offsets of the arrays in a forest's block. */
typedef struct layout {
    size_t nodes, root, group, depth;                     /* scalar kernel and groups */
    size_t qs_first, qs_leaf0, qs_leaf, qs_slot, qs_meta; /* AVX-512 kernel, if built */
    size_t bytes;
} layout;

/* Places the arrays after the struct; with_qs adds the AVX-512 kernel's,
 * whose slots start 64-byte aligned (bytes includes the 63 spare). */
static layout plan(const counts *c, size_t n_trees, int with_qs)
{
    size_t n_blocks = (n_trees + BLOCK - 1) / BLOCK;
    layout l;
    memset(&l, 0, sizeof l);
    l.nodes = sizeof(qf_forest);
    l.root = l.nodes + (c->nodes + 1) * sizeof(node);
    l.group = l.root + n_blocks * BLOCK * sizeof(uint32_t);
    l.depth = l.group + n_trees * sizeof(uint32_t);
    l.bytes = l.depth + n_blocks * sizeof(uint32_t);
    if (with_qs) {
        l.qs_first = l.bytes;
        l.qs_leaf0 = l.qs_first + (n_blocks + 1) * sizeof(uint32_t);
        l.qs_leaf = l.qs_leaf0 + n_blocks * BLOCK * sizeof(uint32_t);
        l.qs_slot = l.qs_leaf + (c->leaves + 1) * sizeof(float); /* aligned in forest_alloc */
        l.qs_meta = l.qs_slot + c->slots * sizeof(qs_slot);
        l.bytes = l.qs_meta + c->slots * sizeof(qs_meta) + 63;
    }
    return l;
}

static qf_rc forest_alloc(const model_json *m, const counts *c, qf_forest **out, qf_err *err)
{
    int with_qs = c->small && m->n_features <= QS_FEAT && cpu_has_avx512();
    layout l = plan(c, m->n_trees, with_qs);
    json_malloc_t alloc = NULL;
    json_free_t dealloc = NULL;
    json_get_alloc_funcs(&alloc, &dealloc);
    unsigned char *mem = alloc(l.bytes);
    if (mem == NULL)
        return qf_err_set(err, QF_ENOMEM, "forest: out of memory for %zu trees (%zu bytes)",
                          m->n_trees, l.bytes);
    memset(mem, 0, l.bytes);
    qf_forest *f = (qf_forest *)mem;
    *f = (qf_forest){.n_features = m->n_features,
                     .n_groups = m->n_groups,
                     .n_trees = m->n_trees,
                     .n_blocks = (m->n_trees + BLOCK - 1) / BLOCK,
                     .softmax = m->softmax,
                     .kernel = with_qs ? KERNEL_AVX512 : KERNEL_SCALAR,
                     .base_score = m->base_score,
                     .group = (uint32_t *)(mem + l.group),
                     .nodes = (node *)(mem + l.nodes),
                     .root = (uint32_t *)(mem + l.root),
                     .depth = (uint32_t *)(mem + l.depth),
                     .free_fn = dealloc};
    if (with_qs) {
        size_t pad = (64 - (uintptr_t)(mem + l.qs_slot) % 64) % 64;
        f->qs_first = (uint32_t *)(mem + l.qs_first);
        f->qs_leaf0 = (uint32_t *)(mem + l.qs_leaf0);
        f->qs_leaf = (float *)(mem + l.qs_leaf);
        f->qs_slot = (qs_slot *)(mem + l.qs_slot + pad);
        f->qs_meta = (qs_meta *)(mem + l.qs_meta + pad);
    }
    *out = f;
    return QF_OK;
}

/* Pass 2: writes every tree's nodes into f (checked by pass 1). */
static qf_rc fill_trees(const model_json *m, walk *w, qf_forest *f, qf_err *err)
{
    node *nodes = (node *)f->nodes;
    uint32_t *root = (uint32_t *)f->root;
    uint32_t *group = (uint32_t *)f->group;
    uint32_t *depth = (uint32_t *)f->depth;
    nodes[0] = leaf_node(0.0f, m->n_features);
    size_t next = 1;
    for (size_t k = 0; k < m->n_trees; k++) {
        tree_json t;
        uint32_t d = 0;
        size_t n = 0;
        qf_rc rc = tree_group(m, k, &group[k], err);
        if (rc == QF_OK)
            rc = read_tree(m->trees, k, &t, err);
        if (rc == QF_OK)
            rc = walk_tree(&t, m->n_features, w, nodes + next, &n, &d, err);
        if (rc != QF_OK)
            return rc;
        root[k] = (uint32_t)next;
        depth[k / BLOCK] = d > depth[k / BLOCK] ? d : depth[k / BLOCK];
        next += n;
    }
    return QF_OK;
}

/* Where qs_tree puts one tree: lane j of the block's slots. */
typedef struct qs_fill {
    qs_slot *slot; /* the block's first slot */
    qs_meta *meta;
    int lane;
    size_t n_slots; /* splits of this tree so far */
    float *leaf;    /* its leaves, left to right */
    size_t n_leaves;
} qs_fill;

/* Numbers the leaves of the subtree at p left to right and gives each of
 * its splits a slot whose keep-mask clears its left subtree's leaves
 * (leaf i: bit 31 - i). Recursion depth < QS_LEAVES. */
static void qs_subtree(const node *p, qs_fill *t)
{
    node q = *p;
    size_t dist = q >> DIST_SHIFT & DIST_MASK;
    if (dist == 0) {
        t->leaf[t->n_leaves++] = key_float((uint32_t)(q >> 32));
        return;
    }
    size_t lo = t->n_leaves;
    qs_subtree(p + dist, t);
    size_t hi = t->n_leaves; /* left subtree: leaves lo..hi-1, hi <= 31 */
    qs_subtree(p + dist + 1, t);
    size_t s = t->n_slots++;
    uint32_t left = (uint32_t)((1u << (hi - lo)) - 1) << (32 - hi);
    t->slot[s].thr[t->lane] = key_float((uint32_t)(q >> 32));
    t->slot[s].keep[t->lane] = ~left;
    t->meta[s].feature[t->lane] = (uint8_t)(q & FEAT_MASK);
    if (q & DLEFT_BIT)
        t->meta[s].dleft |= (uint16_t)(1u << t->lane);
}

/* Builds the AVX-512 kernel's arrays from the nodes. */
static void qs_build(qf_forest *f)
{
    uint32_t *first = (uint32_t *)f->qs_first;
    uint32_t *leaf0 = (uint32_t *)f->qs_leaf0;
    qs_slot *slots = (qs_slot *)f->qs_slot;
    qs_meta *meta = (qs_meta *)f->qs_meta;
    float *leaves = (float *)f->qs_leaf;
    size_t next_slot = 0, next_leaf = 1;
    for (size_t b = 0; b < f->n_blocks; b++) {
        size_t used[BLOCK] = {0}, most = 0;
        first[b] = (uint32_t)next_slot;
        for (size_t j = 0; j < BLOCK && b * BLOCK + j < f->n_trees; j++) {
            size_t k = b * BLOCK + j;
            qs_fill t = {slots + next_slot, meta + next_slot, (int)j, 0, leaves + next_leaf, 0};
            qs_subtree(f->nodes + f->root[k], &t);
            leaf0[k] = (uint32_t)next_leaf;
            next_leaf += t.n_leaves;
            used[j] = t.n_slots;
            most = t.n_slots > most ? t.n_slots : most;
        }
        /* A lane past its tree's splits (or a padding lane) keeps every leaf. */
        for (size_t s = 0; s < most; s++)
            for (size_t j = 0; j < BLOCK; j++)
                if (s >= used[j])
                    slots[next_slot + s].keep[j] = ~0u;
        next_slot += most;
    }
    first[f->n_blocks] = (uint32_t)next_slot;
}

/* Checks, counts, allocates, fills. */
static qf_rc build(const model_json *m, qf_forest **out, qf_err *err)
{
    walk w = {NULL, NULL, 0};
    counts c = {0, 0, 0, 0};
    qf_forest *f = NULL;
    qf_rc rc = count_trees(m, &w, &c, err);
    if (rc == QF_OK)
        rc = forest_alloc(m, &c, &f, err);
    if (rc == QF_OK)
        rc = fill_trees(m, &w, f, err);
    walk_free(&w);
    if (rc != QF_OK) {
        qf_forest_free(f);
        return rc;
    }
    if (f->qs_slot != NULL)
        qs_build(f);
    *out = f;
    return QF_OK;
}

qf_rc qf_forest_from_json(const char *text, size_t len, qf_forest **out_forest, qf_err *err)
{
    qf_err_clear(err);
    if (text == NULL || out_forest == NULL)
        return qf_err_set(err, QF_EINVAL, "forest: no text or no output");
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return qf_err_set(err, QF_ENOMEM, "forest: out of memory reading the JSON");
        return qf_err_set(err, QF_EPARSE, "forest: not JSON: %s (line %d, column %d)", jerr.text,
                          jerr.line, jerr.column);
    }
    model_json m;
    memset(&m, 0, sizeof m);
    qf_rc rc = read_model(doc, &m, err);
    if (rc == QF_OK)
        rc = build(&m, out_forest, err);
    json_decref(doc);
    return rc;
}

void qf_forest_free(qf_forest *f)
{
    if (f != NULL)
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
    int want = kernel == QF_FOREST_KERNEL_AUTO && f->qs_slot != NULL ? KERNEL_AVX512
               : kernel == QF_FOREST_KERNEL_AUTO                     ? KERNEL_SCALAR
                                                                     : (int)kernel;
    if (want != KERNEL_SCALAR && want != KERNEL_AVX512)
        return qf_err_set(err, QF_EINVAL, "forest: no kernel %d", (int)kernel);
    if (want == KERNEL_AVX512 && f->qs_slot == NULL)
        return qf_err_set(err, QF_EUNSUPPORTED,
                          "forest: the AVX-512 kernel needs a CPU with AVX-512 F and CD, at most "
                          "%d features and at most %d leaves a tree",
                          QS_FEAT, QS_LEAVES);
    f->kernel = want;
    return QF_OK;
}

/* ---- prediction --------------------------------------------------------- */

/* A row as the kernels read it, converted to float once as XGBoost does
 * (beyond float's range: +-inf). */
typedef struct row {
    float x[QS_FEAT];                         /* AVX-512: the values (0 past n_features) */
    int64_t word[QF_FOREST_FEATURES_MAX + 1]; /* scalar: row_word of each value; the leaf slot */
    uint8_t nan[QF_FOREST_FEATURES_MAX + 1];  /* scalar: the value is missing (NaN) */
    int missing;                              /* some value is NaN */
} row;

static void load_row(const qf_forest *f, const double *x, row *r)
{
    size_t nf = f->n_features;
    r->missing = 0;
    if (f->kernel == KERNEL_AVX512) {
        for (size_t i = 0; i < QS_FEAT; i++)
            r->x[i] = i < nf ? (float)x[i] : 0.0f;
        for (size_t i = 0; i < nf; i++)
            r->missing |= isnan(r->x[i]) != 0;
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
            p[j] += (q >> DIST_SHIFT & DIST_MASK) + (word[q & FEAT_MASK] >= (int64_t)q);
        }
    }
    for (int j = 0; j < BLOCK; j++)
        leaf[j] = key_float((uint32_t)(*p[j] >> 32));
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
            p[j] += (q >> DIST_SHIFT & DIST_MASK) + (unsigned)right;
        }
    }
    for (int j = 0; j < BLOCK; j++)
        leaf[j] = key_float((uint32_t)(*p[j] >> 32));
}

#if HAVE_AVX512
/* Block b's leaves by QuickScorer (see the file comment). A split sends x
 * right when !(x < thr): `>=` (false for NaN) where a missing value goes
 * left, `not <` (true for NaN) where it goes right; the two agree on every
 * other value, so a row without NaN needs only the first. */
__attribute__((target("avx512f,avx512cd"))) static void
qs_block(const qf_forest *f, size_t b, const float *x, int missing, float *leaf)
{
    const __m512 lo = _mm512_loadu_ps(x), hi = _mm512_loadu_ps(x + 16);
    const __m512i ones = _mm512_set1_epi32(-1);
    __m512i v = ones;
    for (uint32_t s = f->qs_first[b]; s < f->qs_first[b + 1]; s++) {
        const qs_slot *sl = &f->qs_slot[s];
        const qs_meta *me = &f->qs_meta[s];
        __m512i feat = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)me->feature));
        __m512 xv = _mm512_permutex2var_ps(lo, feat, hi);
        __m512 thr = _mm512_load_ps(sl->thr);
        __mmask16 right = _mm512_cmp_ps_mask(xv, thr, _CMP_GE_OQ);
        if (missing)
            right = _mm512_mask_cmp_ps_mask(me->dleft, xv, thr, _CMP_GE_OQ) |
                    _mm512_mask_cmp_ps_mask((__mmask16)~me->dleft, xv, thr, _CMP_NLT_UQ);
        /* The blend is off the chain from slot to slot; only the AND is on it. */
        v = _mm512_and_si512(v, _mm512_mask_blend_epi32(right, ones, _mm512_load_si512(sl->keep)));
    }
    __m512i at = _mm512_add_epi32(_mm512_lzcnt_epi32(v),
                                  _mm512_loadu_si512(f->qs_leaf0 + (size_t)b * BLOCK));
    uint32_t idx[BLOCK];
    _mm512_storeu_si512(idx, at);
    for (int j = 0; j < BLOCK; j++)
        leaf[j] = f->qs_leaf[idx[j]];
}
#endif

/* The leaves of block b's trees for row r. */
static void block_leaves(const qf_forest *f, size_t b, const row *r, float *leaf)
{
#if HAVE_AVX512
    if (f->kernel == KERNEL_AVX512) {
        qs_block(f, b, r->x, r->missing, leaf);
        return;
    }
#endif
    const uint32_t *root = f->root + b * BLOCK;
    if (r->missing)
        walk_block_missing(f->nodes, root, f->depth[b], r, leaf);
    else
        walk_block(f->nodes, root, f->depth[b], r->word, leaf);
}

/* Every group's margin: base_score plus its trees' leaves in tree order. */
static void margins(const qf_forest *f, const row *r, float *out)
{
    float leaf[BLOCK];
    float acc = f->base_score;
    for (size_t g = 0; g < f->n_groups; g++)
        out[g] = f->base_score;
    for (size_t b = 0; b < f->n_blocks; b++) {
        block_leaves(f, b, r, leaf);
        size_t first = b * BLOCK;
        size_t n = f->n_trees - first < BLOCK ? f->n_trees - first : BLOCK;
        if (f->n_groups == 1) {
            for (size_t j = 0; j < n; j++)
                acc += leaf[j];
        } else {
            for (size_t j = 0; j < n; j++)
                out[f->group[first + j]] += leaf[j];
        }
    }
    if (f->n_groups == 1)
        out[0] = acc;
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
    if (f->softmax)
        softmax(out, f->n_groups);
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
