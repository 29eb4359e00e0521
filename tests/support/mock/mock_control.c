/*
 * mock_control.c - the /__mock/ control API, so another process can steer a
 * mock it did not start (`quantflow mock-exchange`, the ccxt test):
 *
 *   POST /__mock/advance?ms=N        clock forward (fills resting orders)
 *   POST /__mock/skew?ms=N           set the clock skew (may be negative)
 *   POST /__mock/fault?kind=K&path=P&count=N&param=X
 *        K: 429 418 500 503 slow malformed truncated html wrong_types ack_500
 *           ack_drop ack_hang query_unknown ack_408 none (none clears the queue)
 *   POST /__mock/release             let held (ack_hang) replies go
 *   POST /__mock/balance?asset=A&free=D
 *   GET  /__mock/stats               {"requests",...,"now"}
 *   GET  /__mock/orders?client_id=C  {"count": orders created with that id}
 *
 * Replies are JSON; a bad parameter is 400 {"error": "..."} naming it.
 * Handlers run with the mock's lock held, like every endpoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

static const struct {
    const char *name;
    qf_mock_fault_kind kind;
} KINDS[] = {{"none", QF_MOCK_FAULT_NONE},
             {"429", QF_MOCK_FAULT_429},
             {"418", QF_MOCK_FAULT_418},
             {"500", QF_MOCK_FAULT_500},
             {"503", QF_MOCK_FAULT_503},
             {"slow", QF_MOCK_FAULT_SLOW},
             {"malformed", QF_MOCK_FAULT_MALFORMED},
             {"truncated", QF_MOCK_FAULT_TRUNCATED},
             {"html", QF_MOCK_FAULT_HTML},
             {"wrong_types", QF_MOCK_FAULT_WRONG_TYPES},
             {"ack_500", QF_MOCK_FAULT_ACK_500},
             {"ack_drop", QF_MOCK_FAULT_ACK_DROP},
             {"ack_hang", QF_MOCK_FAULT_ACK_HANG},
             {"query_unknown", QF_MOCK_FAULT_QUERY_UNKNOWN},
             {"ack_408", QF_MOCK_FAULT_ACK_408}};

static void bad(mock_resp *out, const char *what)
{
    resp_json(out, 400, json_pack("{s:s}", "error", what));
}

static bool int_arg(const mock_req *r, const char *name, bool required, int64_t *v, mock_resp *out)
{
    const char *s = req_param(r, name);
    if (!s && !required)
        return true;
    if (!s || !mock_parse_i64(s, v)) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s: an integer is required", name);
        bad(out, msg);
        return false;
    }
    return true;
}

static void fault(qf_mock *m, const mock_req *r, mock_resp *out)
{
    const char *k = req_param(r, "kind"), *path = req_param(r, "path");
    int64_t count = 1, param = 0;
    if (!int_arg(r, "count", false, &count, out) || !int_arg(r, "param", false, &param, out))
        return;
    int found = -1;
    for (size_t i = 0; k && i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (strcmp(KINDS[i].name, k) == 0)
            found = (int)i;
    if (found < 0) {
        bad(out, "kind: one of none 429 418 500 503 slow malformed truncated html wrong_types "
                 "ack_500 ack_drop ack_hang query_unknown ack_408");
        return;
    }
    if (path && strlen(path) >= sizeof m->faults[0].prefix) {
        bad(out, "path: too long");
        return;
    }
    if (KINDS[found].kind == QF_MOCK_FAULT_NONE || count <= 0) {
        m->nfaults = 0;
    } else if (m->nfaults >= MOCK_MAX_FAULTS) {
        bad(out, "too many queued faults");
        return;
    } else {
        mock_fault *f = &m->faults[m->nfaults++];
        snprintf(f->prefix, sizeof f->prefix, "%s", path ? path : "");
        f->kind = KINDS[found].kind;
        f->count = (int)(count > 1000000 ? 1000000 : count);
        f->param = (long)param;
    }
    resp_json(out, 200, json_pack("{s:i}", "queued", m->nfaults));
}

static void stats(qf_mock *m, mock_resp *out)
{
    qf_mock_stats s = m->stats;
    resp_json(out, 200,
              json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "requests", (json_int_t)s.requests,
                        "orders_created", (json_int_t)s.orders_created, "max_weight_1m",
                        (json_int_t)s.max_weight_1m, "ban_count", (json_int_t)s.ban_count,
                        "held_acks", (json_int_t)s.held_acks, "rejected_429",
                        (json_int_t)s.rejected_429, "now", (json_int_t)mock_now_locked(m)));
}

bool mock_control(qf_mock *m, mock_req *r, mock_resp *out)
{
    const char *p = r->path + strlen("/__mock");
    bool post = strcmp(r->method, "POST") == 0, get = strcmp(r->method, "GET") == 0;
    int64_t v = 0;
    if (post && strcmp(p, "/advance") == 0) {
        if (!int_arg(r, "ms", true, &v, out))
            return true;
        if (v < 0) {
            bad(out, "ms: must be >= 0");
            return true;
        }
        mock_match_to(m, mock_now_locked(m));
        m->advanced_ms += v;
        mock_match_to(m, mock_now_locked(m));
        resp_json(out, 200, json_pack("{s:I}", "now", (json_int_t)mock_now_locked(m)));
    } else if (post && strcmp(p, "/skew") == 0) {
        if (!int_arg(r, "ms", true, &v, out))
            return true;
        mock_match_to(m, mock_now_locked(m));
        m->skew_ms = v;
        if (mock_now_locked(m) > m->matched_to)
            m->matched_to = mock_now_locked(m);
        resp_json(out, 200, json_pack("{s:I}", "now", (json_int_t)mock_now_locked(m)));
    } else if (post && strcmp(p, "/fault") == 0) {
        fault(m, r, out);
    } else if (post && strcmp(p, "/release") == 0) {
        m->release_gen++;
        pthread_cond_broadcast(&m->cv);
        resp_json(out, 200, json_object());
    } else if (post && strcmp(p, "/balance") == 0) {
        const char *a = req_param(r, "asset"), *f = req_param(r, "free");
        mock_u u;
        if (!a || !*a || strlen(a) >= sizeof m->bal[0].asset)
            bad(out, "asset: required, at most 7 characters");
        else if (!f || mock_parse_units(f, &u) != 0)
            bad(out, "free: a decimal with at most 8 decimals is required");
        else {
            mock_balance_of(m, a)->free = u;
            resp_json(out, 200, json_object());
        }
    } else if (get && strcmp(p, "/stats") == 0) {
        stats(m, out);
    } else if (get && strcmp(p, "/orders") == 0) {
        const char *cid = req_param(r, "client_id");
        json_int_t n = 0;
        for (size_t i = 0; i < m->norders; i++)
            if (!cid || strcmp(m->orders[i].client_id, cid) == 0)
                n++;
        resp_json(out, 200, json_pack("{s:I}", "count", n));
    } else {
        return false;
    }
    return true;
}
