/*
 * fusion.c - expert scores, confidence and the regime-gated mixture of
 * experts (fusion.h). Pure arithmetic over the caller's structs.
 */
#include "signal/fusion.h"

#include <math.h>
#include <string.h>

double qf_fusion_clip(double x)
{
    if (x < -1.0)
        return -1.0;
    if (x > 1.0)
        return 1.0;
    return x; /* NaN falls through both comparisons */
}

static double clamp01(double x)
{
    if (x < 0.0)
        return 0.0;
    if (x > 1.0)
        return 1.0;
    return x;
}

double qf_fusion_technical_score(double rsi, double bb_pct_b, double vwap_deviation)
{
    double r = qf_fusion_clip((50.0 - rsi) / 50.0);
    double b = qf_fusion_clip((0.5 - bb_pct_b) * 2.0);
    double v = qf_fusion_clip(-20.0 * vwap_deviation);
    return 0.4 * r + 0.3 * b + 0.3 * v;
}

static int all_finite(const double p[3])
{
    return isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]);
}

double qf_fusion_ml_score_proba(const double proba[3])
{
    if (!all_finite(proba))
        return NAN;
    return qf_fusion_clip(proba[2] - proba[0]);
}

double qf_fusion_ml_score_label(int label)
{
    if (label < 0 || label > 2)
        return NAN;
    return (double)(label - 1);
}

double qf_fusion_confidence_classifier(const double proba[3])
{
    if (!all_finite(proba))
        return NAN;
    double top = proba[0];
    if (proba[1] > top)
        top = proba[1];
    if (proba[2] > top)
        top = proba[2];
    return clamp01(top);
}

double qf_fusion_iqr_norm(double q25, double q75, double sigma_bar, int horizon_bars)
{
    if (!isfinite(q25) || !isfinite(q75) || !isfinite(sigma_bar) || sigma_bar <= 0 ||
        horizon_bars < 1)
        return NAN;
    return (q75 - q25) / (sigma_bar * sqrt((double)horizon_bars));
}

double qf_fusion_confidence_iqr(double iqr_norm, double min_iqr, double max_iqr)
{
    if (isnan(iqr_norm))
        return NAN;
    if (iqr_norm <= min_iqr)
        return 1.0;
    if (iqr_norm >= max_iqr)
        return 0.0;
    return clamp01((max_iqr - iqr_norm) / (max_iqr - min_iqr));
}

static void copy_weights(double dst[QF_EXPERT_COUNT], const qf_config_expert_weights *w)
{
    dst[QF_EXPERT_TECHNICAL] = w->technical;
    dst[QF_EXPERT_ML] = w->ml;
    dst[QF_EXPERT_SENTIMENT] = w->sentiment;
}

void qf_fusion_params_from_config(const qf_config_fusion *cfg, qf_fusion_params *out)
{
    memset(out, 0, sizeof *out);
    copy_weights(out->weights[QF_REGIME_TRENDING], &cfg->regime_weights.trending);
    copy_weights(out->weights[QF_REGIME_MEAN_REVERTING], &cfg->regime_weights.mean_reverting);
    copy_weights(out->weights[QF_REGIME_CHOPPY], &cfg->regime_weights.choppy);
    for (int r = 0; r < QF_FUSION_REGIMES; r++)
        out->has_weights[r] = 1;
    for (int e = 0; e < QF_EXPERT_COUNT; e++) {
        double sum = 0;
        for (int r = 0; r < QF_FUSION_REGIMES; r++)
            sum += out->weights[r][e];
        out->fixed[e] = sum / QF_FUSION_REGIMES;
    }
    out->choppy_scale = cfg->choppy_scale;
    out->direction_threshold = cfg->direction_threshold;
    out->confidence_min_iqr = cfg->confidence_min_iqr;
    out->confidence_max_iqr = cfg->confidence_max_iqr;
    qf_confidence_source src = QF_CONFIDENCE_IQR;
    if (qf_confidence_source_parse(cfg->confidence_source, &src, NULL) == QF_OK)
        out->confidence_source = src;
}

static const char *const expert_names[QF_EXPERT_COUNT] = {"technical", "ml", "sentiment"};

static int in01(double x)
{
    return x >= 0.0 && x <= 1.0; /* false for NaN */
}

static qf_rc check_vector(const double w[QF_EXPERT_COUNT], const char *what, qf_err *err)
{
    for (int e = 0; e < QF_EXPERT_COUNT; e++)
        if (!in01(w[e]))
            return qf_err_set(err, QF_EINVAL, "fusion: %s weight of %s must be in [0, 1], got %g",
                              what, expert_names[e], w[e]);
    return QF_OK;
}

