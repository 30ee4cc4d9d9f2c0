"""The results table: every statistic the pages show, one tidy row each.

Each notebook writes its rows to a CSV next to its executed copy; the build concatenates
them into ``_build/results/results.csv`` (:func:`combine_results`). Values computed here
carry the method that computed them; values shown as printed say ``as printed``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..curated.studies import Study
from ..statistics.intervals import METHOD_ALIASES, PROPORTION_CI_METHODS
from ..statistics.response import EXACT, response_rates
from ..statistics.safety import ae_rates
from ..statistics.survival import printed_survival

# ``analysis_id`` names the analysis of the analysis model a derived row comes from (empty for a
# study's own values): one analysis has one value for each statistic, on every page.
RESULT_COLUMNS = ["scope", "arm", "population", "endpoint", "statistic", "estimate", "ci_low",
                  "ci_high", "method", "printed", "data_file", "data_row", "analysis_id"]
AS_PRINTED = "as printed"
# A GRADE certainty as a number (1 = very low ... 4 = high), so that builds can be compared.
CERTAINTY_STATISTIC = "certainty_level"
FLOAT_FORMAT = "%.10g"  # enough digits to compare runs, few enough to be stable across platforms


def _num(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def response_results(study: Study) -> pd.DataFrame:
    """Recomputed response proportions: exact CI, and the stated method's CI when it differs."""
    rows = []
    for r in response_rates(study).to_dict("records"):
        if pd.isna(r["count"]):
            continue
        base = {"scope": study.study_id, "arm": r["arm"], "population": r["population"],
                "endpoint": r["endpoint"] + (f" ({r['qualifier']})" if r["qualifier"] else ""),
                "statistic": "proportion_percent", "estimate": r["percent"],
                "printed": r["printed_percent"], "data_file": "outcomes.csv", "data_row": r["row"]}
        rows.append({**base, "ci_low": r["exact_low"], "ci_high": r["exact_high"],
                     "method": f"{EXACT} CI from count/denominator"})
        stated = METHOD_ALIASES.get(r["stated_method"], r["stated_method"])
        if stated in PROPORTION_CI_METHODS and stated != EXACT:
            rows.append({**base, "ci_low": r["stated_low"], "ci_high": r["stated_high"],
                         "method": f"{stated} CI from count/denominator (stated by the paper)"})
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def safety_results(study: Study, vocabulary: pd.DataFrame) -> pd.DataFrame:
    """AE rates per harmonised term and band (recomputed from counts where printed)."""
    rows = []
    for r in ae_rates(study, vocabulary).to_dict("records"):
        recomputed = not pd.isna(r["count"])
        rows.append({
            "scope": study.study_id, "arm": r["arm"], "population": r["population"],
            "endpoint": f"{r['category']}: {r['term']}", "statistic": f"percent {r['band']}",
            "estimate": r["percent"], "ci_low": math.nan, "ci_high": math.nan,
            "method": "count/denominator" if recomputed else AS_PRINTED,
            "printed": r["printed_percent"], "data_file": "adverse_events.csv", "data_row": r["rows"],
        })
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def survival_results(study: Study) -> pd.DataFrame:
    """Printed survival summaries, carried into the results table as printed."""
    frame = study.table("outcomes", as_typed=False).set_index("row")
    rows = []
    for r in printed_survival(study).to_dict("records"):
        source = frame.loc[r["row"]]
        statistic = r["measure"] + (f" at {r['timepoint_months']} months" if r["timepoint_months"] else "")
        estimate = source["events"] if r["measure"] == "events" else source["estimate"]
        rows.append({
            "scope": study.study_id,
            "arm": r["arm"] + (f" vs {source['comparator_arm']}" if source["comparator_arm"] else ""),
            "population": r["population"], "endpoint": r["endpoint"], "statistic": statistic,
            "estimate": _num(estimate), "ci_low": _num(source["ci_low"]), "ci_high": _num(source["ci_high"]),
            "method": AS_PRINTED, "printed": r["value"], "data_file": "outcomes.csv", "data_row": r["row"],
        })
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def study_results(study: Study, vocabulary: pd.DataFrame) -> pd.DataFrame:
    """All result rows of one study page."""
    parts = [response_results(study), survival_results(study), safety_results(study, vocabulary)]
    return pd.concat([p for p in parts if not p.empty], ignore_index=True).reindex(columns=RESULT_COLUMNS)


