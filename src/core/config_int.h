/*
 * config_int.h - what the config_*.c files share and nobody else uses: the
 * key table, the value converters and rules, the small YAML tree built from
 * libfyaml's events (with byte offsets, for loading and for patching files),
 * and the YAML writers. Tests include it to reach the table.
 *
 * Files: config.c (init, load, set, copy-then-commit, secrets),
 * config_schema.c (the key table), config_value.c (text -> field, per-key
 * rules, messages), config_validate.c (cross-field rules), config_env.c
 * (${VAR:default}), config_yaml.c (YAML tree), config_apply.c (tree ->
 * struct), config_write.c (YAML/JSON out), config_save.c (patching a file in
 * place).
 */
#ifndef QF_CORE_CONFIG_INT_H
#define QF_CORE_CONFIG_INT_H

#include <stddef.h>
#include <stdio.h>

#include "core/config.h"

/* ---- the key table (config_schema.c) ---------------------------------- */

typedef enum {
    QF_CT_STRING,  /* char array */
    QF_CT_ENUM,    /* char array holding one of `choices` */
    QF_CT_INT,     /* int */
    QF_CT_DOUBLE,  /* double, finite */
    QF_CT_BOOL,    /* bool */
    QF_CT_STRLIST, /* char [max_n][size] + size_t count */
    QF_CT_DBLLIST  /* double [max_n] + size_t count */
} qf_cfg_type;

/* Allowed interval of a number (or of each element of a double list). */
typedef struct qf_cfg_range {
    double lo, hi;
    unsigned char has_lo, has_hi;   /* bound present */
    unsigned char lo_open, hi_open; /* bound excluded */
} qf_cfg_range;

#define QF_CF_SECRET     0x01u /* masked in output, registered with the logger */
#define QF_CF_NONEMPTY   0x02u /* string: not ""; list: at least one element */
#define QF_CF_INCREASING 0x04u /* double list: strictly increasing */
#define QF_CF_UNIQUE     0x08u /* string list: no duplicates */
#define QF_CF_NEW        0x10u /* QuantFlow's own key (the original lacked it) */

/* Extra rule on one string value (timeframe, symbol, URL); returns a reason
 * ("must be ...") or NULL when the value is fine. */
typedef const char *(*qf_cfg_check_fn)(const char *value);

typedef struct qf_cfg_key {
    const char *path; /* dotted YAML path, equal to the struct member path */
    qf_cfg_type type;
    size_t off;            /* offset of the field in qf_config */
    size_t size;           /* strings: array size; string lists: one element's size */
    size_t count_off;      /* lists: offset of the size_t count */
    size_t max_n;          /* lists: capacity */
    const char *def;       /* default as written in config/default.yaml */
    qf_cfg_range range;    /* numbers */
    const char *choices;   /* enums and string-list elements: "a|b|c"; NULL = any */
    qf_cfg_check_fn check; /* strings and string-list elements; may be NULL */
    unsigned flags;        /* QF_CF_* */
    const char *doc;       /* one line: what and unit */
} qf_cfg_key;

#define QF_CFG_KEYS_MAX 256
#define QF_CFG_PATH_MAX 128 /* longest dotted path we look up */

extern const qf_cfg_key qf_cfg_keys[];
extern const size_t qf_cfg_n_keys;

/* Index of the key with this path (len bytes), or -1. */
int qf_cfg_find(const char *path, size_t len);
/* Nonzero when some key lies below this path (len bytes): it names a section. */
int qf_cfg_is_section(const char *path, size_t len);
/* Number of dot-separated segments of a path. */
size_t qf_cfg_depth(const char *path);
/* Start and length of segment i of path (0-based). */
const char *qf_cfg_segment(const char *path, size_t i, size_t *out_len);

/* ---- values (config_value.c) ------------------------------------------ */

#define QF_CFG_VALUE_MAX 4096 /* longest scalar after ${} substitution */

