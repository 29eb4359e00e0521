/*
 * test_sentiment.c - the sentiment scorer against hand-computed cases: the
 * weighted mean, the decay, confidence and credibility, the staleness edge,
 * the as-of cut (no lookahead), each anti-manipulation filter (same-source
 * duplicates with their window and chains, cross-source bursts with the
 * Jaccard threshold, the per-source cap keeping the most recent), the
 * parameters from the configuration, bad input; and the event helpers
 * (normalised titles, dedup keys, the owning array).
 *
 * Titles are chosen so that the word sets' Jaccard similarity is known.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/config.h"
#include "signal/sentiment.h"

#define H   INT64_C(3600000)
#define T0  INT64_C(1652140800000) /* 2022-05-10T00:00:00Z */
#define EPS 1e-12

static qf_sentiment_params params(void)
{
    qf_sentiment_params p;
    memset(&p, 0, sizeof p);
    p.half_life_hours = 12;
    p.staleness_hours = 24;
    p.dedup_window_hours = 6;
    p.max_events_per_source = 10;
    p.burst_window_hours = 1;
    p.burst_similarity = 0.8;
    p.unknown_source_weight = 0.3;
    strcpy(p.sources[0].name, "CoinTelegraph");
    p.sources[0].weight = 1.0;
    strcpy(p.sources[1].name, "CryptoNews");
    p.sources[1].weight = 0.5;
    p.n_sources = 2;
    return p;
}

static qf_sentiment_event ev(int64_t time, const char *source, const char *title, double score,
                             double conf)
{
    qf_sentiment_event e = {time, source, title, NULL, NULL, NULL, score, conf};
    return e;
}

static qf_sentiment_result score_at(const qf_sentiment_params *p, const qf_sentiment_event *e,
                                    size_t n, int64_t t)
{
    qf_sentiment_result r;
    qf_err err;
    cr_assert_eq(qf_sentiment_score_at(p, e, n, t, &r, &err), QF_OK, "%s", err.msg);
    /* the prepared scorer over all events gives the same bits */
    qf_sentiment_scorer *s = NULL;
    cr_assert_eq(qf_sentiment_scorer_new(p, e, n, &s, &err), QF_OK, "%s", err.msg);
    qf_sentiment_result full;
    qf_sentiment_scorer_score(s, t, &full);
    qf_sentiment_scorer_free(s);
    cr_assert(memcmp(&full.score, &r.score, sizeof r.score) == 0, "%.17g vs %.17g", full.score,
              r.score);
    cr_assert_eq(full.counted, r.counted);
    cr_assert_eq(full.stale, r.stale);
    return r;
}

Test(sentiment, no_events_is_neutral)
{
    qf_sentiment_params p = params();
    qf_sentiment_result r = score_at(&p, NULL, 0, T0);
    cr_expect_float_eq(r.score, 0.0, EPS);
    cr_expect_eq(r.counted, 0);
    cr_expect_eq(r.visible, 0);
    /* events all in the future: still neutral */
    qf_sentiment_event e[] = {ev(T0 + 1, "CoinTelegraph", "Bitcoin rallies", 0.9, 1)};
    r = score_at(&p, e, 1, T0);
    cr_expect_float_eq(r.score, 0.0, EPS);
    cr_expect_eq(r.visible, 0);
    /* zero confidence: counted, but no weight, so neutral */
    e[0].time = T0;
    e[0].confidence = 0;
    r = score_at(&p, e, 1, T0);
    cr_expect_eq(r.counted, 1);
    cr_expect_float_eq(r.weight, 0.0, EPS);
    cr_expect_float_eq(r.score, 0.0, EPS);
}

Test(sentiment, decay_halves_per_half_life)
{
    qf_sentiment_params p = params();
    qf_sentiment_event e[] = {
        ev(T0 - 12 * H, "CoinTelegraph", "Bitcoin rallies past resistance", 1, 1),
        ev(T0, "CoinTelegraph", "Ether slides after upgrade delay", -1, 1),
    };
    /* weights 0.5 and 1: (0.5 - 1) / 1.5 */
    qf_sentiment_result r = score_at(&p, e, 2, T0);
    cr_expect_float_eq(r.score, -1.0 / 3.0, EPS);
    cr_expect_float_eq(r.weight, 1.5, EPS);
    cr_expect_eq(r.counted, 2);
    /* six hours later: 2^-1.5 and 2^-0.5 */
    double a = exp2(-1.5), b = exp2(-0.5);
    r = score_at(&p, e, 2, T0 + 6 * H);
    cr_expect_float_eq(r.score, (a - b) / (a + b), EPS);
    /* a single event's score whatever its weight */
    r = score_at(&p, e, 1, T0 + 5 * H);
    cr_expect_float_eq(r.score, 1.0, EPS);
}

