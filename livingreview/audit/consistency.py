"""Audit rules on consistency: one quantity printed in several places, survival medians
against landmark rates, dates in a possible order, and values verified as printed although
they break a plausibility rule.
"""

from __future__ import annotations

import pandas as pd

from ..curated.dictionary import load_dictionary
from ..curated.printed import date_bounds, half_unit, has_value, parse_p_value, to_float
from ..curated.studies import Study, typed
from ..validation.row_rules import row_rules
from .findings import MISMATCH, OK, Finding, quantity_of, row_finding


# ----------------------------------------------------------------------------- cross-location


def _agree(a: str, b: str) -> bool:
    """Two printed numbers agree at the coarser of their precisions."""
    return abs(to_float(a) - to_float(b)) <= max(half_unit(a), half_unit(b)) + 1e-9


def _p_values_agree(printed: list[str]) -> bool:
    """Printed p-values agree when they say the same thing ("0.04" and "0.040" do)."""
    parsed = {parse_p_value(p) for p in printed}
    relations = {relation for relation, _ in parsed}
    if len(relations) > 1:
        return False
    values = [p.lstrip("<>=") for p in printed]
    return all(_agree(values[0], v) for v in values[1:])


CROSS_KEYS = {
    "outcomes": ["arm", "population", "endpoint", "measure", "timepoint_months", "qualifier", "comparator_arm",
                 "adjusted", "model"],
    "adverse_events": ["arm", "population", "category", "harmonised_term", "grade"],
}
CROSS_VALUES = {
    "outcomes": ["count", "denominator", "estimate", "ci_low", "ci_high", "events", "p_value"],
    "adverse_events": ["count", "denominator", "percent"],
}


def check_cross_location(study: Study, vocabulary: pd.DataFrame) -> list[Finding]:
    """Rule ``cross_location``: one quantity printed in several places must agree."""
    findings = []
    mapping = dict(zip(vocabulary["printed_term"], vocabulary["harmonised_term"]))
    for table, keys in CROSS_KEYS.items():
        frame = study.tables[table].copy()
        if table == "adverse_events":
            frame["harmonised_term"] = frame["term"].map(mapping).fillna(frame["term"])
        for key, group in frame.groupby(keys, dropna=False):
            if len(group) < 2 or group["source"].nunique() < 2:
                continue
            rows = group.to_dict("records")
            differences = []
            for column in CROSS_VALUES[table]:
                values = [r[column] for r in rows if has_value(r[column])]
                if column == "p_value":
                    if not _p_values_agree(values):
                        differences.append(f"{column}: {' vs '.join(sorted(set(values)))}")
                    continue
                if any(not _agree(values[0], v) for v in values[1:]):
                    differences.append(f"{column}: " + " vs ".join(
                        f"{r[column]} ({r['source']})" for r in rows if has_value(r[column])))
            label = " ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)) if has_value(k))
            printed = " | ".join(
                f"{r['source']}: " + ", ".join(f"{c}={r[c]}" for c in CROSS_VALUES[table] if has_value(r[c]))
                for r in rows)
            findings.append(row_finding(
                study, table, rows, "cross_location", label, printed,
                "agree" if not differences else "disagree", MISMATCH if differences else OK,
                "; ".join(differences)))
    return findings


# ----------------------------------------------------------------------------- survival


