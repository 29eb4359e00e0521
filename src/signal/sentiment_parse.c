/*
 * sentiment_parse.c - JSON Lines and headlines CSV into sentiment events
 * (sentiment_parse.h): the two line parsers, the title tagger, and the
 * whole-text reader with format detection, line numbers and in-file
 * duplicates.
 */
#include "signal/sentiment_parse.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"

#define CSV_FIELDS 4

const char *qf_sentiment_format_name(qf_sentiment_format f)
{
    return f == QF_SENTIMENT_HEADLINES_CSV ? "headlines csv" : "jsonl";
}

static int blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

static qf_rc check_line(const char *line, size_t len, qf_err *err)
{
    if (len > QF_SENTIMENT_LINE_MAX)
        return qf_err_set(err, QF_EPARSE, "line is longer than %d bytes", QF_SENTIMENT_LINE_MAX);
    if (memchr(line, '\0', len) != NULL)
        return qf_err_set(err, QF_EPARSE, "line contains a NUL byte");
    return QF_OK;
}

/* Checks the event and appends it; a check failure is a parse error. */
static qf_rc push_checked(const qf_sentiment_event *e, qf_sentiment_events *out, qf_err *err)
{
    if (qf_sentiment_event_check(e, err) != QF_OK) {
        if (err != NULL)
            err->code = QF_EPARSE;
        return QF_EPARSE;
    }
    return qf_sentiment_events_push(out, e, err);
}

/* ---- JSON Lines ------------------------------------------------------------- */

static const char *const json_keys[] = {"published_at", "source", "title", "score",
                                        "confidence",   "symbol", "url",   "label"};

static qf_rc check_keys(json_t *o, qf_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        (void)v;
        size_t k = 0;
        while (k < sizeof json_keys / sizeof json_keys[0] && strcmp(key, json_keys[k]) != 0)
            k++;
        if (k == sizeof json_keys / sizeof json_keys[0])
            return qf_err_set(err, QF_EPARSE,
                              "unknown key '%.40s' (expected published_at, source, title, score, "
                              "confidence and optionally symbol, url, label)",
                              key);
    }
    return QF_OK;
}

static qf_rc json_time(json_t *o, int64_t *out, qf_err *err)
{
    json_t *v = json_object_get(o, "published_at");
    if (v == NULL)
        return qf_err_set(err, QF_EPARSE, "published_at is missing");
    if (json_is_string(v)) {
        if (qf_time_parse_iso(json_string_value(v), out, NULL) != QF_OK)
            return qf_err_set(err, QF_EPARSE,
                              "published_at '%.40s' is not an ISO 8601 time "
                              "(2022-05-10T08:00:00Z)",
                              json_string_value(v));
        return QF_OK;
    }
    if (!json_is_integer(v))
        return qf_err_set(err, QF_EPARSE,
                          "published_at must be an ISO 8601 string or integer milliseconds");
    json_int_t ms = json_integer_value(v);
    if (ms >= 0 && ms < INT64_C(100000000000))
        return qf_err_set(err, QF_EPARSE,
                          "published_at %lld is before 1973: milliseconds expected (seconds?)",
                          (long long)ms);
    *out = (int64_t)ms;
    return QF_OK;
}

static qf_rc json_text(json_t *o, const char *key, int required, const char **out, qf_err *err)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required)
            return qf_err_set(err, QF_EPARSE, "%s is missing", key);
        return QF_OK;
    }
    if (!json_is_string(v))
        return qf_err_set(err, QF_EPARSE, "%s must be a string%s", key, required ? "" : " or null");
    *out = json_string_value(v);
    return QF_OK;
}

static qf_rc json_num(json_t *o, const char *key, double *out, qf_err *err)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return qf_err_set(err, QF_EPARSE, "%s is missing", key);
    if (!json_is_number(v))
        return qf_err_set(err, QF_EPARSE, "%s must be a number", key);
    *out = json_number_value(v);
    return QF_OK;
}

/* Reads the fields of an object into e; strings point into o. symbol is
 * upper-cased into sym. */