Test(sentiment, confidence_and_credibility)
{
    qf_sentiment_params p = params();
    qf_sentiment_event e[] = {
        ev(T0, "CoinTelegraph", "Bitcoin rallies past resistance", 1, 0.5), /* 1.0 * 0.5 */
        ev(T0, "cryptonews", "Ether slides after upgrade delay", -1, 1),    /* 0.5 * 1 */
        ev(T0, "SomeBlog", "Solana outage ends after ten hours", 1, 1),     /* 0.3 * 1 */
    };
    qf_sentiment_result r = score_at(&p, e, 3, T0);
    cr_expect_float_eq(r.weight, 1.3, EPS);
    cr_expect_float_eq(r.score, 0.3 / 1.3, EPS);
    cr_expect_float_eq(qf_sentiment_credibility(&p, "COINTELEGRAPH"), 1.0, EPS);
    cr_expect_float_eq(qf_sentiment_credibility(&p, "CryptoNews"), 0.5, EPS);
    cr_expect_float_eq(qf_sentiment_credibility(&p, "CryptoNewsX"), 0.3, EPS);
    /* a muted source (weight 0) counts for nothing */
    p.unknown_source_weight = 0;
    r = score_at(&p, e, 3, T0);
    cr_expect_float_eq(r.score, 0.0, EPS);
}

Test(sentiment, staleness_edge_is_inclusive)
{
    qf_sentiment_params p = params();
    qf_sentiment_event e[] = {
        ev(T0 - 24 * H - 1, "CoinTelegraph", "Bitcoin rallies past resistance", 1, 1),
        ev(T0 - 24 * H, "CoinTelegraph", "Ether slides after upgrade delay", -1, 1),
    };
    qf_sentiment_result r = score_at(&p, e, 2, T0);
    cr_expect_eq(r.stale, 1);
    cr_expect_eq(r.visible, 1);
    cr_expect_eq(r.counted, 1);
    cr_expect_float_eq(r.score, -1.0, EPS);
    cr_expect_float_eq(r.weight, 0.25, EPS);
    r = score_at(&p, e, 2, T0 + 1);
    cr_expect_eq(r.stale, 2);
    cr_expect_float_eq(r.score, 0.0, EPS);
}

Test(sentiment, as_of_cut_sees_no_later_event)
{
    qf_sentiment_params p = params();
    qf_sentiment_event e[] = {
        ev(T0 - 2 * H, "CoinTelegraph", "Bitcoin rallies past resistance", 0.4, 1),
        ev(T0, "CryptoNews", "Ether slides after upgrade delay", -0.2, 1),
        ev(T0 + 1, "CoinTelegraph", "Celsius freezes withdrawals", -1, 1),
        ev(T0 + 3 * H, "CryptoNews", "Terra stablecoin loses its peg", -1, 1),
    };
    /* at T0 the third and fourth are invisible */
    double w0 = exp2(-2.0 / 12), w1 = 0.5;
    qf_sentiment_result r = score_at(&p, e, 4, T0);
    cr_expect_eq(r.visible, 2);
    cr_expect_float_eq(r.score, (w0 * 0.4 + w1 * -0.2) / (w0 + w1), EPS);
    /* identical on the prefix that ends at T0 */
    qf_sentiment_result prefix = score_at(&p, e, 2, T0);
    cr_expect(memcmp(&prefix.score, &r.score, sizeof r.score) == 0);
    /* the next millisecond sees the third */
    qf_sentiment_result later = score_at(&p, e, 4, T0 + 1);
    cr_expect_eq(later.visible, 3);
    cr_expect(later.score < r.score);
    /* a series gives what single calls give, in any order of times */
    qf_err err;
    qf_sentiment_scorer *s = NULL;
    cr_assert_eq(qf_sentiment_scorer_new(&p, e, 4, &s, &err), QF_OK, "%s", err.msg);
    int64_t times[] = {T0 + 4 * H, T0, T0 - 3 * H, T0 + 1, T0 + 30 * H};
    double out[5];
    size_t counted[5];
    qf_sentiment_scorer_series(s, times, 5, out, counted);
    for (size_t i = 0; i < 5; i++) {
        qf_sentiment_result one = score_at(&p, e, 4, times[i]);
        cr_expect(memcmp(&one.score, &out[i], sizeof out[i]) == 0, "time %zu", i);
        cr_expect_eq(one.counted, counted[i]);
    }
    cr_expect_float_eq(out[2], 0.0, EPS);
    qf_sentiment_scorer_free(s);
}