def check_survival(study: Study) -> list[Finding]:
    """Rules ``median_landmark`` and ``landmark_order``."""
    frame = study.tables["outcomes"]
    findings = []
    for (arm, population, endpoint), group in frame.groupby(["arm", "population", "endpoint"]):
        medians = group[(group["measure"] == "median") & group["estimate"].ne("")]
        landmarks = group[(group["measure"] == "landmark") & group["estimate"].ne("")]
        for _, median in medians.drop_duplicates("estimate").iterrows():
            m = to_float(median["estimate"])
            for _, landmark in landmarks.iterrows():
                t, rate = to_float(landmark["timepoint_months"]), to_float(landmark["estimate"])
                if abs(t - m) <= half_unit(median["estimate"]):
                    continue
                ok = rate <= 50 + half_unit(landmark["estimate"]) if t > m else rate >= 50 - half_unit(landmark["estimate"])
                findings.append(row_finding(
                    study, "outcomes", [median.to_dict(), landmark.to_dict()], "median_landmark",
                    f"{arm} {population} {endpoint}",
                    f"median {median['estimate']} mo; {landmark['timepoint_months']}-month rate {landmark['estimate']}%",
                    f"rate {'<=' if t > m else '>='} 50% expected", OK if ok else MISMATCH,
                    "" if ok else f"a {landmark['estimate']}% rate at {landmark['timepoint_months']} months "
                                  f"contradicts a median of {median['estimate']} months"))
        by_time = landmarks.assign(t=landmarks["timepoint_months"].map(to_float)).sort_values("t")
        by_time = by_time.drop_duplicates("t")
        for (_, early), (_, late) in zip(by_time.iloc[:-1].iterrows(), by_time.iloc[1:].iterrows()):
            ok = to_float(late["estimate"]) <= to_float(early["estimate"])
            findings.append(row_finding(
                study, "outcomes", [early.to_dict(), late.to_dict()], "landmark_order",
                f"{arm} {population} {endpoint}",
                f"{early['timepoint_months']} mo {early['estimate']}%, {late['timepoint_months']} mo {late['estimate']}%",
                "non-increasing", OK if ok else MISMATCH,
                "" if ok else "survival rate rises with time"))
    return findings


# ----------------------------------------------------------------------------- dates


DATE_ORDER = [
    ("enrolment start", "enrolment end"),
    ("enrolment end", "data cut-off"),
    ("data cut-off", "received"),
    ("received", "revised"),
    ("revised", "accepted"),
    ("received", "accepted"),
    ("accepted", "published"),
    ("data cut-off", "accepted"),
]


def study_dates(meta: dict) -> dict[str, str]:
    """The printed dates of a study's metadata, by name."""
    dates = {}
    if "enrolment_period" in meta:
        dates["enrolment start"] = meta["enrolment_period"]["start"]
        dates["enrolment end"] = meta["enrolment_period"]["end"]
    if "data_cutoff" in meta:
        dates["data cut-off"] = meta["data_cutoff"]["date"]
    for name in ("received", "revised", "accepted", "published"):
        if name in meta.get("dates", {}):
            dates[name] = meta["dates"][name]
    return dates


def check_dates(study: Study) -> list[Finding]:
    """Rule ``dates``: a later event cannot be printed as happening before an earlier one."""
    dates = study_dates(study.meta)
    findings = []
    row = {"row": "study.yaml", "source": "study metadata"}
    for first, second in DATE_ORDER:
        if first not in dates or second not in dates:
            continue
        earliest_first, _ = date_bounds(dates[first])
        _, latest_second = date_bounds(dates[second])
        ok = earliest_first <= latest_second
        findings.append(row_finding(
            study, "study", row, "dates", f"{first} before {second}",
            f"{first} {dates[first]}, {second} {dates[second]}", "in order" if ok else "out of order",
            OK if ok else MISMATCH, "" if ok else f"{second} ({dates[second]}) precedes {first} ({dates[first]})"))
    return findings


# ----------------------------------------------------------------------------- implausible


def check_implausible(study: Study) -> list[Finding]:
    """Rule ``implausible_value``: rows marked verified_as_printed that break a validation rule.

    The validator waives its plausibility rules for such rows (the paper prints the value);
    the audit re-applies them so that every such value is shown as a mismatch.
    """
    findings = []
    pairs = {(p["arm"], p["population_id"]) for p in study.meta["populations"]}
    spec_of = load_dictionary().study_tables
    for table in spec_of:
        text = study.tables[table]
        if "verified_as_printed" not in text:  # a table of claims or findings, not of printed numbers
            continue
        flagged = text[text["verified_as_printed"] == "yes"]
        if flagged.empty:
            continue
        values = typed(flagged.drop(columns=["verified_as_printed"]), spec_of[table])
        for rule in row_rules(table, pairs):
            if not rule.waivable:
                continue
            broken = ~rule.holds(values)
            for index in values.index[broken]:
                row = text.loc[index].to_dict()
                findings.append(row_finding(
                    study, table, row, "implausible_value", quantity_of(table, row),
                    ", ".join(f"{c}={row[c]}" for c in ("estimate", "ci_low", "ci_high", "count", "denominator",
                                                         "percent", "value", "value_low", "value_high")
                              if c in row and has_value(row[c])),
                    f"breaks: {rule.expected}", MISMATCH,
                    f"printed values break '{rule.expected}' (verified as printed)"))
    return findings
