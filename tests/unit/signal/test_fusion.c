/*
 * test_fusion.c - signal fusion against hand-computed values: the technical
 * score's terms and clipping, the ML score and both confidences (the IQR in
 * volatility units), the mixture per regime with the choppy scale and the
 * fallback to the choppy weights, the direction threshold, the ablation
 * switches (renormalised weights, fixed weights without regime gating) and
 * NaN inputs, and the parameters taken from the default configuration.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/config.h"
#include "signal/fusion.h"

#define EPS 1e-12

static qf_fusion_params defaults(void)
{
    qf_config cfg;
    qf_config_init(&cfg);
    qf_fusion_params p;
    qf_fusion_params_from_config(&cfg.signals.fusion, &p);
    qf_config_cleanup(&cfg);
    return p;
}

static qf_fusion_result fuse(const qf_fusion_params *p, double tech, double ml, double sent,
                             double conf, int regime)
{
    qf_fusion_inputs in = {tech, ml, sent, conf, (qf_regime)regime};
    qf_fusion_result r;
    qf_fusion_fuse(p, &in, &r);
    return r;
}

Test(fusion, technical_score_terms)
{
    /* RSI 30: 0.4; %B 0.25: 0.5 -> 0.3 * 0.5; vwap -1 %: 0.2 -> 0.3 * 0.2 */
    cr_expect_float_eq(qf_fusion_technical_score(30, 0.25, -0.01), 0.4 * 0.4 + 0.15 + 0.06, EPS);
    /* neutral point */
    cr_expect_float_eq(qf_fusion_technical_score(50, 0.5, 0), 0.0, EPS);
    /* each term clipped on its own: %B -3 would be 7, vwap +10 % would be -2 */
    cr_expect_float_eq(qf_fusion_technical_score(100, -3, 0.10), 0.4 * -1 + 0.3 * 1 + 0.3 * -1,
                       EPS);
    cr_expect_float_eq(qf_fusion_technical_score(0, 2, -1), 0.4 * 1 + 0.3 * -1 + 0.3 * 1, EPS);
    cr_expect(isnan(qf_fusion_technical_score(NAN, 0.5, 0)));
    cr_expect(isnan(qf_fusion_technical_score(50, NAN, 0)));
    cr_expect(isnan(qf_fusion_technical_score(50, 0.5, NAN)));
}

Test(fusion, ml_score_and_classifier_confidence)
{
    const double p[3] = {0.2, 0.3, 0.5};
    cr_expect_float_eq(qf_fusion_ml_score_proba(p), 0.3, EPS);
    cr_expect_float_eq(qf_fusion_confidence_classifier(p), 0.5, EPS);
    const double down[3] = {0.7, 0.2, 0.1};
    cr_expect_float_eq(qf_fusion_ml_score_proba(down), -0.6, EPS);
    cr_expect_float_eq(qf_fusion_confidence_classifier(down), 0.7, EPS);
    const double bad[3] = {0.2, NAN, 0.5};
    cr_expect(isnan(qf_fusion_ml_score_proba(bad)));
    cr_expect(isnan(qf_fusion_confidence_classifier(bad)));
    cr_expect_float_eq(qf_fusion_ml_score_label(0), -1.0, EPS);
    cr_expect_float_eq(qf_fusion_ml_score_label(1), 0.0, EPS);
    cr_expect_float_eq(qf_fusion_ml_score_label(2), 1.0, EPS);
    cr_expect(isnan(qf_fusion_ml_score_label(-1)));
    cr_expect(isnan(qf_fusion_ml_score_label(3)));
}

