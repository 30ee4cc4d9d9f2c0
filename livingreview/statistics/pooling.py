"""Pools of study arms' rates within each setting: the primary and sensitivity models, the
pools per adverse-event definition, leave-one-out refits and the test for differences between
settings.

Rates are pooled only within a setting (first line, later line, nodal recurrence): the settings
differ in prognosis, so a pooled number across them describes no patient. A pooled estimate
across all settings is computed once, labelled as an illustration of that heterogeneity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..curated.dictionary import load_dictionary
from .meta import (GLMM, NotEstimable, PooledEstimate, glmm_moderator_test, glmm_proportion, inverse_variance,
                   leave_one_out, logit_effect_sizes, reml_tau2)

ALL_SETTINGS = "all_settings"
ALL_SETTINGS_LABEL = "All settings together (illustration of heterogeneity, not a finding)"
MIN_POOLED_STUDIES = 2
# Fewer studies than this give no random-effects pool: two studies cannot estimate how much the
# true values differ between studies (tau^2 is then often estimated as 0, and a prediction
# interval would claim a homogeneity they cannot show), and a Hartung-Knapp interval on one
# degree of freedom covers nearly every value (Cochrane Handbook ch. 10; IntHout et al. 2014;
# Röver et al. 2015). Such pools show the studies side by side and no summary number: a
# common-effect summary would assume one true value for studies that may differ, and a reader
# would take it for the pool the review refuses to make.
MIN_RANDOM_EFFECTS_STUDIES = 3
# Leave-one-out refits a pool without each study in turn: from this many studies every refit is
# itself a random-effects pool.
LEAVE_ONE_OUT_MIN_STUDIES = MIN_RANDOM_EFFECTS_STUDIES + 1
TOO_FEW_FOR_RANDOM_EFFECTS = ("two studies cannot show how much the true values differ between studies, so no "
                              "random-effects pool or prediction interval is given")
POOLED_COLUMNS = ["group", "endpoint", "model", "k", "patients", "studies", "estimate", "ci_low", "ci_high",
                  "pi_low", "pi_high", "tau2", "i2", "note", "definition"]


def _pooled_row(group: str, endpoint: str, estimate: PooledEstimate, rates: pd.DataFrame) -> dict:
    shown = estimate.as_proportion()
    return {"group": group, "endpoint": endpoint, "model": estimate.model, "k": estimate.k,
            "patients": int(rates["total"].sum()), "studies": ", ".join(rates["study_id"]),
            **{key: 100 * value for key, value in shown.items()}, "tau2": estimate.tau2, "i2": estimate.i2,
            "note": estimate.note, "definition": ""}


def pool_rates(rates: pd.DataFrame, endpoint: str) -> list[PooledEstimate]:
    """The pools of one set of arms, the primary first.

    Three or more studies: the binomial-normal GLMM (primary) and inverse-variance REML with
    Hartung-Knapp (sensitivity). Two studies: one not-pooled record saying why
    (:data:`TOO_FEW_FOR_RANDOM_EFFECTS`), and no summary number. One study: nothing (empty).
    """
    if len(rates) < MIN_POOLED_STUDIES:
        return []
    labels = tuple(rates["study_id"])
    if len(rates) < MIN_RANDOM_EFFECTS_STUDIES:
        return [PooledEstimate.not_estimable(GLMM, len(rates), TOO_FEW_FOR_RANDOM_EFFECTS, labels)]
    yi, vi = logit_effect_sizes(rates["events"], rates["total"])
    return [glmm_or_reason(rates["events"], rates["total"], labels=labels),
            inverse_variance(yi, vi, hartung_knapp=True, labels=labels)]


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


def pooled_table(rates: pd.DataFrame, endpoint: str, order: list[str], by_definition: bool = False) -> pd.DataFrame:
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
                GLMM, len(members), note, tuple(members["study_id"])), members))
        for definition in definitions:
            chosen = members[members["category"] == definition] if len(definitions) > 1 else members
            for estimate in pool_rates(chosen.reset_index(drop=True), endpoint):
                rows.append({**_pooled_row(group, endpoint, estimate, chosen),
                             "definition": definition if len(definitions) > 1 else ""})
    return pd.DataFrame(rows, columns=POOLED_COLUMNS)


def leave_one_out_table(rates: pd.DataFrame, endpoint: str, order: list[str]) -> pd.DataFrame:
    """Each pool with :data:`LEAVE_ONE_OUT_MIN_STUDIES` or more studies refitted without each
    study in turn (GLMM), so that every refit is itself a random-effects pool."""
    rows = []
    for group, members in setting_groups(rates, order):
        if len(members) < LEAVE_ONE_OUT_MIN_STUDIES:
            continue
        labels = list(members["study_id"])
        for left_out, estimate in leave_one_out(glmm_or_reason, labels, members["events"], members["total"]):
            kept = members[members["study_id"] != left_out]
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