/* Where a value came from, for messages. */
typedef struct qf_cfg_where {
    const char *src; /* file name or "--set"; NULL when unknown */
    int line;        /* 1-based line of the value, 0 unknown */
} qf_cfg_where;

/* Sets err to "config: <formatted>" plus " (src:line)" (or " (src)") when
 * known, and returns code. */
qf_rc qf_cfg_fail(qf_err *err, qf_rc code, const char *src, int line, const char *fmt, ...)
    QF_PRINTF(5, 6);

/* Converts text (len bytes, may hold NUL) into the scalar field of key k in
 * cfg and checks k's rule on it. On failure the field may hold garbage (the
 * caller works on a copy) and err names the key, the reason and the text. */
qf_rc qf_cfg_parse_scalar(qf_config *cfg, const qf_cfg_key *k, const char *text, size_t len,
                          const qf_cfg_where *w, qf_err *err);
/* Same for element idx (< max_n) of a list key; the count is not touched. */
qf_rc qf_cfg_parse_elem(qf_config *cfg, const qf_cfg_key *k, size_t idx, const char *text,
                        size_t len, const qf_cfg_where *w, qf_err *err);
/* Rules on a whole list (non-empty, increasing, unique), after its elements. */
qf_rc qf_cfg_check_list(const qf_config *cfg, const qf_cfg_key *k, const qf_cfg_where *w,
                        qf_err *err);
/* Checks every rule of key k on cfg's current value (the message shows it). */
qf_rc qf_cfg_check(const qf_config *cfg, const qf_cfg_key *k, const qf_cfg_where *w, qf_err *err);

/* Field access. */
void *qf_cfg_field(qf_config *cfg, const qf_cfg_key *k);
const void *qf_cfg_cfield(const qf_config *cfg, const qf_cfg_key *k);
size_t qf_cfg_count(const qf_config *cfg, const qf_cfg_key *k);
void qf_cfg_set_count(qf_config *cfg, const qf_cfg_key *k, size_t n);
/* Nonzero when key k has the same value in a and b. */
int qf_cfg_equal(const qf_config *a, const qf_config *b, const qf_cfg_key *k);

/* Shortest "%.*g" text that reads back as v, with ".0" added to integral
 * values so YAML readers see a float ("2.0", "1e+20"). */
void qf_cfg_format_double(double v, char *buf, size_t size);

/* ---- environment (config_env.c) --------------------------------------- */

/* Replaces ${VAR} and ${VAR:default} in in[0..len) into out (size bytes,
 * NUL-terminated, *out_len = length). "$${" stands for a literal "${". With
 * use_env 0 every variable counts as unset. Returns NULL, or the reason the
 * text is malformed or too long. */
const char *qf_cfg_env_subst(const char *in, size_t len, int use_env, char *out, size_t size,
                             size_t *out_len);
/* Nonzero when in[0..len) holds a ${...} reference. */
int qf_cfg_env_has_ref(const char *in, size_t len);

/* ---- the YAML tree (config_yaml.c) ------------------------------------ */

typedef enum { QF_YN_SCALAR, QF_YN_SEQ, QF_YN_MAP } qf_yn_kind;

typedef struct qf_ynode {
    qf_yn_kind kind;
    int style;   /* scalars: enum fy_scalar_style; collections: 1 block, 0 flow */
    int is_null; /* plain "", "~", "null": no value given */
    char *text;  /* scalars: decoded text, NUL-terminated (may hold NULs; see len) */
    size_t len;
    int has_span;           /* 0 for an empty scalar, which has no text of its own */
    size_t start, end;      /* byte span (quotes and flow brackets included); an empty
                               scalar sits just after its key's ':' (start == end) */
    int line;               /* 1-based line of the node's start (of the key for empty scalars) */
    int col;                /* 0-based column of the start */
    struct qf_ynode **kids; /* sequences: items; mappings: key, value, key, value, ... */
    size_t n, cap;          /* children used / allocated */
} qf_ynode;