Test(fusion, iqr_confidence_in_volatility_units)
{
    /* sigma_bar 1 %, h 4: sqrt(h) sigma = 2 %; IQR 2.2 % -> 1.1 */
    double z = qf_fusion_iqr_norm(-0.01, 0.012, 0.01, 4);
    cr_expect_float_eq(z, 1.1, EPS);
    /* linear from 1 at 0.2 to 0 at 2.0: (2.0 - 1.1) / 1.8 = 0.5 */
    cr_expect_float_eq(qf_fusion_confidence_iqr(z, 0.2, 2.0), 0.5, EPS);
    cr_expect_float_eq(qf_fusion_confidence_iqr(0.2, 0.2, 2.0), 1.0, EPS);
    cr_expect_float_eq(qf_fusion_confidence_iqr(0.05, 0.2, 2.0), 1.0, EPS);
    cr_expect_float_eq(qf_fusion_confidence_iqr(2.0, 0.2, 2.0), 0.0, EPS);
    cr_expect_float_eq(qf_fusion_confidence_iqr(7.0, 0.2, 2.0), 0.0, EPS);
    /* crossed quantiles: negative width, full confidence */
    cr_expect_float_eq(qf_fusion_confidence_iqr(qf_fusion_iqr_norm(0.01, 0, 0.01, 1), 0.2, 2.0),
                       1.0, EPS);
    /* a normal forecast of the bar volatility: IQR 1.349 sigma sqrt(h) */
    double normal =
        qf_fusion_iqr_norm(-0.6745 * 0.02 * sqrt(12), 0.6745 * 0.02 * sqrt(12), 0.02, 12);
    cr_expect_float_eq(normal, 1.349, EPS);
    cr_expect(isnan(qf_fusion_iqr_norm(0, 0.1, 0, 4)));
    cr_expect(isnan(qf_fusion_iqr_norm(0, 0.1, -0.01, 4)));
    cr_expect(isnan(qf_fusion_iqr_norm(0, 0.1, 0.01, 0)));
    cr_expect(isnan(qf_fusion_iqr_norm(NAN, 0.1, 0.01, 4)));
    cr_expect(isnan(qf_fusion_confidence_iqr(NAN, 0.2, 2.0)));
}

Test(fusion, default_params)
{
    qf_fusion_params p = defaults();
    qf_err err;
    cr_assert_eq(qf_fusion_params_check(&p, &err), QF_OK, "%s", err.msg);
    cr_expect_eq(p.confidence_source, QF_CONFIDENCE_IQR);
    cr_expect_float_eq(p.weights[QF_REGIME_TRENDING][QF_EXPERT_ML], 0.5, EPS);
    cr_expect_float_eq(p.weights[QF_REGIME_MEAN_REVERTING][QF_EXPERT_TECHNICAL], 0.5, EPS);
    cr_expect_float_eq(p.weights[QF_REGIME_CHOPPY][QF_EXPERT_SENTIMENT], 0.4, EPS);
    /* fixed = mean over regimes: (0.4 + 0.5 + 0.3) / 3, (0.5 + 0.3 + 0.3) / 3, (0.1 + 0.2 +
     * 0.4) / 3 */
    cr_expect_float_eq(p.fixed[QF_EXPERT_TECHNICAL], 0.4, EPS);
    cr_expect_float_eq(p.fixed[QF_EXPERT_ML], 1.1 / 3, EPS);
    cr_expect_float_eq(p.fixed[QF_EXPERT_SENTIMENT], 0.7 / 3, EPS);
    cr_expect_float_eq(p.choppy_scale, 0.5, EPS);
    cr_expect_float_eq(p.direction_threshold, 0.02, EPS);
    qf_config cfg;
    qf_config_init(&cfg);
    cr_assert_eq(qf_config_set(&cfg, "signals.fusion.confidence_source=classifier", &err), QF_OK,
                 "%s", err.msg);
    qf_fusion_params_from_config(&cfg.signals.fusion, &p);
    cr_expect_eq(p.confidence_source, QF_CONFIDENCE_CLASSIFIER);
    cr_expect_neq(qf_config_set(&cfg, "signals.fusion.confidence_source=both", &err), QF_OK);
    qf_config_cleanup(&cfg);
}