Test(sentiment, duplicates_within_the_window_count_once)
{
    qf_sentiment_params p = params();
    qf_sentiment_event e[] = {
        ev(T0 - 5 * H, "CoinTelegraph", "Bitcoin hits $40K!", 1, 1),
        ev(T0, "coinTelegraph", "  bitcoin HITS 40k ", -1, 1), /* same normalised title */
    };
    qf_sentiment_result r = score_at(&p, e, 2, T0);
    cr_expect_eq(r.duplicates, 1);
    cr_expect_eq(r.counted, 1);
    cr_expect_float_eq(r.score, 1.0, EPS);
    /* 6 h apart: still a duplicate (the window is inclusive) */
    e[0].time = T0 - 6 * H;
    r = score_at(&p, e, 2, T0);
    cr_expect_eq(r.duplicates, 1);
    /* 6 h + 1 ms apart: two events */
    e[0].time = T0 - 6 * H - 1;
    r = score_at(&p, e, 2, T0);
    cr_expect_eq(r.duplicates, 0);
    cr_expect_eq(r.counted, 2);
    /* another source with the same title, 2 h later (past the burst window): not a duplicate */
    qf_sentiment_event f[] = {
        ev(T0 - 2 * H, "CoinTelegraph", "Bitcoin hits $40K!", 1, 1),
        ev(T0, "CryptoNews", "Bitcoin hits $40K!", 1, 1),
    };
    r = score_at(&p, f, 2, T0);
    cr_expect_eq(r.duplicates, 0);
    cr_expect_eq(r.bursts, 0);
    cr_expect_eq(r.counted, 2);
}

Test(sentiment, duplicate_chains_and_stale_originals)
{
    qf_sentiment_params p = params();
    /* repeats every 5 h: each is a copy of the one before */
    qf_sentiment_event e[] = {
        ev(T0, "SomeBlog", "Buy DOGE now", 1, 1),
        ev(T0 + 5 * H, "SomeBlog", "Buy DOGE now", 1, 1),
        ev(T0 + 10 * H, "SomeBlog", "Buy DOGE now", 1, 1),
    };
    qf_sentiment_result r = score_at(&p, e, 3, T0 + 10 * H);
    cr_expect_eq(r.counted, 1);
    cr_expect_eq(r.duplicates, 2);
    /* when the first is stale, the second counts and the third is still its copy */
    r = score_at(&p, e, 3, T0 + 24 * H + 1);
    cr_expect_eq(r.stale, 1);
    cr_expect_eq(r.counted, 1);
    cr_expect_eq(r.duplicates, 1);
    qf_err err;
    qf_sentiment_scorer *s = NULL;
    cr_assert_eq(qf_sentiment_scorer_new(&p, e, 3, &s, &err), QF_OK, "%s", err.msg);
    qf_sentiment_status st[3];
    double w[3];
    qf_sentiment_scorer_explain(s, T0 + 24 * H + 1, &r, st, w);
    cr_expect_eq(st[0], QF_SENTIMENT_STALE);
    cr_expect_eq(st[1], QF_SENTIMENT_COUNTED);
    cr_expect_eq(st[2], QF_SENTIMENT_DUPLICATE);
    cr_expect_float_eq(w[1], 0.3 * exp2(-(19.0 + 1.0 / 3600000) / 12), EPS);
    cr_expect_float_eq(w[2], 0.0, EPS);
    qf_sentiment_scorer_explain(s, T0 + 5 * H - 1, &r, st, NULL);
    cr_expect_eq(st[0], QF_SENTIMENT_COUNTED);
    cr_expect_eq(st[1], QF_SENTIMENT_FUTURE);
    cr_expect_eq(st[2], QF_SENTIMENT_FUTURE);
    cr_expect_str_eq(qf_sentiment_status_name(QF_SENTIMENT_BURST), "burst");
    qf_sentiment_scorer_free(s);
}

