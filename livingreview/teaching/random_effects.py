"""Teaching: random-effects meta-analysis of proportions.

The chapter ``notebooks/teaching/random_effects.ipynb`` walks through the review's own pooling
of response rates: the logit scale and its within-study variances, tau^2 by REML, I^2, the
confidence interval against the prediction interval, the binomial-normal GLMM against inverse
variance with Hartung-Knapp, why two studies say almost nothing about tau^2, and why pooling
across settings misleads. The models are those of :mod:`livingreview.statistics.meta`, the pools those of
:mod:`livingreview.statistics.pooling`; this module only arranges them for teaching and chooses the
examples from the data.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from scipy import special, stats

from ..statistics import bayes
from ..statistics.pooling import (ALL_SETTINGS, DEFAULT_RULES, MIN_POOLED_STUDIES, MIN_RANDOM_EFFECTS_STUDIES, PRIMARY,
                                  SENSITIVITY_MODEL, PoolingRules, glmm_or_reason, pool_rates, primary_pools,
                                  setting_groups, short_model_label, subgroup_difference)
from ..pages.chapters.formatting import between_settings_text
from ..statistics.response import EXACT
from ..statistics.intervals import proportion_ci
from ..statistics.meta import (GLMM, IV_REML_HK, IV_REML_Z, inverse_variance, logit_effect_sizes, reml_log_likelihood,
                               reml_tau2)

# Half the 95% quantile of chi-square with 1 df: tau^2 values whose restricted log-likelihood
# lies within this of the maximum form an approximate 95% likelihood interval.
LIKELIHOOD_DROP_95 = float(stats.chi2.ppf(0.95, 1) / 2)
# The profile plot's range of tau^2 (log-odds scale): wide enough to show how flat the
# restricted likelihood of two studies is; extended when an estimate lies near it.
PROFILE_TAU2_MAX = 8.0


def study_logits(rates: pd.DataFrame) -> pd.DataFrame:
    """Per study arm: the proportion, its log odds and the within-study (sampling) variance
    of the log odds, 1/events + 1/non-events (:func:`meta.logit_effect_sizes`)."""
    if rates.empty:
        return pd.DataFrame(columns=["study_id", "study_name", "setting_group", "events", "total", "percent", "logit",
                                     "variance", "se"])
    yi, vi = logit_effect_sizes(rates["events"], rates["total"])
    return pd.DataFrame({"study_id": rates["study_id"].to_numpy(), "study_name": rates["study_name"].to_numpy(),
                         "setting_group": rates["setting_group"].to_numpy(),
                         "events": rates["events"].to_numpy(), "total": rates["total"].to_numpy(),
                         "percent": rates["percent"].to_numpy(), "logit": yi, "variance": vi, "se": np.sqrt(vi)})


def richest_setting(rates: pd.DataFrame, order: list[str]) -> str | None:
    """The setting with the most studies (ties go to the review's order of settings); None when
    no setting has enough studies to pool."""
    counts = rates["setting_group"].value_counts() if not rates.empty else pd.Series(dtype=int)
    ranked = sorted(counts.index, key=lambda s: (-counts[s], order.index(s) if s in order else len(order), s))
    if not ranked or counts[ranked[0]] < MIN_POOLED_STUDIES:
        return None
    return ranked[0]


def members(rates: pd.DataFrame, setting: str) -> pd.DataFrame:
    """The rows of one setting (all rows for :data:`ALL_SETTINGS`)."""
    chosen = rates if setting == ALL_SETTINGS else rates[rates["setting_group"] == setting]
    return chosen.reset_index(drop=True)


def pooled_groups(rates: pd.DataFrame, order: list[str]) -> list[str]:
    """The settings with enough studies to pool, in the review's order, then
    :data:`ALL_SETTINGS` when there is more than one setting."""
    if rates.empty:
        return []
    return [group for group, chosen in setting_groups(rates, order)
            if len(chosen) >= MIN_POOLED_STUDIES]


def weights(rates: pd.DataFrame) -> pd.DataFrame:
    """Each study's share of the weight (percent) under the fixed-effect model (1 / v_i) and
    the random-effects model (1 / (v_i + tau^2), tau^2 by REML): adding tau^2 to every
    variance makes the weights more equal."""
    yi, vi = logit_effect_sizes(rates["events"], rates["total"])
    tau2 = reml_tau2(yi, vi)
    fixed, random = 1 / vi, 1 / (vi + tau2)
    return pd.DataFrame({"study_id": rates["study_id"].to_numpy(), "total": rates["total"].to_numpy(),
                         "fixed_weight_percent": 100 * fixed / fixed.sum(),
                         "random_weight_percent": 100 * random / random.sum(), "tau2": tau2})


def model_comparison(rates: pd.DataFrame, rules: PoolingRules = DEFAULT_RULES) -> pd.DataFrame:
    """The same studies pooled four ways, as percentages: the Bayesian binomial-normal model
    (the review's primary model for two to four studies), the GLMM, inverse variance REML with
    Hartung-Knapp, and inverse variance REML with a Wald z interval (the textbook default, for
    contrast), each saying whether the review reports it (:func:`pooling.pool_rates` decides).
    Empty when fewer than two studies."""
    if len(rates) < MIN_POOLED_STUDIES:
        return pd.DataFrame()
    # Fitted whatever the number of studies: the chapter shows what each model gives here, and
    # which of them the review's rules report.
    yi, vi = logit_effect_sizes(rates["events"], rates["total"])
    labels = tuple(rates["study_id"])
    fits = [bayes.binomial_normal(rates["events"], rates["total"], rules.tau_prior_scale, labels=labels),
            glmm_or_reason(rates["events"], rates["total"], labels=labels),
            inverse_variance(yi, vi, hartung_knapp=True, labels=labels),
            inverse_variance(yi, vi, hartung_knapp=False, labels=labels)]
    roles = {estimate.model: role for role, _, estimate in pool_rates(rates, "", rules)}
    words = {PRIMARY: "yes, primary model", SENSITIVITY_MODEL: "yes, sensitivity analysis"}
    rows = []
    for fit in fits:
        shown = fit.as_proportion()
        used = (words[roles[fit.model]] if fit.model in roles else
                f"no: {len(rates)} studies (from {rules.frequentist_min_studies} only)"
                if fit.model != IV_REML_Z else "no: shown for contrast")
        rows.append({"model": fit.model, "interval": fit.interval, "k": fit.k,
                     **{key: 100 * value for key, value in shown.items()},
                     "ci_width": 100 * (shown["ci_high"] - shown["ci_low"]), "tau2": fit.tau2, "i2": fit.i2,
                     "reported_by_the_review": used})
    return pd.DataFrame(rows)


def prior_sensitivity_table(rates: pd.DataFrame, rules: PoolingRules = DEFAULT_RULES) -> pd.DataFrame:
    """The Bayesian pool of ``rates`` under the review's prior on tau and each sensitivity prior
    (scale ascending): tau's posterior median and 95% credible interval, the pooled rate with its
    95% credible interval and the 95% prediction interval (percent). Empty below two studies."""
    if len(rates) < MIN_POOLED_STUDIES:
        return pd.DataFrame()
    rows = []
    for scale in sorted({rules.tau_prior_scale, *rules.tau_prior_sensitivity}):
        fit = bayes.binomial_normal(rates["events"], rates["total"], scale)
        tau = bayes.tau_posterior_summary(bayes.binomial_normal, rates["events"], rates["total"], prior_scale=scale)
        shown = {key: 100 * value for key, value in fit.as_proportion().items()}
        rows.append({"Prior on tau": f"half-normal({scale:g})" + (" (the review's)" if scale == rules.tau_prior_scale
                                                                 else ""),
                     "tau: posterior median (95% CrI)": f"{tau.median:.2f} ({tau.low:.2f}–{tau.high:.2f})",
                     "Pooled % (95% CrI)": f"{shown['estimate']:.1f} ({_interval(shown['ci_low'], shown['ci_high'])})",
                     "95% prediction interval (%)": _interval(shown["pi_low"], shown["pi_high"])})
    return pd.DataFrame(rows)


def reml_profile(rates: pd.DataFrame, tau2_max: float | None = None, points: int = 201) -> pd.DataFrame:
    """Restricted log-likelihood of tau^2 on a grid, relative to its maximum (0 at the REML
    estimate), and whether each value lies inside the approximate 95% likelihood interval."""
    yi, vi = logit_effect_sizes(rates["events"], rates["total"])
    best = reml_tau2(yi, vi)
    tau2_max = max(PROFILE_TAU2_MAX, 3 * best) if tau2_max is None else tau2_max
    grid = np.unique(np.append(np.linspace(0, tau2_max, points), best))
    peak = reml_log_likelihood(best, yi, vi)
    relative = np.array([reml_log_likelihood(t, yi, vi) - peak for t in grid])
    return pd.DataFrame({"tau2": grid, "relative_log_likelihood": relative,
                         "inside_95": relative >= -LIKELIHOOD_DROP_95})


def plot_reml_profile(profiles: dict[str, pd.DataFrame], ax=None):
    """Relative restricted log-likelihood of tau^2, one line per labelled pool, with the drop
    that bounds an approximate 95% likelihood interval."""
    import matplotlib.pyplot as plt

    ax = plt.gca() if ax is None else ax
    for (label, frame), style in zip(profiles.items(), ["-", "--", ":", "-."] * 4):
        ax.plot(frame["tau2"], frame["relative_log_likelihood"], style, label=textwrap.shorten(label, 70))
    ax.axhline(-LIKELIHOOD_DROP_95, color="grey", linewidth=0.8)
    ax.text(ax.get_xlim()[1] if profiles else 1, -LIKELIHOOD_DROP_95, " 95% likelihood bound", va="bottom",
            ha="right", fontsize=9, color="grey")
    ax.set_ylim(-6, 0.5)
    ax.set_xlabel("tau² (between-study variance, log-odds scale)")
    ax.set_ylabel("Restricted log-likelihood − maximum")
    if profiles:
        ax.legend(frameon=False, fontsize=9)
    return ax


def critical_values(ks=(2, 3, 4, 5, 10, 20), level: float = 95.0) -> pd.DataFrame:
    """The multiplier of the standard error in a Hartung-Knapp CI (t, k - 1 df) beside the
    Wald z, for k studies."""
    upper = 1 - (1 - level / 100) / 2
    z = float(stats.norm.ppf(upper))
    return pd.DataFrame({"k": list(ks), "t_quantile": [float(stats.t.ppf(upper, k - 1)) for k in ks], "z": z})


def interval_rows(rates: pd.DataFrame, pools: pd.DataFrame, order: list[str], setting_label) -> pd.DataFrame:
    """Rows for :func:`plotting.plot_rate_forest`: each setting's studies and GLMM pool, then
    the pool of all settings together (the illustration, not a finding)."""
    rows = []
    for group, chosen in setting_groups(rates, order):
        rows.append({"label": setting_label(group), "kind": "heading"})
        if group != ALL_SETTINGS:
            for r in chosen.to_dict("records"):
                # The exact CI from the count itself (intervals.proportion_ci gives percent).
                low, high = proportion_ci(int(r["events"]), int(r["total"]), EXACT, 95.0)
                rows.append({"label": f"{r['study_name']} ({r['events']}/{r['total']})", "kind": "study",
                             "estimate": r["percent"], "ci_low": low, "ci_high": high, "total": r["total"]})
        pooled = primary_pools(pools, group)
        for p in pooled.to_dict("records"):
            if not math.isfinite(p["estimate"]):  # a pool the review does not make: said, not drawn
                rows.append({"label": f"Not pooled ({p['k']} studies)", "kind": "heading"})
                continue
            rows.append({"label": f"Pooled, {short_model_label(p['model'])} ({p['k']} studies)", "kind": "pooled",
                         **{k: p[k] for k in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "interval")}})
    return pd.DataFrame(rows)


def setting_intervals_figure(rates: pd.DataFrame, pools: pd.DataFrame, order: list[str], setting_label,
                             title: str = ""):
    """Forest plot of each setting's studies and pooled estimate, then all settings pooled;
    returns the figure."""
    from ..pages.plotting import rate_forest_figure

    return rate_forest_figure(interval_rows(rates, pools, order, setting_label), width=8, row_height=0.42,
                              margin=1.6, title=title)


def reml_profile_figure(profiles: dict[str, pd.DataFrame], title: str):
    """Figure of :func:`plot_reml_profile`, described by where each pool's likelihood peaks."""
    import matplotlib.pyplot as plt

    from ..pages.plotting import describe

    fig, ax = plt.subplots(figsize=(8, 4.4))
    plot_reml_profile(profiles, ax=ax)
    ax.set_title(title, loc="left")
    fig.tight_layout()
    peaks = "; ".join(f"{label}: highest at tau² {frame.loc[frame['relative_log_likelihood'].idxmax(), 'tau2']:.2f}"
                      for label, frame in profiles.items())
    return describe(fig, f"{title}: the restricted log-likelihood of tau² for each pool, with the 95% likelihood "
                         f"bound. {peaks or 'No pool has two or more studies.'}")


# ---------------------------------------------------------------------------- the chapter's facts

def _interval(low: float, high: float) -> str:
    return f"{low:.1f}–{high:.1f}"


def _pool_text(row) -> str:
    return (f"{row['estimate']:.1f}% (95% {row['interval']} {_interval(row['ci_low'], row['ci_high'])}; 95% "
            f"prediction interval {_interval(row['pi_low'], row['pi_high'])}; tau² {row['tau2']:.3f}; "
            f"I² {row['i2']:.1f}%)")


def chapter_facts(rates: pd.DataFrame, pools: pd.DataFrame, order: list[str], setting_label) -> dict[str, object]:
    """The numbers and names the chapter's prose glues; where an example does not exist in the
    data, a sentence that says so."""
    facts: dict[str, object] = {"re_n_studies": int(rates["study_id"].nunique()) if not rates.empty else 0,
                                "re_n_settings": int(rates["setting_group"].nunique()) if not rates.empty else 0}
    logits = study_logits(rates)
    if logits.empty:
        facts["re_logit_example"] = "No study in these data prints a response count, so there is nothing to transform."
    else:
        r = logits.iloc[0]
        facts["re_logit_example"] = (
            f"{r['study_name']}: {r['events']} responders of {r['total']} ({r['percent']:.1f}%) give a log odds of "
            f"ln({r['events']}/{r['total'] - r['events']}) = {r['logit']:.3f} with within-study variance "
            f"1/{r['events']} + 1/{r['total'] - r['events']} = {r['variance']:.3f}")

    setting = richest_setting(rates, order)
    t1 = float(stats.t.ppf(0.975, 1))
    facts["re_t1"] = f"{t1:.1f}"
    facts["re_z"] = f"{stats.norm.ppf(0.975):.2f}"
    if setting is None:
        facts["re_richest"] = ("No setting in these data has two or more studies, so nothing is pooled and the "
                               "comparisons below have no example here.")
        facts["re_models"] = "not computable here (nothing to pool)"
        facts["re_weights"] = "not computable here (nothing to pool)"
        facts["re_tau2_range"] = "not computable here (nothing to pool)"
    else:
        chosen = members(rates, setting)
        facts["re_richest"] = (f"{setting_label(setting)}: {len(chosen)} studies "
                               f"({', '.join(chosen['study_name'])}, {int(chosen['total'].sum())} patients)")
        models = model_comparison(chosen).set_index("model")
        glmm, hk, wald = models.loc[GLMM], models.loc[IV_REML_HK], models.loc[IV_REML_Z]
        bayesian = models.drop(index=[GLMM, IV_REML_HK, IV_REML_Z]).iloc[0]
        facts["re_models"] = (f"the Bayesian model gives {_pool_text(bayesian.to_dict())} "
                              f"({bayesian['reported_by_the_review']}); the GLMM gives {_pool_text(glmm.to_dict())}; "
                              f"inverse variance with Hartung-Knapp gives {_pool_text(hk.to_dict())}; the same "
                              f"inverse-variance fit with a Wald z interval gives a CI of "
                              f"{_interval(wald['ci_low'], wald['ci_high'])}%")
        if len(chosen) < MIN_RANDOM_EFFECTS_STUDIES:
            facts["re_models"] += (f". With {len(chosen)} studies the review reports the Bayesian pool only: the "
                                   f"frequentist models need {MIN_RANDOM_EFFECTS_STUDIES} or more studies to say "
                                   "anything about how much the true rates differ")
        w = weights(chosen)
        names = dict(zip(chosen["study_id"], chosen["study_name"]))
        facts["re_weights"] = "; ".join(f"{names.get(r['study_id'], r['study_id'])} {r['fixed_weight_percent']:.0f}% fixed-effect, "
                                        f"{r['random_weight_percent']:.0f}% random-effects"
                                        for r in w.to_dict("records"))
        profile = reml_profile(chosen)
        inside = profile.loc[profile["inside_95"], "tau2"]
        reaches_end = bool(profile["inside_95"].iloc[-1])
        facts["re_tau2_range"] = (f"tau² from {inside.min():.2f} to "
                                  + (f"beyond {inside.max():.1f} (the end of the plotted range)" if reaches_end
                                     else f"{inside.max():.2f}"))

    all_pool = primary_pools(pools, ALL_SETTINGS) if not pools.empty else pools
    if all_pool.empty:
        facts["re_all_settings"] = ("These data hold a single setting, so the all-settings illustration does not "
                                    "arise here.")
    else:
        p = all_pool.iloc[0]
        names = dict(zip(rates["study_id"], rates["study_name"]))
        facts["re_all_settings"] = (f"{_pool_text(p)}, from {p['k']} studies "
                                    f"({', '.join(names.get(s, s) for s in str(p['studies']).split(', '))})")
    by_setting = []
    for group, pooled in ((g, primary_pools(pools, g)) for g in order):
        if pooled.empty:
            continue
        p = pooled.iloc[0]
        if math.isfinite(p["estimate"]):
            by_setting.append(f"{setting_label(group)}: {p['estimate']:.1f}% "
                              f"(95% {p['interval']} {_interval(p['ci_low'], p['ci_high'])}; "
                              f"{short_model_label(p['model'])}, {p['k']} studies)")
        else:
            by_setting.append(f"{setting_label(group)}: not pooled ({p['k']} studies: {p['note']})")
    facts["re_by_setting"] = "; ".join(by_setting) or "no setting has two or more studies to pool"
    facts["re_min_pooled"] = str(MIN_RANDOM_EFFECTS_STUDIES)
    test = subgroup_difference(rates, order) if not rates.empty else None
    facts["re_between"] = between_settings_text(test)
    return facts


def back_transform(logit: float) -> float:
    """A log odds as a percentage (inverse logit)."""
    return 100 * float(special.expit(logit))