static qf_rc json_event(json_t *o, qf_sentiment_event *e, char *sym, size_t sym_size, qf_err *err)
{
    qf_rc rc = check_keys(o, err);
    if (rc == QF_OK)
        rc = json_time(o, &e->time, err);
    if (rc == QF_OK)
        rc = json_text(o, "source", 1, &e->source, err);
    if (rc == QF_OK)
        rc = json_text(o, "title", 1, &e->title, err);
    if (rc == QF_OK)
        rc = json_num(o, "score", &e->score, err);
    if (rc == QF_OK)
        rc = json_num(o, "confidence", &e->confidence, err);
    if (rc == QF_OK)
        rc = json_text(o, "url", 0, &e->url, err);
    if (rc == QF_OK)
        rc = json_text(o, "label", 0, &e->label, err);
    if (rc == QF_OK)
        rc = json_text(o, "symbol", 0, &e->symbol, err);
    if (rc != QF_OK || e->symbol == NULL)
        return rc;
    size_t i = 0;
    for (; e->symbol[i] != '\0' && i + 1 < sym_size; i++) {
        char c = e->symbol[i];
        sym[i] = (char)(c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c);
    }
    sym[i] = '\0';
    if (e->symbol[i] != '\0')
        return qf_err_set(err, QF_EPARSE, "symbol is longer than %d bytes",
                          QF_SENTIMENT_SYMBOL_MAX);
    e->symbol = sym;
    return QF_OK;
}

qf_rc qf_sentiment_parse_jsonl_line(const char *line, size_t len, qf_sentiment_events *out,
                                    qf_err *err)
{
    if (blank(line, len))
        return QF_OK;
    qf_rc rc = check_line(line, len, err);
    if (rc != QF_OK)
        return rc;
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL)
        return qf_err_set(err, QF_EPARSE, "not JSON: %s (column %d)", je.text, je.column);
    char sym[QF_SENTIMENT_SYMBOL_MAX + 1];
    qf_sentiment_event e;
    memset(&e, 0, sizeof e);
    if (!json_is_object(o))
        rc = qf_err_set(err, QF_EPARSE, "not a JSON object");
    else
        rc = json_event(o, &e, sym, sizeof sym, err);
    if (rc == QF_OK)
        rc = push_checked(&e, out, err);
    json_decref(o);
    return rc;
}

/* ---- headlines CSV ------------------------------------------------------------ */

/* Splits an RFC 4180 row into fields unquoted into buf (len + 1 bytes);
 * exactly CSV_FIELDS are required. */
static qf_rc split_csv(const char *s, size_t len, char *buf, char *fields[CSV_FIELDS], qf_err *err)
{
    size_t i = 0, o = 0, n = 0;
    for (;;) {
        if (n == CSV_FIELDS)
            return qf_err_set(err, QF_EPARSE,
                              "more than %d fields (expected " QF_SENTIMENT_CSV_HEADER
                              "; quote a title holding commas)",
                              CSV_FIELDS);
        fields[n++] = buf + o;
        if (i < len && s[i] == '"') {
            for (i++;; i++) {
                if (i >= len)
                    return qf_err_set(err, QF_EPARSE, "field %zu: unterminated quoted field", n);
                if (s[i] == '"' && i + 1 < len && s[i + 1] == '"')
                    i++;
                else if (s[i] == '"')
                    break;
                buf[o++] = s[i];
            }
            i++;
            if (i < len && s[i] != ',')
                return qf_err_set(err, QF_EPARSE, "field %zu: text after the closing quote", n);
        } else {
            for (; i < len && s[i] != ','; i++) {
                if (s[i] == '"')
                    return qf_err_set(err, QF_EPARSE, "field %zu: a quote inside an unquoted field",
                                      n);
                buf[o++] = s[i];
            }
        }
        buf[o++] = '\0';
        if (i >= len)
            break;
        i++; /* the comma */
    }
    if (n != CSV_FIELDS)
        return qf_err_set(err, QF_EPARSE, "%zu field(s), expected %d (" QF_SENTIMENT_CSV_HEADER ")",
                          n, CSV_FIELDS);
    return QF_OK;
}

static qf_rc label_score(const char *label, double *out, qf_err *err)
{
    if (strcmp(label, "positive") == 0)
        *out = 1.0;
    else if (strcmp(label, "neutral") == 0)
        *out = 0.0;
    else if (strcmp(label, "negative") == 0)
        *out = -1.0;
    else
        return qf_err_set(err, QF_EPARSE, "label '%.40s' must be positive, neutral or negative",
                          label);
    return QF_OK;
}