Test(fusion, mixture_per_regime)
{
    qf_fusion_params p = defaults();
    /* trending: 0.4 * 0.5 + 0.5 * 0.8 + 0.1 * -0.2 = 0.58, x conf 0.5 = 0.29 */
    qf_fusion_result r = fuse(&p, 0.5, 0.8, -0.2, 0.5, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, 0.29, EPS);
    cr_expect_eq(r.direction, QF_DIR_LONG);
    cr_expect_eq(r.regime, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.weights[QF_EXPERT_ML], 0.5, EPS);
    cr_expect_float_eq(r.confidence, 0.5, EPS);
    cr_expect_float_eq(r.technical, 0.5, EPS);
    cr_expect_float_eq(r.ml, 0.8, EPS);
    cr_expect_float_eq(r.sentiment, -0.2, EPS);
    /* mean_reverting: 0.5 * 0.5 + 0.3 * 0.8 + 0.2 * -0.2 = 0.45 */
    r = fuse(&p, 0.5, 0.8, -0.2, 1.0, QF_REGIME_MEAN_REVERTING);
    cr_expect_float_eq(r.strength, 0.45, EPS);
    /* choppy: (0.3 * 0.5 + 0.3 * 0.8 + 0.4 * -0.2) * 0.5 = 0.155 */
    r = fuse(&p, 0.5, 0.8, -0.2, 1.0, QF_REGIME_CHOPPY);
    cr_expect_float_eq(r.strength, 0.155, EPS);
    /* short side */
    r = fuse(&p, -1, -1, -1, 1.0, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, -1.0, EPS);
    cr_expect_eq(r.direction, QF_DIR_SHORT);
}

Test(fusion, clipped_to_unit_interval)
{
    qf_fusion_params p = defaults();
    p.weights[QF_REGIME_TRENDING][QF_EXPERT_TECHNICAL] = 1;
    p.weights[QF_REGIME_TRENDING][QF_EXPERT_ML] = 1;
    p.weights[QF_REGIME_TRENDING][QF_EXPERT_SENTIMENT] = 1;
    qf_fusion_result r = fuse(&p, 1, 1, 1, 1, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, 1.0, EPS);
    r = fuse(&p, -1, -1, -0.5, 1, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, -1.0, EPS);
    /* confidence above 1 is clamped, not amplifying */
    r = fuse(&p, 0.1, 0, 0, 3.0, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, 0.1, EPS);
    cr_expect_float_eq(r.confidence, 1.0, EPS);
}

Test(fusion, direction_threshold)
{
    qf_fusion_params p = defaults();
    /* technical only in mean_reverting: 0.5 * s */
    qf_fusion_result r = fuse(&p, 0.039, 0, 0, 1, QF_REGIME_MEAN_REVERTING);
    cr_expect_float_eq(r.strength, 0.0195, EPS);
    cr_expect_eq(r.direction, QF_DIR_FLAT);
    r = fuse(&p, -0.039, 0, 0, 1, QF_REGIME_MEAN_REVERTING);
    cr_expect_eq(r.direction, QF_DIR_FLAT);
    /* exactly at the threshold is a decision */
    p.direction_threshold = 0.25;
    r = fuse(&p, 0.5, 0, 0, 1, QF_REGIME_MEAN_REVERTING);
    cr_expect_float_eq(r.strength, 0.25, EPS);
    cr_expect_eq(r.direction, QF_DIR_LONG);
    r = fuse(&p, -0.5, 0, 0, 1, QF_REGIME_MEAN_REVERTING);
    cr_expect_eq(r.direction, QF_DIR_SHORT);
    /* zero confidence: flat */
    r = fuse(&p, 1, 1, 1, 0, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, 0.0, EPS);
    cr_expect_eq(r.direction, QF_DIR_FLAT);
}

