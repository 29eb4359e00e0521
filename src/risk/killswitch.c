/*
 * killswitch.c - the kill switch (killswitch.h): persisted through the
 * store for live and paper accounts, in memory for backtests.
 *
 * The persisted path leaves the decision "did it change?" to the store,
 * which reads and writes in one transaction, then reads the state back, so
 * ks->state is what the store holds even when another process got there
 * first.
 */
#include "risk/killswitch.h"

#include <stdio.h>
#include <string.h>

void qf_killswitch_init_memory(qf_killswitch *ks)
{
    memset(ks, 0, sizeof *ks);
}

qf_rc qf_killswitch_open(qf_killswitch *ks, qf_store *store, const char *account, qf_err *err)
{
    qf_err_clear(err);
    if (ks == NULL || store == NULL)
        return qf_err_set(err, QF_EINVAL, "kill switch: no switch or no store");
    qf_kill_switch_state st;
    qf_rc rc = qf_store_get_kill_switch(store, account, &st, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "kill switch");
    ks->store = store;
    snprintf(ks->account, sizeof ks->account, "%s", account);
    ks->state = st;
    return QF_OK;
}

qf_rc qf_killswitch_refresh(qf_killswitch *ks, qf_err *err)
{
    qf_err_clear(err);
    if (ks == NULL)
        return qf_err_set(err, QF_EINVAL, "kill switch: no switch");
    if (ks->store == NULL)
        return QF_OK;
    qf_kill_switch_state st;
    qf_rc rc = qf_store_get_kill_switch(ks->store, ks->account, &st, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "kill switch");
    ks->state = st;
    return QF_OK;
}

int qf_killswitch_engaged(const qf_killswitch *ks)
{
    return ks != NULL && ks->state.engaged;
}

/* The store's rule for texts, for the memory-only switch: 1..size-1 bytes,
 * no control characters, something besides spaces. */
static int text_ok(const char *s, size_t size)
{
    if (s == NULL || strlen(s) >= size)
        return 0;
    int visible = 0;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            return 0;
        visible |= c != ' ';
    }
    return visible;
}

/* What a change leaves in the state. */
static void apply(qf_kill_switch_state *st, int engaged, const char *reason, const char *actor,
                  int64_t now)
{
    st->engaged = engaged;
    st->changed_at = now;
    snprintf(st->changed_by, sizeof st->changed_by, "%s", actor);
    snprintf(st->reason, sizeof st->reason, "%s", reason);
}

static qf_rc set_memory(qf_killswitch *ks, int engaged, const char *reason, const char *actor,
                        int64_t now, int *changed, qf_err *err)
{
    if (!text_ok(actor, sizeof ks->state.changed_by))
        return qf_err_set(err, QF_EINVAL, "an actor is required (1..%zu bytes)",
                          sizeof ks->state.changed_by - 1);
    if (!text_ok(reason, sizeof ks->state.reason))
        return qf_err_set(err, QF_EINVAL,
                          "a reason is required (1..%zu bytes, no control characters, not only "
                          "spaces)",
                          sizeof ks->state.reason - 1);
    if (ks->state.engaged == engaged)
        return QF_OK;
    apply(&ks->state, engaged, reason, actor, now);
    *changed = 1;
    return QF_OK;
}

static qf_rc set_persisted(qf_killswitch *ks, int engaged, const char *reason, const char *actor,
                           int64_t now, int *changed, qf_err *err)
{
    qf_rc rc =
        qf_store_set_kill_switch(ks->store, ks->account, engaged, reason, actor, now, changed, err);
    if (rc != QF_OK)
        return rc;
    /* Stored: read back what the store holds (when unchanged, the earlier
     * change's reason and actor). Should the read fail, the stored switch
     * is still in the state asked for, so say that much and succeed. */
    qf_kill_switch_state st;
    if (qf_store_get_kill_switch(ks->store, ks->account, &st, NULL) == QF_OK) {
        ks->state = st;
    } else if (*changed) {
        apply(&ks->state, engaged, reason, actor, now);
    } else {
        ks->state.engaged = engaged;
    }
    return QF_OK;
}

static qf_rc set(qf_killswitch *ks, int engaged, const char *reason, const char *actor, int64_t now,
                 int *out_changed, qf_err *err)
{
    int changed = 0;
    qf_err_clear(err);
    if (out_changed != NULL)
        *out_changed = 0;
    if (ks == NULL)
        return qf_err_set(err, QF_EINVAL, "kill switch: no switch");
    qf_rc rc = ks->store == NULL ? set_memory(ks, engaged, reason, actor, now, &changed, err)
                                 : set_persisted(ks, engaged, reason, actor, now, &changed, err);
    if (rc != QF_OK)
        return qf_err_prefix(err, "kill switch %s", engaged ? "trip" : "reset");
    if (out_changed != NULL)
        *out_changed = changed;
    return QF_OK;
}

qf_rc qf_killswitch_trip(qf_killswitch *ks, const char *reason, const char *actor, int64_t now,
                         int *out_changed, qf_err *err)
{
    return set(ks, 1, reason, actor, now, out_changed, err);
}

qf_rc qf_killswitch_reset(qf_killswitch *ks, const char *reason, const char *actor, int64_t now,
                          int *out_changed, qf_err *err)
{
    return set(ks, 0, reason, actor, now, out_changed, err);
}