qf_rc qf_sentiment_parse_csv_line(const char *line, size_t len, qf_sentiment_events *out,
                                  qf_err *err)
{
    char buf[QF_SENTIMENT_LINE_MAX + 1];
    char *f[CSV_FIELDS];
    qf_rc rc = check_line(line, len, err);
    if (rc == QF_OK)
        rc = split_csv(line, len, buf, f, err);
    if (rc != QF_OK)
        return rc;
    qf_sentiment_event e;
    memset(&e, 0, sizeof e);
    if (qf_time_parse_iso(f[0], &e.time, NULL) != QF_OK)
        return qf_err_set(err, QF_EPARSE,
                          "published_at_utc '%.40s' is not an ISO 8601 time (2022-03-08T04:34:00Z)",
                          f[0]);
    rc = label_score(f[3], &e.score, err);
    if (rc != QF_OK)
        return rc;
    e.source = f[1];
    e.title = f[2];
    e.label = f[3];
    e.confidence = QF_SENTIMENT_WEAK_LABEL_CONFIDENCE;
    e.symbol = qf_sentiment_tag_title(e.title);
    return push_checked(&e, out, err);
}

/* ---- tagging ------------------------------------------------------------------ */

typedef struct asset_names {
    const char *asset;
    const char *names[4]; /* lower case; a word in any case matches */
    const char *caps;     /* a ticker that is also a word: matches in capitals only */
} asset_names;

static const asset_names assets[] = {
    {"BTC", {"bitcoin", "btc"}, NULL},
    {"ETH", {"ethereum", "ether", "eth"}, NULL},
    {"SOL", {"solana"}, "SOL"},
    {"AVAX", {"avalanche", "avax"}, NULL},
    {"DOGE", {"dogecoin", "doge"}, NULL},
    {"XRP", {"xrp", "ripple"}, NULL},
    {"ADA", {"cardano"}, "ADA"},
    {"BNB", {"bnb"}, NULL},
    {"LUNA", {"luna"}, NULL},
    {"DOT", {"polkadot"}, "DOT"},
    {"LTC", {"litecoin", "ltc"}, NULL},
    {"SHIB", {"shib"}, NULL},
    {"MATIC", {"polygon", "matic"}, NULL},
};

#define N_ASSETS (sizeof assets / sizeof assets[0])

/* The asset a word (len bytes; lower: its lower-case copy) names, or -1. */
static int word_asset(const char *word, const char *lower, size_t len)
{
    for (size_t a = 0; a < N_ASSETS; a++) {
        for (size_t k = 0; k < 4 && assets[a].names[k] != NULL; k++)
            if (strlen(assets[a].names[k]) == len && memcmp(assets[a].names[k], lower, len) == 0)
                return (int)a;
        if (assets[a].caps != NULL && strlen(assets[a].caps) == len &&
            memcmp(assets[a].caps, word, len) == 0)
            return (int)a;
    }
    return -1;
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

const char *qf_sentiment_tag_title(const char *title)
{
    int found = -1;
    for (const char *p = title; *p != '\0';) {
        if (!is_alnum(*p)) {
            p++;
            continue;
        }
        const char *w = p;
        char lower[16];
        size_t len = 0;
        for (; is_alnum(*p); p++, len++)
            if (len < sizeof lower)
                lower[len] = (char)(*p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p);
        int a = len < sizeof lower ? word_asset(w, lower, len) : -1;
        if (a >= 0 && found >= 0 && a != found)
            return NULL; /* two assets: market-wide */
        if (a >= 0)
            found = a;
    }
    return found >= 0 ? assets[found].asset : NULL;
}

/* ---- whole texts ----------------------------------------------------------------- */

typedef struct line_numbers {
    size_t *v;
    size_t n, cap;
} line_numbers;

static qf_rc note_line(line_numbers *ln, size_t line, qf_err *err)
{
    if (ln->n == ln->cap) {
        size_t cap = ln->cap > 0 ? ln->cap * 2 : 256;
        size_t *v = realloc(ln->v, cap * sizeof *v);
        if (v == NULL)
            return qf_err_set(err, QF_ENOMEM, "out of memory reading sentiment events");
        ln->v = v;
        ln->cap = cap;
    }
    ln->v[ln->n++] = line;
    return QF_OK;
}

/* Finds the format from the first non-blank line. */
static qf_rc detect(const char *line, size_t len, qf_sentiment_format *out, qf_err *err)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i < len && line[i] == '{') {
        *out = QF_SENTIMENT_JSONL;
        return QF_OK;
    }
    if (len == strlen(QF_SENTIMENT_CSV_HEADER) && memcmp(line, QF_SENTIMENT_CSV_HEADER, len) == 0) {
        *out = QF_SENTIMENT_HEADLINES_CSV;
        return QF_OK;
    }
    return qf_err_set(err, QF_EPARSE,
                      "neither JSON Lines (a JSON object per line) nor the headlines CSV "
                      "(header " QF_SENTIMENT_CSV_HEADER ")");
}

