"""Pools of study arms' rates within each setting: the primary and sensitivity models, the
pools per adverse-event definition, leave-one-out refits and the test for differences between
settings.

Rates are pooled only within a setting (first line, later line, nodal recurrence): the settings
differ in prognosis, so a pooled number across them describes no patient. A pooled estimate
across all settings is computed once, labelled as an illustration of that heterogeneity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..curated.dictionary import load_dictionary
from . import bayes
from .meta import (GLMM, NotEstimable, PooledEstimate, glmm_moderator_test, glmm_proportion, inverse_variance,
                   logit_effect_sizes, reml_tau2)

ALL_SETTINGS = "all_settings"
ALL_SETTINGS_LABEL = "All settings together (illustration of heterogeneity, not a finding)"
MIN_POOLED_STUDIES = 2
# What a pool is, by role: the review's estimate; the same studies by another model; the
# review's model with another prior on tau.
PRIMARY, SENSITIVITY_MODEL, PRIOR_SENSITIVITY = "primary", "other model", "other prior"
# A frequentist random-effects model needs this many studies to say anything about tau^2: with two
# it is often estimated as 0, and a Hartung-Knapp interval on one degree of freedom covers
# nearly every value (Cochrane Handbook ch. 10; IntHout et al. 2014; Röver et al. 2015).
MIN_RANDOM_EFFECTS_STUDIES = 3
# Leave-one-out refits a pool without each study in turn: from this many studies every refit is
# itself a pool of two or more studies.
LEAVE_ONE_OUT_MIN_STUDIES = MIN_POOLED_STUDIES + 1
POOLED_COLUMNS = ["group", "endpoint", "model", "role", "qualifier", "interval", "k", "patients", "studies", "estimate",
                  "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "note", "definition"]


@dataclass(frozen=True)
class PoolingRules:
    """Which model pools a set of studies (review.yaml ``pooling``; the methods page states them).

    Up to ``bayesian_max_studies`` studies the pool is Bayesian (binomial-normal, half-normal
    prior of scale ``tau_prior_scale`` on tau, logit scale): with 2 to 4 studies the data say
    almost nothing about tau, and a weakly informative prior gives an interval that neither
    ignores the uncertainty in tau (as a Wald interval does) nor covers every value (as
    Hartung-Knapp on one degree of freedom does) (Friede et al. 2017; Bender et al. 2018; Röver
    et al. 2021). From ``frequentist_min_studies`` studies the GLMM and inverse variance with
    Hartung-Knapp are shown beside it; above ``bayesian_max_studies`` the GLMM is the primary
    model and the Bayesian pool a sensitivity analysis. Every Bayesian pool is repeated with
    each scale of ``tau_prior_sensitivity``.
    """

    bayesian_max_studies: int = 4
    frequentist_min_studies: int = MIN_RANDOM_EFFECTS_STUDIES
    tau_prior_scale: float = 1.0
    tau_prior_sensitivity: tuple[float, ...] = (0.5, 2.0)

    @classmethod
    def from_review(cls, review: dict) -> "PoolingRules":
        """The rules review.yaml states under ``pooling`` (the defaults for what it leaves out)."""
        given = review.get("pooling") or {}
        default = cls()
        return cls(int(given.get("bayesian_max_studies", default.bayesian_max_studies)),
                   int(given.get("frequentist_min_studies", default.frequentist_min_studies)),
                   float(given.get("tau_prior_scale", default.tau_prior_scale)),
                   tuple(float(s) for s in given.get("tau_prior_sensitivity", default.tau_prior_sensitivity)))


DEFAULT_RULES = PoolingRules()


def _pooled_row(group: str, endpoint: str, estimate: PooledEstimate, rates: pd.DataFrame, role: str = PRIMARY,
                qualifier: str = "") -> dict:
    shown = estimate.as_proportion()
    return {"group": group, "endpoint": endpoint, "model": estimate.model, "role": role, "qualifier": qualifier,
            "interval": estimate.interval, "k": estimate.k,
            "patients": int(rates["total"].sum()), "studies": ", ".join(rates["study_id"]),
            **{key: 100 * value for key, value in shown.items()}, "tau2": estimate.tau2, "i2": estimate.i2,
            "note": estimate.note, "definition": ""}


def pool_rates(rates: pd.DataFrame, endpoint: str,
               rules: PoolingRules = DEFAULT_RULES) -> list[tuple[str, str, PooledEstimate]]:
    """The pools of one set of arms by :class:`PoolingRules`, the primary first:
    [(role, qualifier, estimate), ...], where ``qualifier`` names a pool other than the primary in
    its analysis id ('glmm', 'inverse-variance', 'prior-0.5', 'bayesian'; '' for the primary).
    One study: nothing (empty)."""
    k = len(rates)
    if k < MIN_POOLED_STUDIES:
        return []
    labels = tuple(rates["study_id"])
    events, totals = rates["events"], rates["total"]
    bayesian = bayes.binomial_normal(events, totals, rules.tau_prior_scale, labels=labels)
    other_priors = [(PRIOR_SENSITIVITY, f"prior-{scale:g}", bayes.binomial_normal(events, totals, scale, labels=labels))
                    for scale in rules.tau_prior_sensitivity]
    frequentist = []
    if k >= rules.frequentist_min_studies:
        yi, vi = logit_effect_sizes(events, totals)
        frequentist = [("glmm", glmm_or_reason(events, totals, labels=labels)),
                       ("inverse-variance", inverse_variance(yi, vi, hartung_knapp=True, labels=labels))]
    if bayesian_is_primary(k, rules):
        return ([(PRIMARY, "", bayesian)] + [(SENSITIVITY_MODEL, v, f) for v, f in frequentist] + other_priors)
    (_, glmm), others = frequentist[0], frequentist[1:]
    return ([(PRIMARY, "", glmm)] + [(SENSITIVITY_MODEL, v, f) for v, f in others]
            + [(SENSITIVITY_MODEL, "bayesian", bayesian)] + other_priors)


def bayesian_is_primary(k: int, rules: PoolingRules) -> bool:
    """Whether the Bayesian pool is the review's estimate for ``k`` studies: up to the rules'
    maximum, and whenever the frequentist models are not fitted."""
    return k <= rules.bayesian_max_studies or k < rules.frequentist_min_studies


def primary_pool(rates: pd.DataFrame, rules: PoolingRules = DEFAULT_RULES) -> PooledEstimate:
    """The pool :func:`pool_rates` lists first (its primary) alone, without fitting the others;
    for two studies or more."""
    labels = tuple(rates["study_id"])
    if bayesian_is_primary(len(rates), rules):
        return bayes.binomial_normal(rates["events"], rates["total"], rules.tau_prior_scale, labels=labels)
    return glmm_or_reason(rates["events"], rates["total"], labels=labels)


def short_model_label(model: str) -> str:
    """A model as a figure's row label names it: 'Bayesian', 'GLMM', 'inverse variance'."""
    if model.startswith("Bayesian"):
        return "Bayesian"
    if model == GLMM:
        return "GLMM"
    return model.split(",")[0].split(" (")[0]


