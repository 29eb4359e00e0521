/*
 * test_drawdown.c - the drawdown monitor by hand: marked-to-market equity
 * (an open position's unrealized loss is a drawdown before any trade is
 * closed), the running peak, max drawdown, seeding from a history on
 * restart (through a real SQLite store closed and reopened), and bad input
 * that is QF_EINVAL and leaves the monitor as it was.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "risk/checks.h"
#include "risk/drawdown.h"
#include "risk/persist.h"
#include "store/store.h"
#include "testutil.h"

#define T0  INT64_C(1767700800000)
#define BAR INT64_C(14400000)
#define EPS 1e-12

static qf_position position(const char *symbol, double qty, double entry, double mark)
{
    qf_position p;
    memset(&p, 0, sizeof p);
    snprintf(p.symbol, sizeof p.symbol, "%s", symbol);
    p.quantity = qty;
    p.avg_entry = entry;
    p.mark_price = mark;
    return p;
}

Test(drawdown, unrealized_loss_is_drawdown)
{
    /* 50,000 cash and 1 BTC bought at 50,000: equity 100,000 at the entry
     * mark. The price falls to 40,000; nothing is sold, realized PnL stays 0,
     * but equity is 90,000: 10 % below the peak. */
    qf_position btc = position("BTC/USDT", 1.0, 50000, 50000);
    qf_drawdown dd;
    qf_drawdown_init(&dd);
    double eq = 0;
    qf_err err;
    cr_assert_eq(qf_drawdown_mtm_equity(50000, &btc, 1, &eq, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(eq, 100000);
    cr_assert_eq(qf_drawdown_update(&dd, T0, eq, &err), QF_OK);
    btc.mark_price = 40000;
    cr_assert_eq(btc.realized_pnl, 0);
    cr_assert_eq(qf_drawdown_mtm_equity(50000, &btc, 1, &eq, &err), QF_OK);
    cr_assert_eq(eq, 90000);
    cr_assert_eq(qf_drawdown_update(&dd, T0 + BAR, eq, &err), QF_OK);
    cr_assert_float_eq(dd.drawdown, 0.1, EPS);
    cr_assert_eq(dd.peak, 100000);
    cr_assert_eq(dd.peak_time, T0);
    /* A 16 % fall breaches the 15 % limit with the position still open. */
    btc.mark_price = 34000;
    cr_assert_eq(qf_drawdown_mtm_equity(50000, &btc, 1, &eq, &err), QF_OK);
    cr_assert_eq(qf_drawdown_update(&dd, T0 + 2 * BAR, eq, &err), QF_OK);
    cr_assert_float_eq(dd.drawdown, 0.16, EPS);
    cr_assert(qf_drawdown_breached(&dd, 0.15));
}

Test(drawdown, mtm_equity_with_shorts_and_flats)
{
    /* cash 130,000 after shorting 1 BTC at 50,000 (proceeds in cash), plus
     * 10 ETH at 3,100; BTC now 52,000 (a 2,000 loss), a flat SOL with no
     * mark: 130,000 - 52,000 + 31,000 = 109,000. */
    qf_position p[3] = {position("BTC/USDT", -1, 50000, 52000),
                        position("ETH/USDT", 10, 3000, 3100), position("SOL/USDT", 0, 0, NAN)};
    double eq = 0;
    qf_err err;
    cr_assert_eq(qf_drawdown_mtm_equity(130000, p, 3, &eq, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(eq, 109000);
    cr_assert_eq(qf_drawdown_mtm_equity(5, NULL, 0, &eq, &err), QF_OK);
    cr_assert_eq(eq, 5);
}

Test(drawdown, running_peak_by_hand)
{
    /* 100, 110 (peak), 99 (-10 %), 104.5 (-5 %), 121 (new peak), 108.9 (-10 %). */
    const double eq[] = {100, 110, 99, 104.5, 121, 108.9};
    const double want[] = {0, 0, 0.1, 0.05, 0, 0.1};
    qf_drawdown dd;
    qf_drawdown_init(&dd);
    cr_assert_eq(dd.drawdown, 0);
    cr_assert(isnan(dd.peak));
    cr_assert(!qf_drawdown_breached(&dd, 0.15));
    qf_err err;
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(qf_drawdown_update(&dd, T0 + i * BAR, eq[i], &err), QF_OK);
        cr_assert_float_eq(dd.drawdown, want[i], EPS, "step %d", i);
    }
    cr_assert_eq(dd.peak, 121);
    cr_assert_eq(dd.peak_time, T0 + 4 * BAR);
    cr_assert_float_eq(dd.max_drawdown, 0.1, EPS);
    cr_assert_eq(dd.n, 6);
    cr_assert(qf_drawdown_breached(&dd, 0.1 - 1e-9));
    cr_assert(!qf_drawdown_breached(&dd, 0.15));
    /* Negative equity: more than 100 % down. */
    cr_assert_eq(qf_drawdown_update(&dd, T0 + 6 * BAR, -12.1, &err), QF_OK);
    cr_assert_float_eq(dd.drawdown, 1.1, EPS);
}

Test(drawdown, seeding_keeps_the_old_peak)
{
    /* Stored history: 100k, 120k (peak), 90k (-25 %), 110k. After a restart
     * the monitor knows the 120k peak and the 25 % worst; a new mark at 100k
     * is 16.7 % down and breaches 15 %. A monitor started fresh at 100k
     * would have seen no drawdown at all. */
    const int64_t t[] = {T0, T0 + BAR, T0 + 2 * BAR, T0 + 3 * BAR};
    const double e[] = {100000, 120000, 90000, 110000};
    qf_drawdown dd;
    qf_drawdown_init(&dd);
    qf_err err;
    cr_assert_eq(qf_drawdown_seed(&dd, t, e, 4, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(dd.peak, 120000);
    cr_assert_eq(dd.peak_time, T0 + BAR);
    cr_assert_eq(dd.equity, 110000);
    cr_assert_float_eq(dd.drawdown, 1.0 / 12.0, EPS);
    cr_assert_float_eq(dd.max_drawdown, 0.25, EPS);
    cr_assert_eq(qf_drawdown_update(&dd, T0 + 4 * BAR, 100000, &err), QF_OK);
    cr_assert_float_eq(dd.drawdown, 1.0 / 6.0, EPS);
    cr_assert(qf_drawdown_breached(&dd, 0.15));

    qf_drawdown fresh;
    qf_drawdown_init(&fresh);
    cr_assert_eq(qf_drawdown_update(&fresh, T0 + 4 * BAR, 100000, &err), QF_OK);
    cr_assert_eq(fresh.drawdown, 0);

    /* Seeding replaces whatever was there; an empty history empties it. */
    cr_assert_eq(qf_drawdown_seed(&dd, NULL, NULL, 0, &err), QF_OK);
    cr_assert_eq(dd.n, 0);
    cr_assert(isnan(dd.peak));
}

Test(drawdown, seeded_from_a_reopened_store)
{
    char *dir = qf_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/risk.db", dir);
    qf_store *st = NULL;
    qf_err err;
    cr_assert_eq(qf_store_open_sqlite(path, &st, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(qf_store_migrate(st, NULL, &err), QF_OK);

    /* The live run marks and records 100k, 120k, 90k, 110k. */
    const double e[] = {100000, 120000, 90000, 110000};
    qf_drawdown dd;
    qf_drawdown_init(&dd);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(qf_drawdown_update(&dd, T0 + i * BAR, e[i], &err), QF_OK);
        cr_assert_eq(qf_risk_record_drawdown(st, "paper", &dd, &err), QF_OK, "%s", err.msg);
    }
    /* A metrics row without equity (another writer's) is not a mark. */
    qf_risk_metric other = {T0 + 5 * BAR, NAN, NAN, NAN, 0.5, NAN, NAN, NAN, NAN, NAN};
    cr_assert_eq(qf_store_upsert_risk_metrics(st, "paper", &other, 1, &err), QF_OK);
    qf_store_close(st);

    /* Restart. */
    st = NULL;
    cr_assert_eq(qf_store_open_sqlite(path, &st, &err), QF_OK, "%s", err.msg);
    qf_drawdown again;
    qf_drawdown_init(&again);
    cr_assert_eq(qf_risk_load_drawdown(st, "paper", &again, &err), QF_OK, "%s", err.msg);
    cr_assert_eq(again.n, 4);
    cr_assert_eq(again.peak, 120000);
    cr_assert_eq(again.peak_time, T0 + BAR);
    cr_assert_eq(again.equity, 110000);
    cr_assert_float_eq(again.max_drawdown, 0.25, EPS);
    cr_assert_eq(memcmp(&again, &dd, sizeof dd), 0, "the same state as before the restart");

    /* Another account has no history: an empty monitor. */
    qf_drawdown none;
    qf_drawdown_init(&none);
    cr_assert_eq(qf_risk_load_drawdown(st, "live", &none, &err), QF_OK);
    cr_assert_eq(none.n, 0);

    /* Bad input to the store side changes nothing either. */
    qf_drawdown empty;
    qf_drawdown_init(&empty);
    cr_assert_eq(qf_risk_record_drawdown(st, "paper", &empty, &err), QF_EINVAL);
    cr_assert_eq(qf_risk_load_drawdown(st, "bad name", &again, &err), QF_EINVAL);
    cr_assert_eq(again.peak, 120000);
    qf_store_close(st);
    qf_test_rmtree(dir);
    free(dir);
}

Test(drawdown, bad_input_changes_nothing)
{
    qf_drawdown dd;
    qf_drawdown_init(&dd);
    qf_err err;
    cr_assert_eq(qf_drawdown_update(&dd, T0, 100, &err), QF_OK);
    cr_assert_eq(qf_drawdown_update(&dd, T0 + BAR, 90, &err), QF_OK);
    qf_drawdown before = dd;

    cr_assert_eq(qf_drawdown_update(&dd, T0 + 2 * BAR, NAN, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "equity must be finite") != NULL, "%s", err.msg);
    cr_assert_eq(qf_drawdown_update(&dd, T0 + 2 * BAR, INFINITY, &err), QF_EINVAL);
    cr_assert_eq(qf_drawdown_update(&dd, T0, 95, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "backwards") != NULL, "%s", err.msg);
    cr_assert_eq(memcmp(&dd, &before, sizeof dd), 0);

    const int64_t t[] = {T0, T0 + BAR, T0 + 2 * BAR};
    const double e[] = {100, 120, NAN};
    cr_assert_eq(qf_drawdown_seed(&dd, t, e, 3, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "history entry 2") != NULL, "%s", err.msg);
    const int64_t back[] = {T0, T0 - 1};
    cr_assert_eq(qf_drawdown_seed(&dd, back, e, 2, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "history entry 1") != NULL, "%s", err.msg);
    cr_assert_eq(qf_drawdown_seed(&dd, NULL, e, 2, &err), QF_EINVAL);
    cr_assert_eq(memcmp(&dd, &before, sizeof dd), 0);

    double eq = 42;
    qf_position p = position("BTC/USDT", 1, 50000, NAN);
    cr_assert_eq(qf_drawdown_mtm_equity(1000, &p, 1, &eq, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "mark_price") != NULL, "%s", err.msg);
    p = position("BTC/USDT", NAN, 50000, 50000);
    cr_assert_eq(qf_drawdown_mtm_equity(1000, &p, 1, &eq, &err), QF_EINVAL);
    cr_assert_eq(qf_drawdown_mtm_equity(NAN, NULL, 0, &eq, &err), QF_EINVAL);
    cr_assert(strstr(err.msg, "cash") != NULL, "%s", err.msg);
    cr_assert_eq(eq, 42);
    cr_assert_eq(qf_drawdown_update(NULL, T0, 1, &err), QF_EINVAL);
}