typedef struct reader {
    const char *name;
    int have_format;
    size_t err_line; /* physical line an error is about, 0 for none */
    qf_sentiment_parse_report rep;
    line_numbers lines; /* physical line of each event appended */
} reader;

static qf_rc read_line(reader *r, const char *line, size_t len, qf_sentiment_events *out,
                       qf_err *err)
{
    if (!r->have_format) {
        if (blank(line, len))
            return QF_OK;
        qf_rc rc = detect(line, len, &r->rep.format, err);
        r->have_format = 1;
        if (rc != QF_OK || r->rep.format == QF_SENTIMENT_HEADLINES_CSV)
            return rc; /* the header holds no event */
    }
    size_t before = out->n;
    qf_rc rc = QF_OK;
    if (r->rep.format == QF_SENTIMENT_JSONL)
        rc = qf_sentiment_parse_jsonl_line(line, len, out, err);
    else if (!blank(line, len))
        rc = qf_sentiment_parse_csv_line(line, len, out, err);
    if (rc == QF_OK && out->n > before)
        rc = note_line(&r->lines, r->rep.lines, err);
    return rc;
}

static qf_rc read_all(reader *r, const char *text, size_t len, qf_sentiment_events *out,
                      qf_err *err)
{
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        len -= 3;
    }
    const char *nul = memchr(text, '\0', len);
    size_t end = nul != NULL ? (size_t)(nul - text) : len;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t stop = nl != NULL ? (size_t)(nl - text) : len;
        r->rep.lines++;
        if (stop > end) {
            r->err_line = r->rep.lines;
            return qf_err_set(err, QF_EPARSE, "binary data (a NUL byte), not a text file");
        }
        size_t n = stop - pos;
        if (n > 0 && text[stop - 1] == '\r')
            n--;
        qf_rc rc = read_line(r, text + pos, n, out, err);
        if (rc != QF_OK) {
            r->err_line = r->rep.lines;
            return rc;
        }
        pos = stop + 1;
    }
    if (!r->have_format)
        return qf_err_set(err, QF_EPARSE, "empty input: no events");
    return QF_OK;
}

/* ---- duplicates within one text ---------------------------------------------------- */

typedef struct hashed {
    uint64_t h;
    size_t i;
} hashed;

static int cmp_hashed(const void *pa, const void *pb)
{
    const hashed *x = pa;
    const hashed *y = pb;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static uint64_t key_hash(const qf_sentiment_event *e)
{
    char key[QF_SENTIMENT_KEY_MAX];
    size_t n = qf_sentiment_event_key(e, key, sizeof key);
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)key[i]) * UINT64_C(1099511628211);
    return h;
}

static int same_key(const qf_sentiment_event *a, const qf_sentiment_event *b)
{
    char ka[QF_SENTIMENT_KEY_MAX];
    char kb[QF_SENTIMENT_KEY_MAX];
    qf_sentiment_event_key(a, ka, sizeof ka);
    qf_sentiment_event_key(b, kb, sizeof kb);
    return strcmp(ka, kb) == 0;
}

static int same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

static int same_values(const qf_sentiment_event *a, const qf_sentiment_event *b)
{
    return a->score == b->score && a->confidence == b->confidence &&
           same_text(a->title, b->title) && same_text(a->url, b->url) &&
           same_text(a->label, b->label);
}

/* Marks in dup[] the events (of ev[0..n)) that repeat an earlier one; an
 * earlier event with the same key and other values is an error. */
