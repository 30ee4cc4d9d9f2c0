"""How the chapters write rates in words: a percentage, an interval, a setting's name in the
middle of a sentence, and a pooled rate (or why there is none) as one clause."""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats

from ..display import degrees_of_freedom, format_p
from ...statistics import bayes
from ...statistics.pooling import ALL_SETTINGS, PoolingRules, primary_pools
from ...statistics.safety import band_note
from ...statistics.wording import rate_is_uninformative

PERCENT = "{:.1f}"
NOT_TESTABLE_BETWEEN_SETTINGS = ("not testable: the studies fall in fewer than two settings, or no setting has two "
                                 "studies from which to estimate how much studies differ within a setting")


def pct(value: float) -> str:
    """A percentage at one decimal; empty where there is none."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else PERCENT.format(value)


def interval(low: float, high: float, digits: int = 1) -> str:
    """'35.2–61.0': an interval's bounds joined by an en dash."""
    return f"{low:.{digits}f}–{high:.{digits}f}"


def pool_sentence(pools: pd.DataFrame, group: str, names: dict[str, str], rates: pd.DataFrame | None = None) -> str:
    """A setting's random-effects pool in words (estimate, CI, prediction interval, studies and
    patients); too imprecise to inform, or not pooled and why. Empty when the setting has no pool."""
    chosen = primary_pools(pools, group)
    if chosen.empty:
        return ""
    p = chosen.iloc[0]
    if not math.isfinite(p["estimate"]):
        return _not_pooled_sentence(pools, group, p, names, rates)
    if rate_is_uninformative(p["ci_low"], p["ci_high"]):
        return (f"too imprecise to inform (95% {p['interval']} {interval(p['ci_low'], p['ci_high'])}; {p['k']} "
                f"studies, {p['patients']} patients)")
    return (f"{pct(p['estimate'])}% (95% {p['interval']} {interval(p['ci_low'], p['ci_high'])}; prediction "
            f"interval {interval(p['pi_low'], p['pi_high'])}; {p['k']} studies, {p['patients']} patients)")


def _not_pooled_sentence(pools: pd.DataFrame, group: str, primary: pd.Series, names: dict[str, str],
                         rates: pd.DataFrame | None) -> str:
    """'not pooled (reason): A 76.1% (35/46) and B 90.0% (27/30)' for a pool without an estimate."""
    text = f"not pooled ({primary['note']})"
    if rates is not None:
        members = rates if group == ALL_SETTINGS else rates[rates["setting_group"] == group]
        text += ": " + " and ".join(f"{names[r['study_id']]} {pct(r['percent'])}% ({r['events']}/{r['total']}"
                                    + (f"; {band_note(r['band_counted'])}" if band_note(r.get("band_counted", ""))
                                       else "") + ")"
                                    for r in members.to_dict("records"))
    return text


def between_settings_text(test: dict | None) -> str:
    """The test for differences between settings in words: 'Q = 21.0 on 1 degree of freedom,
    p < 0.001 (binomial-normal model with the setting as a moderator)', or why it is not made."""
    if test is None:
        return NOT_TESTABLE_BETWEEN_SETTINGS
    return (f"Q = {test['q']:.1f} on {degrees_of_freedom(test['df'])}, {format_p(test['p'])} "
            "(binomial-normal model with the setting as a moderator)")


def pooling_rule_facts(rules: PoolingRules) -> dict[str, str]:
    """The review's pooling rules (review.yaml ``pooling``) as prose glues them, and what the
    prior on tau means: its median and 95th percentile."""
    scale = rules.tau_prior_scale
    return {"pool_bayes_max": str(rules.bayesian_max_studies),
            "pool_freq_min": str(rules.frequentist_min_studies),
            "pool_glmm_primary_min": str(rules.bayesian_max_studies + 1),
            "tau_prior_scale": f"{scale:g}",
            "tau_prior_median": f"{stats.halfnorm.ppf(0.5, scale=scale):.2f}",
            "tau_prior_95": f"{stats.halfnorm.ppf(0.95, scale=scale):.2f}",
            "tau_prior_sensitivity": " and ".join(f"{s:g}" for s in rules.tau_prior_sensitivity),
            "mean_prior_sd": f"{bayes.MEAN_PRIOR_SD:g}"}