qf_rc qf_fusion_params_check(const qf_fusion_params *p, qf_err *err)
{
    if (p == NULL)
        return qf_err_set(err, QF_EINVAL, "fusion: no parameters");
    if (!p->has_weights[QF_REGIME_CHOPPY])
        return qf_err_set(err, QF_EINVAL,
                          "fusion: the choppy weights are required (other regimes fall back "
                          "to them)");
    for (int r = 0; r < QF_FUSION_REGIMES; r++) {
        if (!p->has_weights[r])
            continue;
        qf_rc rc = check_vector(p->weights[r], qf_regime_name((qf_regime)r), err);
        if (rc != QF_OK)
            return rc;
    }
    if (p->fixed_weights && check_vector(p->fixed, "fixed", err) != QF_OK)
        return QF_EINVAL;
    if (!in01(p->choppy_scale))
        return qf_err_set(err, QF_EINVAL, "fusion: choppy_scale must be in [0, 1], got %g",
                          p->choppy_scale);
    if (!in01(p->direction_threshold))
        return qf_err_set(err, QF_EINVAL, "fusion: direction_threshold must be in [0, 1], got %g",
                          p->direction_threshold);
    if (!(p->confidence_min_iqr >= 0) || !isfinite(p->confidence_min_iqr) ||
        !isfinite(p->confidence_max_iqr) || !(p->confidence_max_iqr > p->confidence_min_iqr))
        return qf_err_set(err, QF_EINVAL,
                          "fusion: need 0 <= confidence_min_iqr < confidence_max_iqr, got %g "
                          "and %g",
                          p->confidence_min_iqr, p->confidence_max_iqr);
    if (p->confidence_source != QF_CONFIDENCE_IQR &&
        p->confidence_source != QF_CONFIDENCE_CLASSIFIER)
        return qf_err_set(err, QF_EINVAL, "fusion: unknown confidence source %d",
                          (int)p->confidence_source);
    if ((p->disabled & ~((1u << QF_EXPERT_COUNT) - 1u)) != 0)
        return qf_err_set(err, QF_EINVAL, "fusion: disabled mask 0x%x names no expert",
                          p->disabled);
    return QF_OK;
}

static int known_regime(qf_regime regime)
{
    return (int)regime >= 0 && (int)regime < QF_FUSION_REGIMES;
}

void qf_fusion_weights(const qf_fusion_params *p, qf_regime regime, double out_w[QF_EXPERT_COUNT])
{
    const double *w = p->weights[QF_REGIME_CHOPPY];
    if (p->fixed_weights)
        w = p->fixed;
    else if (known_regime(regime) && p->has_weights[regime])
        w = p->weights[regime];
    double total = 0;
    double kept = 0;
    for (int e = 0; e < QF_EXPERT_COUNT; e++) {
        total += w[e];
        out_w[e] = (p->disabled & QF_EXPERT_BIT(e)) ? 0.0 : w[e];
        kept += out_w[e];
    }
    if (p->disabled == 0 || kept <= 0)
        return;
    /* Renormalise the remaining experts to the regime's total weight. */
    for (int e = 0; e < QF_EXPERT_COUNT; e++)
        out_w[e] *= total / kept;
}

/* Whether the choppy scale applies: the choppy regime or no known regime,
 * and only under regime gating. */
static int scaled_as_choppy(const qf_fusion_params *p, qf_regime regime)
{
    if (p->fixed_weights)
        return 0;
    return regime == QF_REGIME_CHOPPY || !known_regime(regime);
}

void qf_fusion_fuse(const qf_fusion_params *p, const qf_fusion_inputs *in, qf_fusion_result *out)
{
    const double score[QF_EXPERT_COUNT] = {in->technical, in->ml, in->sentiment};
    memset(out, 0, sizeof *out);
    out->technical = in->technical;
    out->ml = in->ml;
    out->sentiment = in->sentiment;
    out->regime = known_regime(in->regime) ? in->regime : QF_REGIME_UNKNOWN;
    qf_fusion_weights(p, in->regime, out->weights);
    out->confidence = (p->disabled & QF_EXPERT_BIT(QF_EXPERT_ML)) ? 1.0 : clamp01(in->confidence);
    double sum = 0;
    for (int e = 0; e < QF_EXPERT_COUNT; e++) {
        if (p->disabled & QF_EXPERT_BIT(e))
            continue;
        sum += out->weights[e] * score[e];
    }
    if (scaled_as_choppy(p, in->regime))
        sum *= p->choppy_scale;
    double strength = qf_fusion_clip(sum * out->confidence);
    if (isnan(strength)) {
        out->strength = 0.0;
        out->direction = QF_DIR_FLAT;
        return;
    }
    out->strength = strength;
    if (fabs(strength) < p->direction_threshold)
        out->direction = QF_DIR_FLAT;
    else
        out->direction = strength > 0 ? QF_DIR_LONG : QF_DIR_SHORT;
}

void qf_fusion_to_signal(const qf_fusion_result *r, qf_signal *out)
{
    out->regime = r->regime;
    out->technical = r->technical;
    out->ml = r->ml;
    out->sentiment = r->sentiment;
    out->confidence = r->confidence;
    out->strength = r->strength;
    out->direction = r->direction;
}

qf_rc qf_confidence_source_parse(const char *name, qf_confidence_source *out, qf_err *err)
{
    if (name != NULL && strcmp(name, "iqr") == 0) {
        *out = QF_CONFIDENCE_IQR;
        return QF_OK;
    }
    if (name != NULL && strcmp(name, "classifier") == 0) {
        *out = QF_CONFIDENCE_CLASSIFIER;
        return QF_OK;
    }
    return qf_err_set(err, QF_EINVAL,
                      "fusion: confidence_source must be iqr or classifier, got '%s'",
                      name != NULL ? name : "(none)");
}