Test(fusion, missing_regime_weights_fall_back_to_choppy)
{
    qf_fusion_params p = defaults();
    p.has_weights[QF_REGIME_TRENDING] = 0;
    p.weights[QF_REGIME_TRENDING][QF_EXPERT_ML] = 0.9; /* ignored */
    qf_err err;
    cr_assert_eq(qf_fusion_params_check(&p, &err), QF_OK, "%s", err.msg);
    /* choppy weights, but no choppy scale: the regime is still trending */
    qf_fusion_result r = fuse(&p, 0.5, 0.8, -0.2, 1, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, 0.31, EPS);
    cr_expect_float_eq(r.weights[QF_EXPERT_SENTIMENT], 0.4, EPS);
    /* an unknown regime reads as choppy: weights and scale */
    r = fuse(&p, 0.5, 0.8, -0.2, 1, QF_REGIME_UNKNOWN);
    cr_expect_float_eq(r.strength, 0.155, EPS);
    cr_expect_eq(r.regime, QF_REGIME_UNKNOWN);
    r = fuse(&p, 0.5, 0.8, -0.2, 1, 7);
    cr_expect_float_eq(r.strength, 0.155, EPS);
    cr_expect_eq(r.regime, QF_REGIME_UNKNOWN);
    r = fuse(&p, 0.5, 0.8, -0.2, 1, -1);
    cr_expect_float_eq(r.strength, 0.155, EPS);
    /* the choppy weights themselves are required */
    p.has_weights[QF_REGIME_CHOPPY] = 0;
    cr_expect_eq(qf_fusion_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "choppy") != NULL, "%s", err.msg);
}

Test(fusion, ablation_renormalises_remaining_weights)
{
    qf_fusion_params p = defaults();
    p.disabled = QF_EXPERT_BIT(QF_EXPERT_ML);
    double w[QF_EXPERT_COUNT];
    /* trending 0.4 / 0.5 / 0.1 without ML: 0.4 and 0.1 scaled to sum 1.0 */
    qf_fusion_weights(&p, QF_REGIME_TRENDING, w);
    cr_expect_float_eq(w[QF_EXPERT_TECHNICAL], 0.8, EPS);
    cr_expect_float_eq(w[QF_EXPERT_ML], 0.0, EPS);
    cr_expect_float_eq(w[QF_EXPERT_SENTIMENT], 0.2, EPS);
    /* no ML: its NaN score is ignored and its confidence does not apply */
    qf_fusion_result r = fuse(&p, 0.5, NAN, -0.2, 0.1, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, 0.8 * 0.5 + 0.2 * -0.2, EPS);
    cr_expect_float_eq(r.confidence, 1.0, EPS);
    /* no technical in mean_reverting: 0.3 / 0.2 scaled to sum 1.0 */
    p.disabled = QF_EXPERT_BIT(QF_EXPERT_TECHNICAL);
    r = fuse(&p, NAN, 0.8, -0.2, 0.5, QF_REGIME_MEAN_REVERTING);
    cr_expect_float_eq(r.weights[QF_EXPERT_ML], 0.6, EPS);
    cr_expect_float_eq(r.weights[QF_EXPERT_SENTIMENT], 0.4, EPS);
    cr_expect_float_eq(r.strength, (0.6 * 0.8 + 0.4 * -0.2) * 0.5, EPS);
    /* no sentiment in choppy: 0.3 / 0.3 scaled to 0.5 / 0.5, then the choppy scale */
    p.disabled = QF_EXPERT_BIT(QF_EXPERT_SENTIMENT);
    r = fuse(&p, 0.5, 0.8, NAN, 1.0, QF_REGIME_CHOPPY);
    cr_expect_float_eq(r.strength, (0.5 * 0.5 + 0.5 * 0.8) * 0.5, EPS);
    /* everything off: nothing to trade on */
    p.disabled = QF_EXPERT_BIT(QF_EXPERT_TECHNICAL) | QF_EXPERT_BIT(QF_EXPERT_ML) |
                 QF_EXPERT_BIT(QF_EXPERT_SENTIMENT);
    r = fuse(&p, 1, 1, 1, 1, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, 0.0, EPS);
    cr_expect_eq(r.direction, QF_DIR_FLAT);
    /* a mask naming no expert is refused */
    qf_err err;
    p.disabled = 1u << 5;
    cr_expect_eq(qf_fusion_params_check(&p, &err), QF_EINVAL);
}

