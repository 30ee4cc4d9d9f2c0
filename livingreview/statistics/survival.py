"""Time-to-event results as the papers print them: medians, landmark rates, events, HRs.

Nothing here is recomputed: a paper's survival summaries cannot be checked without its
patient-level data. They are gathered into one readable table per study, each row linked
to its data row, and across studies into the printed hazard ratios of the intervention
against a control and the printed medians and landmark rates of every arm.
"""

from __future__ import annotations

import pandas as pd

from ..curated.studies import Study, stack_rows
from .arms import (arm_label, comparison_population, control_arms, efficacy_population, intervention_arms,
                   two_arm_studies)
from .printed_frame import SOURCE_RANK

SURVIVAL_ENDPOINTS = ("PFS", "OS", "DoR")
SURVIVAL_MEASURES = ("median", "landmark", "events", "hazard_ratio")
SUMMARY_COLUMNS = ["endpoint", "arm", "population", "measure", "timepoint_months", "value", "ci",
                   "events", "comparison", "p_value", "model", "source_type", "source", "row", "quote"]


def _value(row: dict) -> str:
    value = row["estimate"] or row["estimate_text"]
    if row["measure"] == "events":
        return row["events"] or row["count"]
    unit = {"months": " months", "percent": "%", "days": " days"}.get(row["unit"], "")
    return f"{value}{unit}" if value else ""


def _ci(row: dict) -> str:
    if not row["ci_low"]:
        return ""
    level = row["ci_level"] or "95"
    return f"{level}% CI {row['ci_low']}–{row['ci_high'] or row['ci_high_text']}"


def printed_survival(study: Study) -> pd.DataFrame:
    """One row per printed survival summary (see :data:`SUMMARY_COLUMNS`), values as printed."""
    text = study.table("outcomes", as_typed=False)
    chosen = text[text["endpoint"].isin(SURVIVAL_ENDPOINTS) & text["measure"].isin(SURVIVAL_MEASURES)]
    records = []
    for row in chosen.to_dict("records"):
        comparison = ""
        if row["comparator_arm"]:
            comparison = f"{row['arm']} vs {row['comparator_arm']}"
        records.append({
            "endpoint": row["endpoint"], "arm": row["arm"], "population": row["population"],
            "measure": row["measure"], "timepoint_months": row["timepoint_months"],
            "value": _value(row), "ci": _ci(row),
            "events": row["events"] if row["measure"] != "events" else "",
            "comparison": comparison, "p_value": row["p_value"], "model": row["model"],
            "source_type": row["source_type"], "source": row["source"], "row": row["row"],
            "quote": row["quote"],
        })
    frame = pd.DataFrame(records, columns=SUMMARY_COLUMNS)
    order = {name: i for i, name in enumerate(SURVIVAL_ENDPOINTS)}
    measure_order = {name: i for i, name in enumerate(SURVIVAL_MEASURES)}
    return (frame.assign(_e=frame["endpoint"].map(order), _m=frame["measure"].map(measure_order))
            .sort_values(["_e", "_m", "arm", "row"], kind="stable")
            .drop(columns=["_e", "_m"]).reset_index(drop=True))


def printed_hazard_ratios(studies: list[Study]) -> pd.DataFrame:
    """Every printed hazard ratio with a CI for the intervention against a control arm, in the
    comparison population."""
    rows = []
    for study in two_arm_studies(studies):
        outcomes = study.table("outcomes", as_typed=False)
        chosen = outcomes[(outcomes["measure"] == "hazard_ratio") & outcomes["ci_low"].ne("")
                          & outcomes["arm"].isin(intervention_arms(study))
                          & outcomes["comparator_arm"].isin(control_arms(study))
                          & (outcomes["population"] == comparison_population(study))
                          & outcomes["endpoint"].isin(["PFS", "OS"])]
        for r in chosen.to_dict("records"):
            rows.append({"study_id": study.study_id, "setting_group": study.meta["setting_group"],
                         "endpoint": r["endpoint"], "population": r["population"], "arm": r["arm"],
                         "control": r["comparator_arm"], "estimate": float(r["estimate"]),
                         "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]),
                         "ci_level": r["ci_level"] or "95", "adjusted": r["adjusted"] == "yes",
                         "model": r["model"], "source_type": r["source_type"], "source": r["source"],
                         "quote": r["quote"], "data_row": int(r["row"]), "printed": r["estimate"]})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    # The same ratio printed in the abstract and the text is one result: keep the most
    # detailed place (as the survival reconstruction ranks them).
    rank = frame["source_type"].map(SOURCE_RANK).fillna(9)
    frame = frame.assign(_rank=rank).sort_values(["_rank", "data_row"], kind="stable")
    frame = frame.drop_duplicates(["study_id", "endpoint", "arm", "control", "estimate", "ci_low", "ci_high",
                                   "adjusted", "model"])
    return frame.drop(columns="_rank").sort_values(["study_id", "endpoint", "adjusted", "data_row"],
                                                   kind="stable").reset_index(drop=True)


def printed_survival_summaries(studies: list[Study]) -> pd.DataFrame:
    """Printed medians and landmark rates of every arm, in each study's efficacy population."""
    frames = []
    for study in studies:
        printed = printed_survival(study)
        printed = printed[printed["measure"].isin(["median", "landmark"]) & printed["endpoint"].isin(["PFS", "OS"])
                          & (printed["population"] == efficacy_population(study)) & (printed["arm"] != "all")]
        frames.append(printed.assign(study_id=study.study_id, setting_group=study.meta["setting_group"],
                                     intervention=printed["arm"].isin(intervention_arms(study)),
                                     arm_label=[arm_label(study, a) for a in printed["arm"]]))
    return stack_rows(frames)