def event_count_origin(printed) -> str:
    """Where a reconstructed arm's event count comes from: the printed count it is held to,
    the bounds a parent population's printed count sets, or the censoring assumption alone."""
    if printed.events is not None:
        return "event count held to the printed one"
    bounds = printed.event_bounds
    if bounds is not None:
        return (f"event count not printed: no loss to follow-up assumed, held within {bounds[0]}–{bounds[1]} "
                f"by {printed.bound_source}")
    return "event count not printed: no loss to follow-up assumed"


def reconstruction_results(scope: str, groups: dict, comparisons: list[dict]) -> pd.DataFrame:
    """Statistics of reconstructed survival data: KM medians and landmarks, event counts,
    and Cox hazard ratios between arms, each labelled as reconstructed."""
    rows = []
    for (population, endpoint), arms in groups.items():
        for arm in arms:
            printed = arm.inputs.printed
            base = {"scope": scope, "arm": arm.inputs.arm, "population": population, "endpoint": endpoint,
                    "data_file": "outcomes.csv", "data_row": ", ".join(map(str, arm.inputs.rows))}
            rows.append({**base, "statistic": "median", "estimate": arm.median, "ci_low": arm.median_ci[0],
                         "ci_high": arm.median_ci[1], "method": f"Kaplan-Meier, {arm.inputs.method}",
                         "printed": "" if printed.median is None else f"{printed.median:g}"})
            rows.append({**base, "statistic": "events", "estimate": float(arm.result.data["event"].sum()),
                         "ci_low": math.nan, "ci_high": math.nan,
                         "method": f"{arm.inputs.method}; {event_count_origin(printed)}",
                         "printed": "" if printed.events is None else str(printed.events)})
            for months, rate, reconstructed in arm.landmarks:
                rows.append({**base, "statistic": f"landmark at {months:g} months", "estimate": reconstructed,
                             "ci_low": math.nan, "ci_high": math.nan,
                             "method": f"Kaplan-Meier, {arm.inputs.method}", "printed": f"{rate:g}"})
    for c in comparisons:
        unadjusted = [r for r in c["printed"] if r["adjusted"] != "yes"]
        rows.append({
            "scope": scope, "arm": f"{c['arm']} vs {c['control']}", "population": c["population"],
            "endpoint": c["endpoint"], "statistic": "hazard_ratio", "estimate": c["hazard_ratio"],
            "ci_low": c["ci_low"], "ci_high": c["ci_high"], "method": f"Cox PH, {c['method']}",
            "printed": unadjusted[0]["estimate"] if unadjusted else "", "data_file": "outcomes.csv",
            "data_row": ", ".join(str(r["row"]) for r in c["printed"])})
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def write_results(frame: pd.DataFrame, path: Path) -> None:
    """Write result rows with a fixed float format, so equal inputs give identical bytes."""
    frame = frame.reindex(columns=RESULT_COLUMNS)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_empty_results(path: Path) -> None:
    """Write a results file with the header only (a page that computes no statistics)."""
    write_results(pd.DataFrame(columns=RESULT_COLUMNS), path)


def combine_results(paths: list[Path]) -> pd.DataFrame:
    """Concatenate per-notebook result files in a stable order (scope, then file order)."""
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(paths)]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    combined = pd.concat(frames, ignore_index=True).reindex(columns=RESULT_COLUMNS)
    return combined.sort_values("scope", kind="stable").reset_index(drop=True)