/* 11 words, and the same plus "again": Jaccard 11/12. */
#define SURGE       "Bitcoin price surges past 40,000 dollars as ETF hopes grow"
#define SURGE_AGAIN "BITCOIN price surges past 40,000 dollars as ETF hopes grow again"

Test(sentiment, bursts_across_sources_count_once)
{
    qf_sentiment_params p = params();
    qf_sentiment_event e[] = {
        ev(T0 - 50 * 60000, "SomeBlog", SURGE, 0.2, 1),
        ev(T0 - 20 * 60000, "CoinTelegraph", SURGE_AGAIN, 1, 1),
        ev(T0 - 10 * 60000, "CryptoNews", SURGE "!!", 1, 1),
        ev(T0, "CryptoNews", "Bitcoin price falls below 30,000 dollars", -1, 1),
    };
    qf_sentiment_result r = score_at(&p, e, 4, T0);
    cr_expect_eq(r.bursts, 2);
    cr_expect_eq(r.counted, 2);
    /* the burst counts as its first event (SomeBlog, 0.3 credibility) */
    double w0 = 0.3 * exp2(-(50.0 / 60) / 12), w3 = 0.5;
    cr_expect_float_eq(r.score, (w0 * 0.2 + w3 * -1) / (w0 + w3), EPS);
    /* a chain: each copy within an hour of the previous one */
    qf_sentiment_event chain[] = {
        ev(T0 - 100 * 60000, "SomeBlog", SURGE, 0.2, 1),
        ev(T0 - 45 * 60000, "CoinTelegraph", SURGE_AGAIN, 1, 1),
        ev(T0, "CryptoNews", SURGE, 1, 1),
    };
    r = score_at(&p, chain, 3, T0);
    cr_expect_eq(r.bursts, 2);
    cr_expect_eq(r.counted, 1);
}

Test(sentiment, burst_window_and_similarity_edges)
{
    qf_sentiment_params p = params();
    /* exactly one hour apart: a burst; one hour and 1 ms: two events */
    qf_sentiment_event e[] = {
        ev(T0 - H, "SomeBlog", SURGE, 0.2, 1),
        ev(T0, "CoinTelegraph", SURGE_AGAIN, 1, 1),
    };
    cr_expect_eq(score_at(&p, e, 2, T0).bursts, 1);
    e[0].time = T0 - H - 1;
    cr_expect_eq(score_at(&p, e, 2, T0).bursts, 0);
    /* Jaccard 4/5 = 0.8 is near-identical, 3/4 = 0.75 is not */
    qf_sentiment_event f[] = {
        ev(T0 - 60000, "SomeBlog", "alpha beta gamma delta", 1, 1),
        ev(T0, "CoinTelegraph", "Alpha, beta, gamma, delta, epsilon", 1, 1),
    };
    cr_expect_eq(score_at(&p, f, 2, T0).bursts, 1);
    f[1].title = "alpha beta gamma epsilon";
    cr_expect_eq(score_at(&p, f, 2, T0).bursts, 0);
    f[0].title = "alpha beta gamma";
    f[1].title = "alpha beta gamma delta";
    cr_expect_eq(score_at(&p, f, 2, T0).bursts, 0);
    /* repeated words count once: {alpha beta gamma} both */
    f[1].title = "alpha alpha beta gamma gamma";
    cr_expect_eq(score_at(&p, f, 2, T0).bursts, 1);
    /* a lower threshold joins them */
    p.burst_similarity = 0.75;
    f[1].title = "alpha beta gamma delta";
    cr_expect_eq(score_at(&p, f, 2, T0).bursts, 1);
    /* a burst whose first event went stale no longer hides the rest */
    p.burst_similarity = 0.8;
    p.staleness_hours = 0.5;
    qf_sentiment_event g[] = {
        ev(T0 - 40 * 60000, "SomeBlog", SURGE, 0.2, 1),
        ev(T0 - 10 * 60000, "CoinTelegraph", SURGE_AGAIN, 1, 1),
    };
    qf_sentiment_result r = score_at(&p, g, 2, T0);
    cr_expect_eq(r.stale, 1);
    cr_expect_eq(r.bursts, 0);
    cr_expect_float_eq(r.score, 1.0, EPS);
}