def primary_pools(pools: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """The rows of a pools table (:func:`pooled_table`) that hold the review's estimate, of one
    setting when ``group`` is given."""
    chosen = pools[pools["role"] == PRIMARY] if "role" in pools else pools.iloc[0:0]
    return chosen if group is None else chosen[chosen["group"] == group]


def glmm_or_reason(events, totals, labels: tuple[str, ...] = ()) -> PooledEstimate:
    """:func:`glmm_proportion`, or, where the model has no finite estimate (every study at 0%,
    or every study at 100%), a record of the pool with every number NaN and the reason in its
    ``note``, so that a page says why instead of stopping."""
    try:
        return glmm_proportion(events, totals, labels=labels)
    except NotEstimable as reason:
        return PooledEstimate.not_estimable(GLMM, len(events), str(reason), labels)


def inverse_variance_weights(rates: pd.DataFrame) -> list[float]:
    """Each study's share (percent) of the random-effects inverse-variance pool of its logit
    rate (weights 1 / (v_i + tau²), tau² by REML), as a forest plot's weight column shows it."""
    yi, vi = logit_effect_sizes(rates["events"], rates["total"])
    weights = 1 / (np.asarray(vi) + reml_tau2(yi, vi))
    return list(100 * weights / weights.sum())


def setting_groups(rates: pd.DataFrame, order: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """(setting, its rows) in the review's order, then all settings together when there is
    more than one setting."""
    groups = [(s, rates[rates["setting_group"] == s]) for s in order if (rates["setting_group"] == s).any()]
    groups += [(s, rates[rates["setting_group"] == s]) for s in sorted(set(rates["setting_group"]) - set(order))]
    if len(groups) > 1:
        groups.append((ALL_SETTINGS, rates))
    return groups


def definition_label(category: str) -> str:
    """'treatment-related adverse events' for an adverse-event category code (its label in the
    data dictionary)."""
    return load_dictionary().label("adverse_events", "category", category)


def mixed_definitions_note(categories: list[str]) -> str:
    """Why studies that count different adverse events are not pooled together."""
    return ("the studies count different events (" + " and ".join(definition_label(c) for c in categories)
            + "), so a study is pooled only with studies that count the same events")


def pooled_table(rates: pd.DataFrame, endpoint: str, order: list[str], by_definition: bool = False,
                 rules: PoolingRules = DEFAULT_RULES) -> pd.DataFrame:
    """Pooled proportions (percent) per setting and model (see :data:`POOLED_COLUMNS`).

    With ``by_definition`` (adverse events) studies are pooled only with studies that count the
    same events (the rates' ``category``, e.g. treatment-emergent or treatment-related): where a
    setting holds both, its first record is a not-pooled one saying so, followed by one pool per
    definition with ``definition`` set.
    """
    rows = []
    for group, members in setting_groups(rates, order):
        definitions = sorted(set(members["category"])) if by_definition else [""]
        if len(definitions) > 1:
            note = mixed_definitions_note(definitions)
            rows.append(_pooled_row(group, endpoint, PooledEstimate.not_estimable(
                bayes.model_label(bayes.BINOMIAL_NORMAL, rules.tau_prior_scale), len(members), note,
                tuple(members["study_id"])), members))
        for definition in definitions:
            chosen = members[members["category"] == definition] if len(definitions) > 1 else members
            for role, qualifier, estimate in pool_rates(chosen.reset_index(drop=True), endpoint, rules):
                rows.append({**_pooled_row(group, endpoint, estimate, chosen, role, qualifier),
                             "definition": definition if len(definitions) > 1 else ""})
    return pd.DataFrame(rows, columns=POOLED_COLUMNS)


def leave_one_out_table(rates: pd.DataFrame, endpoint: str, order: list[str],
                        rules: PoolingRules = DEFAULT_RULES) -> pd.DataFrame:
    """Each pool with :data:`LEAVE_ONE_OUT_MIN_STUDIES` or more studies refitted without each
    study in turn, each refit by the model the rules choose for its number of studies."""
    rows = []
    for group, members in setting_groups(rates, order):
        if len(members) < LEAVE_ONE_OUT_MIN_STUDIES:
            continue
        for left_out in members["study_id"]:
            kept = members[members["study_id"] != left_out].reset_index(drop=True)
            estimate = primary_pool(kept, rules)
            rows.append({"left_out": left_out, **_pooled_row(group, endpoint, estimate, kept)})
    return pd.DataFrame(rows, columns=["left_out", *POOLED_COLUMNS])


def subgroup_difference(rates: pd.DataFrame, order: list[str]) -> dict[str, float] | None:
    """Test for differences between settings with the review's binomial-normal model: the GLMM
    with the setting as a moderator (one mean per setting, one tau² shared by all settings;
    :func:`meta.glmm_moderator_test`, pinned to metafor's ``rma.glmm(mods = ~ setting)``).
    Sharing tau² lets a setting of two studies enter without a pool of its own being reported.
    {q, df, p, tau2}; None with fewer than two settings, or with no more studies than settings.
    A large Q says the settings' rates differ more than chance allows."""
    chosen = rates[rates["setting_group"] != ALL_SETTINGS]
    known = [g for g in order if g in set(chosen["setting_group"])]
    known += sorted(set(chosen["setting_group"]) - set(known))
    chosen = chosen.assign(_order=[known.index(g) for g in chosen["setting_group"]])
    chosen = chosen.sort_values("_order", kind="stable")
    try:
        test = glmm_moderator_test(chosen["events"], chosen["total"], chosen["setting_group"])
    except NotEstimable:
        return None
    return {"q": test.q, "df": test.df, "p": test.p, "tau2": test.tau2}
