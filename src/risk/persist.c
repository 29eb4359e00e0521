/*
 * persist.c - rejected orders to the audit trail, drawdown marks to
 * risk_metrics and back (persist.h). Thin glue over the store.
 */
#include "risk/persist.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A number, or null for NaN (JSON has no NaN). */
static json_t *number(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* The detail object of a rejection, as text in buf. */
static qf_rc rejection_detail(const qf_risk_order *o, const qf_risk_verdict *v, char *buf,
                              size_t size, qf_err *err)
{
    json_t *d = json_object();
    int bad = d == NULL;
    bad = bad || json_object_set_new(d, "reason", json_string(qf_risk_reason_name(v->reason)));
    bad = bad || json_object_set_new(d, "value", number(v->value));
    bad = bad || json_object_set_new(d, "limit", number(v->limit));
    bad = bad || json_object_set_new(d, "quantity", number(o->quantity));
    bad = bad || json_object_set_new(d, "price", number(o->price));
    bad = bad || json_object_set_new(d, "drawdown", number(v->drawdown));
    bad = bad || json_object_set_new(d, "reducing", json_boolean(v->reducing));
    size_t n = bad ? 0 : json_dumpb(d, buf, size - 1, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(d);
    if (bad || n == 0 || n >= size)
        return qf_err_set(err, QF_ENOMEM, "risk: cannot format the rejection detail");
    buf[n] = '\0';
    return QF_OK;
}

qf_rc qf_risk_record_rejection(qf_store *store, const char *account, const qf_risk_order *order,
                               const qf_risk_verdict *v, const char *actor, int64_t now,
                               int64_t *out_id, qf_err *err)
{
    qf_err_clear(err);
    if (order == NULL || v == NULL || order->symbol == NULL || account == NULL || actor == NULL)
        return qf_err_set(err, QF_EINVAL,
                          "risk: rejection without an order, verdict, account "
                          "or actor");
    if (v->reason <= QF_RISK_OK || v->reason >= QF_RISK_REASON_COUNT)
        return qf_err_set(err, QF_EINVAL, "risk: the verdict rejects nothing (reason %s)",
                          qf_risk_reason_name(v->reason));
    qf_risk_event ev;
    memset(&ev, 0, sizeof ev);
    if (strlen(account) >= sizeof ev.account || strlen(order->symbol) >= sizeof ev.symbol ||
        strlen(actor) >= sizeof ev.actor)
        return qf_err_set(err, QF_EINVAL, "risk: account, symbol or actor too long");
    strcpy(ev.account, account);
    ev.time = now;
    strcpy(ev.kind, QF_RISK_EVENT_REJECTED);
    strcpy(ev.symbol, order->symbol);
    strcpy(ev.actor, actor);
    strcpy(ev.message, v->message);
    qf_rc rc = rejection_detail(order, v, ev.detail, sizeof ev.detail, err);
    if (rc == QF_OK)
        rc = qf_store_insert_risk_event(store, &ev, out_id, err);
    return rc;
}

qf_rc qf_risk_record_drawdown(qf_store *store, const char *account, const qf_drawdown *dd,
                              qf_err *err)
{
    qf_err_clear(err);
    if (dd == NULL || dd->n == 0)
        return qf_err_set(err, QF_EINVAL, "risk: no drawdown mark to record");
    qf_risk_metric m = {dd->time, dd->equity, dd->drawdown, dd->max_drawdown, NAN, NAN, NAN,
                        NAN,      NAN,        NAN};
    return qf_store_upsert_risk_metrics(store, account, &m, 1, err);
}

qf_rc qf_risk_load_drawdown(qf_store *store, const char *account, qf_drawdown *dd, qf_err *err)
{
    qf_err_clear(err);
    if (dd == NULL)
        return qf_err_set(err, QF_EINVAL, "risk: no drawdown monitor");
    qf_risk_metric *rows = NULL;
    size_t n = 0;
    qf_rc rc = qf_store_query_risk_metrics(store, account, INT64_MIN, INT64_MAX, &rows, &n, err);
    if (rc != QF_OK)
        return rc;
    int64_t *t = malloc((n > 0 ? n : 1) * sizeof *t);
    double *e = malloc((n > 0 ? n : 1) * sizeof *e);
    size_t k = 0;
    if (t == NULL || e == NULL)
        rc = qf_err_set(err, QF_ENOMEM, "risk: out of memory reading %zu equity marks", n);
    for (size_t i = 0; rc == QF_OK && i < n; i++) {
        if (isnan(rows[i].equity))
            continue;
        t[k] = rows[i].time;
        e[k++] = rows[i].equity;
    }
    if (rc == QF_OK)
        rc = qf_drawdown_seed(dd, t, e, k, err);
    if (rc != QF_OK)
        qf_err_prefix(err, "risk: seeding the drawdown of account %s", account);
    free(t);
    free(e);
    free(rows);
    return rc;
}