Test(sentiment, per_source_cap_keeps_the_most_recent)
{
    qf_sentiment_params p = params();
    p.max_events_per_source = 2;
    qf_sentiment_event e[] = {
        ev(T0 - 3 * H, "SomeBlog", "Bitcoin rallies past resistance", 1, 1),
        ev(T0 - 2 * H, "SomeBlog", "Ether slides after upgrade delay", -1, 1),
        ev(T0 - 2 * H, "CoinTelegraph", "Celsius freezes withdrawals", -1, 1),
        ev(T0 - 1 * H, "SomeBlog", "Solana outage ends after ten hours", -0.5, 1),
        ev(T0, "SomeBlog", "Solana outage ends after ten hours", -0.5, 1), /* duplicate */
    };
    qf_sentiment_result r = score_at(&p, e, 5, T0);
    cr_expect_eq(r.duplicates, 1);
    cr_expect_eq(r.capped, 1); /* the oldest SomeBlog event; the duplicate took no slot */
    cr_expect_eq(r.counted, 3);
    double w1 = 0.3 * exp2(-2.0 / 12), w2 = exp2(-2.0 / 12), w3 = 0.3 * exp2(-1.0 / 12);
    cr_expect_float_eq(r.score, (-w1 - w2 - 0.5 * w3) / (w1 + w2 + w3), EPS);
    /* as of an hour earlier the cap keeps the first two */
    r = score_at(&p, e, 5, T0 - 90 * 60000);
    cr_expect_eq(r.capped, 0);
    cr_expect_eq(r.counted, 3);
}

Test(sentiment, params_from_config)
{
    qf_config cfg;
    qf_config_init(&cfg);
    qf_sentiment_params p;
    qf_err err;
    cr_assert_eq(qf_sentiment_params_from_config(&cfg.sentiment, &p, &err), QF_OK, "%s", err.msg);
    cr_expect_float_eq(p.half_life_hours, 12, EPS);
    cr_expect_float_eq(p.staleness_hours, 24, EPS);
    cr_expect_float_eq(p.dedup_window_hours, 6, EPS);
    cr_expect_eq(p.max_events_per_source, 10);
    cr_expect_float_eq(p.burst_window_hours, 1, EPS);
    cr_expect_float_eq(p.burst_similarity, 0.8, EPS);
    cr_expect_float_eq(p.unknown_source_weight, 0.3, EPS);
    cr_expect_eq(p.n_sources, 3);
    cr_expect_float_eq(qf_sentiment_credibility(&p, "cryptopotato"), 1.0, EPS);
    cr_expect_float_eq(qf_sentiment_credibility(&p, "Reddit"), 0.3, EPS);
    cr_assert_eq(
        qf_config_set(&cfg, "sentiment.source_weights=[Reddit=0.1, CoinTelegraph=0.9]", &err),
        QF_OK, "%s", err.msg);
    cr_assert_eq(qf_sentiment_params_from_config(&cfg.sentiment, &p, &err), QF_OK, "%s", err.msg);
    cr_expect_float_eq(qf_sentiment_credibility(&p, "reddit"), 0.1, EPS);
    cr_expect_float_eq(qf_sentiment_credibility(&p, "CryptoPotato"), 0.3, EPS);
    /* the config rejects malformed entries with the key path */
    cr_expect_neq(qf_config_set(&cfg, "sentiment.source_weights=[Reddit]", &err), QF_OK);
    cr_expect(strstr(err.msg, "sentiment.source_weights") != NULL, "%s", err.msg);
    cr_expect_neq(qf_config_set(&cfg, "sentiment.source_weights=[Reddit=1.5]", &err), QF_OK);
    cr_expect_neq(qf_config_set(&cfg, "sentiment.burst_similarity=0", &err), QF_OK);
    cr_expect_neq(qf_config_set(&cfg, "sentiment.unknown_source_weight=-0.1", &err), QF_OK);
    /* names differing only in case are one source: refused here */
    cr_assert_eq(qf_config_set(&cfg, "sentiment.source_weights=[Reddit=0.1, reddit=0.2]", &err),
                 QF_OK, "%s", err.msg);
    cr_expect_eq(qf_sentiment_params_from_config(&cfg.sentiment, &p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "two weights") != NULL, "%s", err.msg);
    qf_config_cleanup(&cfg);
}