static qf_rc mark_duplicates(reader *r, const qf_sentiment_event *ev, size_t n, unsigned char *dup,
                             qf_err *err)
{
    hashed *h = malloc((n > 0 ? n : 1) * sizeof *h);
    if (h == NULL)
        return qf_err_set(err, QF_ENOMEM, "out of memory checking %zu events", n);
    for (size_t i = 0; i < n; i++)
        h[i] = (hashed){key_hash(&ev[i]), i};
    qsort(h, n, sizeof *h, cmp_hashed);
    qf_rc rc = QF_OK;
    for (size_t s = 0, e = 0; s < n && rc == QF_OK; s = e) {
        for (e = s + 1; e < n && h[e].h == h[s].h;)
            e++;
        for (size_t k = s + 1; k < e && rc == QF_OK; k++) {
            size_t j = s;
            while (j < k && !same_key(&ev[h[j].i], &ev[h[k].i]))
                j++;
            if (j == k)
                continue; /* a hash collision, not a repeat */
            if (same_values(&ev[h[j].i], &ev[h[k].i])) {
                dup[h[k].i] = 1;
                continue;
            }
            r->err_line = r->lines.v[h[k].i];
            rc = qf_err_set(err, QF_EPARSE,
                            "repeats the event of line %zu (same time, source, symbol and "
                            "title) with a different score, confidence, title, url or label",
                            r->lines.v[h[j].i]);
        }
    }
    free(h);
    return rc;
}

/* Drops the events marked in dup from out[n0..]. */
static qf_rc compact(qf_sentiment_events *out, size_t n0, const unsigned char *dup, qf_err *err)
{
    qf_sentiment_events keep;
    qf_sentiment_events_init(&keep);
    qf_rc rc = QF_OK;
    for (size_t i = n0; i < out->n && rc == QF_OK; i++)
        if (!dup[i - n0])
            rc = qf_sentiment_events_push(&keep, &out->v[i], err);
    if (rc == QF_OK)
        qf_sentiment_events_truncate(out, n0);
    for (size_t i = 0; i < keep.n && rc == QF_OK; i++)
        rc = qf_sentiment_events_push(out, &keep.v[i], err);
    qf_sentiment_events_cleanup(&keep);
    return rc;
}

static qf_rc drop_duplicates(reader *r, qf_sentiment_events *out, size_t n0, qf_err *err)
{
    size_t n = out->n - n0;
    unsigned char *dup = calloc(n > 0 ? n : 1, 1);
    if (dup == NULL)
        return qf_err_set(err, QF_ENOMEM, "out of memory checking %zu events", n);
    qf_rc rc = mark_duplicates(r, out->v + n0, n, dup, err);
    for (size_t i = 0; i < n && rc == QF_OK; i++)
        r->rep.duplicates += dup[i];
    if (rc == QF_OK && r->rep.duplicates > 0)
        rc = compact(out, n0, dup, err);
    free(dup);
    return rc;
}

qf_rc qf_sentiment_parse_text(const char *text, size_t len, const char *name,
                              qf_sentiment_events *out, qf_sentiment_parse_report *out_report,
                              qf_err *err)
{
    qf_err_clear(err);
    if (name == NULL)
        name = "input";
    if (out == NULL || (text == NULL && len > 0))
        return qf_err_set(err, QF_EINVAL, "%s: no text or no output", name);
    reader r;
    memset(&r, 0, sizeof r);
    r.name = name;
    size_t n0 = out->n;
    qf_rc rc = read_all(&r, text != NULL ? text : "", len, out, err);
    if (rc == QF_OK) {
        r.rep.events = out->n - n0;
        rc = drop_duplicates(&r, out, n0, err);
    }
    if (rc != QF_OK) {
        qf_sentiment_events_truncate(out, n0);
        if (r.err_line > 0)
            qf_err_prefix(err, "%s:%zu", name, r.err_line);
        else
            qf_err_prefix(err, "%s", name);
        free(r.lines.v);
        return rc;
    }
    for (size_t i = n0; i < out->n; i++)
        r.rep.tagged += out->v[i].symbol != NULL;
    free(r.lines.v);
    if (out_report != NULL)
        *out_report = r.rep;
    return QF_OK;
}