#define QF_CFG_YAML_DEPTH_MAX 32

/* Parses one YAML document. *out_root is NULL for a stream without one
 * (only comments). Errors: QF_EPARSE (syntax, several documents, aliases,
 * tags, non-scalar or duplicate keys, too deep), QF_ENOMEM. */
qf_rc qf_cfg_yaml_parse(const char *text, size_t len, const char *src, qf_ynode **out_root,
                        qf_err *err);
void qf_cfg_yaml_free(qf_ynode *node);
/* Value of the mapping entry named key (len bytes), or NULL. */
const qf_ynode *qf_cfg_yaml_get(const qf_ynode *map, const char *key, size_t len);

/* ---- tree -> struct (config_apply.c) ---------------------------------- */

typedef struct qf_cfg_load {
    qf_config *cfg;             /* the copy being filled */
    const char *src;            /* file name or "--set" for messages */
    int lines[QF_CFG_KEYS_MAX]; /* line each key was set on (0 = not set here) */
    int warn_unknown_top;       /* unknown top-level sections: warn (1), error (0),
                                   ignore silently (2, re-reading a file we saved) */
    int redis_set;              /* redis.url was given (logged: it is unused) */
} qf_cfg_load;

/* Applies node (the value found at path, "" for the document root) to
 * ld->cfg: per-key conversion and rules, no cross-field rules. */
qf_rc qf_cfg_apply(qf_cfg_load *ld, const qf_ynode *node, const char *path, qf_err *err);

/* Cross-field and per-key rules; on failure the message is located with
 * lines[]/src when the offending key came from there (both may be NULL). */
qf_rc qf_cfg_validate(const qf_config *cfg, const int *lines, const char *src, qf_err *err);

/* Loads text (len bytes) over cfg with copy-then-commit; the shared path of
 * load_file/load_string. quiet: unknown top-level sections are not logged. */
qf_rc qf_cfg_load_text(qf_config *cfg, const char *text, size_t len, const char *src, int quiet,
                       qf_err *err);
/* Reads a whole config file (at most QF_CONFIG_FILE_MAX bytes) into a malloc'd,
 * NUL-terminated buffer. QF_EIO (missing, directory, unreadable, too large). */
qf_rc qf_cfg_read_file(const char *path, char **out_text, size_t *out_len, qf_err *err);

/* ---- output (config_write.c) ------------------------------------------ */

#define QF_CFG_OUT_MASK     0x01 /* non-empty secrets as "***" */
#define QF_CFG_OUT_DEFAULTS 0x02 /* values equal to `defaults` as their default text */
#define QF_CFG_OUT_DOCS     0x04 /* a comment with the key's doc after each value */

/* Writes the value of key k as YAML: flow style for lists, scalars quoted
 * where plain text would read differently ("'yes'"; "${X}" as '$${X}'). */
void qf_cfg_write_value(FILE *out, const qf_config *cfg, const qf_cfg_key *k, int flags);
/* Writes the keys whose want[i] is set as block YAML, dropping the first skip
 * segments of their paths, indent spaces deep, step more per level. With
 * QF_CFG_OUT_DEFAULTS, keys whose value equals the one in defaults are
 * written as their default text (placeholders kept). */
void qf_cfg_write_block(FILE *out, const qf_config *cfg, const qf_config *defaults,
                        const unsigned char *want, size_t skip, int indent, int step, int flags);
/* Writes list key k as block sequence items ("- a", "- b"), the first at the
 * current position, the others on new lines col spaces deep; no final newline. */
void qf_cfg_write_items(FILE *out, const qf_config *cfg, const qf_cfg_key *k, int col);
/* Same as one flow mapping body ("a: 1, b: {c: 2}"), no braces. */
void qf_cfg_write_flow(FILE *out, const qf_config *cfg, const unsigned char *want, size_t skip,
                       int flags);

#endif