Test(sentiment, bad_params)
{
    qf_err err;
    qf_sentiment_params p = params();
    cr_expect_eq(qf_sentiment_params_check(&p, &err), QF_OK);
    p.half_life_hours = 0;
    cr_expect_eq(qf_sentiment_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "half-life") != NULL, "%s", err.msg);
    p = params();
    p.staleness_hours = NAN;
    cr_expect_eq(qf_sentiment_params_check(&p, &err), QF_EINVAL);
    p = params();
    p.dedup_window_hours = -1;
    cr_expect_eq(qf_sentiment_params_check(&p, &err), QF_EINVAL);
    p = params();
    p.max_events_per_source = 0;
    cr_expect_eq(qf_sentiment_params_check(&p, &err), QF_EINVAL);
    p = params();
    p.burst_similarity = 1.01;
    cr_expect_eq(qf_sentiment_params_check(&p, &err), QF_EINVAL);
    p = params();
    p.sources[1].weight = 2;
    cr_expect_eq(qf_sentiment_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "CryptoNews") != NULL, "%s", err.msg);
    p = params();
    strcpy(p.sources[1].name, "COINTELEGRAPH");
    cr_expect_eq(qf_sentiment_params_check(&p, &err), QF_EINVAL);
    p = params();
    qf_sentiment_scorer *s = NULL;
    qf_sentiment_result r;
    p.max_events_per_source = -3;
    cr_expect_eq(qf_sentiment_scorer_new(&p, NULL, 0, &s, &err), QF_EINVAL);
    cr_expect_null(s);
    cr_expect_eq(qf_sentiment_score_at(&p, NULL, 0, T0, &r, &err), QF_EINVAL);
}

Test(sentiment, bad_events)
{
    qf_err err;
    qf_sentiment_params p = params();
    qf_sentiment_scorer *s = NULL;
    qf_sentiment_event e[] = {
        ev(T0, "CoinTelegraph", "Bitcoin rallies past resistance", 1, 1),
        ev(T0 - 1, "CoinTelegraph", "Ether slides after upgrade delay", -1, 1),
    };
    cr_expect_eq(qf_sentiment_scorer_new(&p, e, 2, &s, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "event 1 is older than event 0") != NULL, "%s", err.msg);
    cr_expect_null(s);
    e[1].time = T0;
    e[1].score = 1.5;
    cr_expect_eq(qf_sentiment_scorer_new(&p, e, 2, &s, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "event 1: score 1.5") != NULL, "%s", err.msg);
    e[1].score = NAN;
    cr_expect_eq(qf_sentiment_scorer_new(&p, e, 2, &s, &err), QF_EINVAL);
    e[1].score = 0;
    e[1].confidence = -0.1;
    cr_expect_eq(qf_sentiment_scorer_new(&p, e, 2, &s, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "confidence") != NULL, "%s", err.msg);
    e[1].confidence = 1;
    e[1].source = "";
    cr_expect_eq(qf_sentiment_scorer_new(&p, e, 2, &s, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "source is missing") != NULL, "%s", err.msg);
    e[1].source = "X";
    e[1].title = NULL;
    cr_expect_eq(qf_sentiment_scorer_new(&p, e, 2, &s, &err), QF_EINVAL);
    e[1].title = "bad \xff byte";
    cr_expect_eq(qf_sentiment_scorer_new(&p, e, 2, &s, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "UTF-8") != NULL, "%s", err.msg);
    e[1].title = "tab\there";
    cr_expect_eq(qf_sentiment_scorer_new(&p, e, 2, &s, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "control character") != NULL, "%s", err.msg);
    e[1].title = "fine";
    e[1].symbol = "btc";
    cr_expect_eq(qf_sentiment_scorer_new(&p, e, 2, &s, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "symbol") != NULL, "%s", err.msg);
    e[1].symbol = "BTC/USDT";
    cr_expect_eq(qf_sentiment_scorer_new(&p, e, 2, &s, &err), QF_OK, "%s", err.msg);
    qf_sentiment_scorer_free(s);
    e[1].time = -5;
    cr_expect_eq(qf_sentiment_event_check(&e[1], &err), QF_EINVAL);
    cr_expect_eq(qf_sentiment_scorer_new(&p, NULL, 3, &s, &err), QF_EINVAL);
    qf_sentiment_scorer_free(NULL);
}