Test(fusion, fixed_weights_ignore_the_regime)
{
    qf_fusion_params p = defaults();
    p.fixed_weights = 1;
    double want = 0.4 * 0.5 + 1.1 / 3 * 0.8 + 0.7 / 3 * -0.2;
    for (int regime = -1; regime <= QF_FUSION_REGIMES; regime++) {
        qf_fusion_result r = fuse(&p, 0.5, 0.8, -0.2, 1, regime);
        cr_expect_float_eq(r.strength, want, EPS, "regime %d", regime);
    }
    /* a chosen vector, with ablation on top */
    p.fixed[0] = 0.2;
    p.fixed[1] = 0.6;
    p.fixed[2] = 0.2;
    p.disabled = QF_EXPERT_BIT(QF_EXPERT_SENTIMENT);
    qf_fusion_result r = fuse(&p, 1, -1, 1, 1, QF_REGIME_CHOPPY);
    cr_expect_float_eq(r.strength, 0.25 - 0.75, EPS);
    qf_err err;
    p.fixed[1] = 1.5;
    cr_expect_eq(qf_fusion_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "fixed weight of ml") != NULL, "%s", err.msg);
}

Test(fusion, nan_inputs_are_flat)
{
    qf_fusion_params p = defaults();
    qf_fusion_result r = fuse(&p, NAN, 0.8, 0.1, 1, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, 0.0, EPS);
    cr_expect_eq(r.direction, QF_DIR_FLAT);
    cr_expect(isnan(r.technical));
    r = fuse(&p, 0.5, 0.8, NAN, 1, QF_REGIME_TRENDING);
    cr_expect_eq(r.direction, QF_DIR_FLAT);
    r = fuse(&p, 0.5, 0.8, 0.1, NAN, QF_REGIME_TRENDING);
    cr_expect_float_eq(r.strength, 0.0, EPS);
    cr_expect_eq(r.direction, QF_DIR_FLAT);
}

Test(fusion, bad_params)
{
    qf_err err;
    cr_expect_eq(qf_fusion_params_check(NULL, &err), QF_EINVAL);
    qf_fusion_params p = defaults();
    p.weights[QF_REGIME_MEAN_REVERTING][QF_EXPERT_SENTIMENT] = -0.1;
    cr_expect_eq(qf_fusion_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "mean_reverting weight of sentiment") != NULL, "%s", err.msg);
    p = defaults();
    p.weights[QF_REGIME_TRENDING][QF_EXPERT_ML] = NAN;
    cr_expect_eq(qf_fusion_params_check(&p, &err), QF_EINVAL);
    p = defaults();
    p.choppy_scale = 1.5;
    cr_expect_eq(qf_fusion_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "choppy_scale") != NULL, "%s", err.msg);
    p = defaults();
    p.direction_threshold = NAN;
    cr_expect_eq(qf_fusion_params_check(&p, &err), QF_EINVAL);
    p = defaults();
    p.confidence_max_iqr = p.confidence_min_iqr;
    cr_expect_eq(qf_fusion_params_check(&p, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "confidence_min_iqr") != NULL, "%s", err.msg);
    p = defaults();
    p.confidence_source = (qf_confidence_source)9;
    cr_expect_eq(qf_fusion_params_check(&p, &err), QF_EINVAL);
    qf_confidence_source src;
    cr_expect_eq(qf_confidence_source_parse("IQR", &src, &err), QF_EINVAL);
    cr_expect(strstr(err.msg, "iqr or classifier") != NULL, "%s", err.msg);
    qf_fusion_result r = fuse(&p, 0.1, 0.2, 0.3, 0.4, QF_REGIME_MEAN_REVERTING);
    qf_signal sig = {.symbol = "BTC/USDT", .bar_time = 42};
    qf_fusion_to_signal(&r, &sig);
    cr_expect_str_eq(sig.symbol, "BTC/USDT");
    cr_expect_eq(sig.bar_time, 42);
    cr_expect_eq(sig.regime, QF_REGIME_MEAN_REVERTING);
    cr_expect_float_eq(sig.strength, r.strength, EPS);
    cr_expect_float_eq(sig.ml, 0.2, EPS);
    cr_expect_eq(sig.direction, r.direction);
}
