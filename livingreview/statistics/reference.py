"""The inputs of every pooled analysis, and this package's statistics on them, in the long
format the metafor reference fixtures use.

``make metafor-fixtures`` writes :func:`analysis_inputs` of the curated data to
``tests/fixtures/metafor/inputs.csv`` and runs ``make_reference.R`` on it, which writes R
metafor's results to ``reference.csv``. The tests compare :func:`package_statistics` on the
same inputs with that file, so they need no R.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from ..curated.studies import load_studies, load_vocabulary
from ..curated.integrity import main_analysis_studies, sensitivity_analysis_studies
from .meta import glmm_moderator_test, glmm_proportion, inverse_variance, logit_effect_sizes
from ..curated.review import load_review
from .landmarks import landmark_table, reconstructed_arms
from .odds_ratios import odds_ratio, response_odds_ratios
from .pooling import ALL_SETTINGS, MIN_POOLED_STUDIES, setting_groups
from .rate_tables import arm_rates
from .safety import grade3_rates

INPUT_COLUMNS = ["analysis", "group", "endpoint", "study_id", "events", "total", "events_2", "total_2",
                 "yi", "vi", "setting"]
REFERENCE_COLUMNS = ["analysis", "group", "endpoint", "model", "left_out", "statistic", "value"]
POOLED_STATISTICS = ("estimate", "se", "ci_low", "ci_high", "tau2", "i2", "pi_low", "pi_high")
MODERATOR_STATISTICS = ("q", "p", "tau2")
LANDMARKS = (("OS", 12.0), ("PFS", 12.0))


def analysis_inputs(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Per-study inputs of every pool the synthesis chapters fit (see :data:`INPUT_COLUMNS`)."""
    data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
    every_study = load_studies(data_dir)
    studies = main_analysis_studies(every_study)
    order = list(load_review(data_dir).get("setting_groups", {}))
    vocabulary = load_vocabulary(data_dir=data_dir)
    rows = []
    # The main analyses, then the integrity sensitivity analyses (group "<setting> | <variant>").
    variants = [("", studies), (" | with sensitivity-only studies", sensitivity_analysis_studies(every_study)),
                (" | with excluded studies", every_study)]
    for suffix, chosen in variants:
        rate_sets = [(endpoint, arm_rates(chosen, endpoint)) for endpoint in ("ORR", "DCR")]
        rate_sets.append(("grade3", grade3_rates(chosen, vocabulary)))
        for endpoint, rates in rate_sets:
            for group, members in setting_groups(rates, order):
                if len(members) < MIN_POOLED_STUDIES:
                    continue
                for r in members.to_dict("records"):
                    rows.append({"analysis": "proportion", "group": group + suffix, "endpoint": endpoint,
                                 "study_id": r["study_id"], "events": r["events"], "total": r["total"]})
            # The test for differences between settings (main analysis only): every study with
            # its setting, the settings in the review's order (metafor's first level is the
            # reference level; the test does not depend on which).
            if suffix == "" and 1 < rates["setting_group"].nunique() < len(rates):
                ranked = rates.assign(_rank=[order.index(g) if g in order else len(order)
                                             for g in rates["setting_group"]]).sort_values("_rank", kind="stable")
                for r in ranked.to_dict("records"):
                    rows.append({"analysis": "moderator", "group": "settings", "endpoint": endpoint,
                                 "study_id": r["study_id"], "events": r["events"], "total": r["total"],
                                 "setting": r["setting_group"]})
    for r in response_odds_ratios(every_study).to_dict("records"):
        rows.append({"analysis": "odds_ratio", "group": r["setting_group"], "endpoint": r["endpoint"],
                     "study_id": r["study_id"], "events": r["events_arm"], "total": r["total_arm"],
                     "events_2": r["events_control"], "total_2": r["total_control"]})
    arms = reconstructed_arms(studies)
    for endpoint, months in LANDMARKS:
        table = landmark_table(arms, endpoint, months, studies)
        for group, members in setting_groups(table, order) if not table.empty else []:
            if group == ALL_SETTINGS or len(members) < MIN_POOLED_STUDIES:
                continue
            for r in members.to_dict("records"):
                rows.append({"analysis": "landmark", "group": group, "endpoint": f"{endpoint} at {months:g} months",
                             "study_id": r["study_id"], "yi": r["yi"], "vi": r["vi"]})
    return pd.DataFrame(rows, columns=INPUT_COLUMNS)


def _pooled_rows(key: dict, estimate) -> list[dict]:
    return [{**key, "statistic": name, "value": float(getattr(estimate, name))} for name in POOLED_STATISTICS]


def package_statistics(inputs: pd.DataFrame) -> pd.DataFrame:
    """This package's results on ``inputs``, in the reference's long format."""
    rows = []
    for (analysis, group, endpoint), members in inputs.groupby(["analysis", "group", "endpoint"], sort=True):
        base = {"analysis": analysis, "group": group, "endpoint": endpoint, "left_out": ""}
        if analysis == "proportion":
            events, totals = members["events"].astype(float), members["total"].astype(float)
            rows += _pooled_rows({**base, "model": "glmm"}, glmm_proportion(events, totals))
            yi, vi = logit_effect_sizes(events, totals)
            rows += _pooled_rows({**base, "model": "reml_hk_adhoc"}, inverse_variance(yi, vi))
            if len(members) > MIN_POOLED_STUDIES:
                for index, study_id in enumerate(members["study_id"]):
                    keep = [i for i in range(len(members)) if i != index]
                    rows += _pooled_rows({**base, "model": "glmm", "left_out": study_id},
                                         glmm_proportion(events.iloc[keep], totals.iloc[keep]))
        elif analysis == "moderator":
            test = glmm_moderator_test(members["events"].astype(float), members["total"].astype(float),
                                       members["setting"])
            rows += [{**base, "model": "glmm_mods", "statistic": name, "value": float(getattr(test, name))}
                     for name in MODERATOR_STATISTICS]
        elif analysis == "landmark":
            rows += _pooled_rows({**base, "model": "reml_hk_adhoc"}, inverse_variance(members["yi"], members["vi"]))
        elif analysis == "odds_ratio":
            for r in members.to_dict("records"):
                ratio = odds_ratio(int(r["events"]), int(r["total"]), int(r["events_2"]), int(r["total_2"]))
                key = {**base, "model": "escalc", "left_out": r["study_id"]}
                rows += [{**key, "statistic": "yi", "value": ratio["log_estimate"]},
                         {**key, "statistic": "vi", "value": ratio["variance"]}]
    return pd.DataFrame(rows, columns=REFERENCE_COLUMNS)