Test(sentiment_event, normalized_titles_and_keys)
{
    char out[64];
    cr_expect_eq(qf_sentiment_normalize_title("Bitcoin\xe2\x80\x99s  RALLY!", out, sizeof out), 15);
    cr_expect_str_eq(out, "bitcoin s rally");
    qf_sentiment_normalize_title("  \xe2\x80\x9c"
                                 "ETH\xe2\x80\x9d \xe2\x80\x94 up\xc2\xa0"
                                 "5%...",
                                 out, sizeof out);
    cr_expect_str_eq(out, "eth up 5");
    qf_sentiment_normalize_title("Éther über", out, sizeof out); /* non-ASCII letters kept */
    cr_expect_str_eq(out, "Éther über");
    qf_sentiment_normalize_title("!!!", out, sizeof out);
    cr_expect_str_eq(out, "");
    cr_expect_eq(qf_sentiment_normalize_title("abc def", out, 5), 3); /* truncated to fit */
    cr_expect_str_eq(out, "abc");
    char key[QF_SENTIMENT_KEY_MAX];
    qf_sentiment_event e = ev(T0, "CoinTelegraph", "Bitcoin hits $40K!", 1, 1);
    qf_sentiment_event_key(&e, key, sizeof key);
    cr_expect_str_eq(key, "1652140800000|cointelegraph||bitcoin hits 40k");
    e.symbol = "BTC";
    qf_sentiment_event_key(&e, key, sizeof key);
    cr_expect_str_eq(key, "1652140800000|cointelegraph|BTC|bitcoin hits 40k");
    cr_expect(qf_sentiment_symbol_ok(NULL));
    cr_expect(qf_sentiment_symbol_ok("ETH"));
    cr_expect(qf_sentiment_symbol_ok("ETH/USDT"));
    cr_expect(!qf_sentiment_symbol_ok("eth"));
    cr_expect(!qf_sentiment_symbol_ok("ETH/"));
    cr_expect(!qf_sentiment_symbol_ok(""));
    cr_expect(!qf_sentiment_symbol_ok("ABCDEFGHIJK"));
}

Test(sentiment_event, owning_array)
{
    qf_sentiment_events a;
    qf_sentiment_events_init(&a);
    qf_err err;
    char title[32];
    for (int i = 0; i < 100; i++) {
        snprintf(title, sizeof title, "title %d", i);
        qf_sentiment_event e = ev(T0 + i, "Src", title, 0.5, 1);
        e.symbol = i % 3 == 0 ? "BTC/USDT" : NULL;
        e.url = i % 2 == 0 ? "https://example.com/a" : NULL;
        e.label = i % 5 == 0 ? "positive" : NULL;
        cr_assert_eq(qf_sentiment_events_push(&a, &e, &err), QF_OK);
    }
    cr_assert_eq(a.n, 100);
    for (int i = 0; i < 100; i++) {
        snprintf(title, sizeof title, "title %d", i);
        cr_expect_str_eq(a.v[i].title, title);
        cr_expect_str_eq(a.v[i].source, "Src");
        if (i % 3 == 0)
            cr_expect_str_eq(a.v[i].symbol, "BTC/USDT");
        else
            cr_expect_null(a.v[i].symbol);
        cr_expect_eq(a.v[i].url == NULL, i % 2 != 0);
        cr_expect_eq(a.v[i].label == NULL, i % 5 != 0);
    }
    qf_sentiment_events_truncate(&a, 10);
    qf_sentiment_event e = ev(T0, "Other", "after truncate", 0, 0);
    cr_assert_eq(qf_sentiment_events_push(&a, &e, &err), QF_OK);
    cr_expect_eq(a.n, 11);
    cr_expect_str_eq(a.v[9].title, "title 9");
    cr_expect_str_eq(a.v[10].title, "after truncate");
    qf_sentiment_events_cleanup(&a);
    cr_expect_eq(a.n, 0);
    cr_expect_null(a.v);
}
