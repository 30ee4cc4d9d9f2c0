"""Audit rules on the papers' arithmetic: percentages of counts, best-response categories
and the response rates built from them, adverse-event grades, baseline levels.

Every comparison is made at the printed precision: a recomputed value agrees when it lies
within half a unit of the printed last digit (:func:`livingreview.curated.printed.matches_printed`).
"""

from __future__ import annotations

import pandas as pd

from ..curated.dictionary import load_dictionary
from ..curated.printed import (attainable_counts, format_like, half_unit, has_value, implied_count,
                               matches_printed, to_float)
from ..curated.studies import Study
from .findings import INFO, MISMATCH, OK, Finding, quantity_of, row_finding, table_rows

RESPONSE_CATEGORIES = ("CR", "PR", "SD", "PD", "NE")


# ----------------------------------------------------------------------------- percentages and counts


def _percent_columns(table: str) -> tuple[str, str, str] | None:
    """(count, denominator, percent) columns of a table, where it has them."""
    return {
        "outcomes": ("count", "denominator", "estimate"),
        "adverse_events": ("count", "denominator", "percent"),
        "baseline": ("count", "denominator", "percent"),
        "subgroups": ("count", "n", "estimate"),
    }.get(table)


def _is_percent_row(table: str, row: dict) -> bool:
    if table == "outcomes":
        return row["unit"] == "percent" and row["measure"] in ("count", "proportion")
    if table == "subgroups":
        return row["measure"] == "proportion"
    return True


def check_percentages(study: Study) -> list[Finding]:
    """Rules ``percent`` and ``percent_attainable``."""
    findings = []
    for table in load_dictionary().study_tables:
        columns = _percent_columns(table)
        if columns is None:  # a table without percentages of a count (e.g. digitised curves)
            continue
        for row in table_rows(study, table):
            count_col, denominator_col, percent_col = columns
            if not (_is_percent_row(table, row) and has_value(row[percent_col]) and has_value(row[denominator_col])):
                continue
            printed, denominator = row[percent_col], int(row[denominator_col])
            if has_value(row[count_col]):
                value = 100 * int(row[count_col]) / denominator
                ok = matches_printed(value, printed)
                findings.append(row_finding(
                    study, table, row, "percent", quantity_of(table, row),
                    f"{row[count_col]}/{denominator} = {printed}%", f"{value:.4f}%",
                    OK if ok else MISMATCH,
                    "" if ok else f"{row[count_col]}/{denominator} is {format_like(value, printed)}%, "
                                  f"not {printed}%"))
            else:
                counts = attainable_counts(printed, denominator)
                findings.append(row_finding(
                    study, table, row, "percent_attainable", quantity_of(table, row),
                    f"{printed}% of {denominator}",
                    ", ".join(f"{k}/{denominator}" for k in counts) or "none",
                    OK if counts else MISMATCH,
                    "" if counts else f"no whole count out of {denominator} gives {printed}%"))
    return findings


# ----------------------------------------------------------------------------- responses


def check_responses(study: Study) -> list[Finding]:
    """Rules ``response_sum`` and ``response_components``."""
    frame = study.table("outcomes")
    findings = []
    categories = frame[frame["endpoint"].isin(RESPONSE_CATEGORIES) & frame["measure"].eq("count")]
    for (arm, population, source), group in categories.groupby(["arm", "population", "source"]):
        if len(group) < 3 or group["denominator"].nunique() != 1 or group["count"].isna().any():
            continue  # an abstract naming only CR and PR says nothing about the sum
        total, denominator = int(group["count"].sum()), int(group["denominator"].iloc[0])
        printed = " + ".join(f"{e} {c}" for e, c in zip(group["endpoint"], group["count"]))
        complete = set(group["endpoint"]) == set(RESPONSE_CATEGORIES)
        if total == denominator:
            verdict, detail = OK, ""
        elif total > denominator or complete:
            verdict, detail = MISMATCH, f"categories add up to {total}, not {denominator}"
        else:
            missing = ", ".join(c for c in RESPONSE_CATEGORIES if c not in set(group["endpoint"]))
            verdict, detail = INFO, f"categories printed here add up to {total} of {denominator}; {missing} not printed here"
        findings.append(row_finding(
            study, "outcomes", group.to_dict("records"), "response_sum", f"{arm} {population} best response",
            f"{printed} of {denominator}", str(total), verdict, detail))

    components = {"ORR": ("CR", "PR"), "DCR": ("CR", "PR", "SD")}
    for (arm, population), group in frame.groupby(["arm", "population"]):
        counts = {}
        for endpoint in RESPONSE_CATEGORIES:
            rows = group[(group["endpoint"] == endpoint) & group["measure"].eq("count")]
            values = set(rows["count"].dropna().astype(int))
            if len(values) == 1:
                counts[endpoint] = (values.pop(), rows)
        for rate, parts in components.items():
            rate_rows = group[(group["endpoint"] == rate) & group["measure"].eq("proportion")]
            if rate_rows.empty or not all(p in counts for p in parts):
                continue  # a component not printed is not assumed to be zero
            expected = sum(counts[p][0] for p in parts)
            for row in rate_rows.to_dict("records"):
                count = implied_count(row)
                if count is None:
                    continue
                ok = count == expected
                findings.append(row_finding(
                    study, "outcomes", row, "response_components", f"{arm} {population} {rate}",
                    f"{rate} {count}", f"{' + '.join(parts)} = {expected}",
                    OK if ok else MISMATCH,
                    "" if ok else f"{rate} count {count} differs from {' + '.join(parts)} = {expected}"))
    return findings


# ----------------------------------------------------------------------------- safety, baseline


def check_ae_grades(study: Study, vocabulary: pd.DataFrame) -> list[Finding]:
    """Rule ``ae_grade_order``: grade >= 3 (or 3-4) counts never exceed any-grade counts."""
    frame = study.table("adverse_events")
    mapping = dict(zip(vocabulary["printed_term"], vocabulary["harmonised_term"]))
    frame["harmonised_term"] = frame["term"].map(mapping)
    findings = []
    for key, group in frame.groupby(["arm", "population", "category", "harmonised_term", "source"]):
        any_grade = group[group["grade"] == "any"]
        severe = group[group["grade"].isin([">=3", "3-4", "3-5"])]
        if any_grade.empty or severe.empty:
            continue
        a, s = any_grade.iloc[0], severe.iloc[0]
        value_a = a["count"] if pd.notna(a["count"]) else a["percent"]
        value_s = s["count"] if pd.notna(s["count"]) else s["percent"]
        if pd.isna(value_a) or pd.isna(value_s):
            continue
        ok = value_s <= value_a
        findings.append(row_finding(
            study, "adverse_events", [a.to_dict(), s.to_dict()], "ae_grade_order", " ".join(map(str, key[:4])),
            f"any {value_a:g}, grade {s['grade']} {value_s:g}", "severe <= any", OK if ok else MISMATCH,
            "" if ok else "more severe events than events of any grade"))
    return findings


def check_baseline_sums(study: Study) -> list[Finding]:
    """Rule ``baseline_sum``: the levels of a characteristic add up to the column total.

    Only levels presented as a complete partition can be held to that: when the printed
    percentages add up to 100 (within their rounding), the counts must add up to the column
    total. Otherwise the levels overlap (metastatic sites) or are not all printed, and the
    finding is informational.
    """
    frame = study.table("baseline")
    frame = frame[frame["statistic"] == "n_percent"]
    population_n = {(p["arm"], p["population_id"]): p["n"] for p in study.meta["populations"]}
    printed_percent_of_row = study.tables["baseline"].set_index("row")["percent"]
    findings = []
    for (arm, population, characteristic, source), group in frame.groupby(
            ["arm", "population", "characteristic", "source"]):
        if len(group) < 2 or group["count"].isna().any():
            continue
        denominators = set(group["denominator"].dropna().astype(int))
        total_n = denominators.pop() if len(denominators) == 1 else population_n.get((arm, population))
        if total_n is None:
            continue
        total = int(group["count"].sum())
        printed_percents = printed_percent_of_row.loc[group["row"]]
        # Without printed percentages nothing says the levels are meant to be complete.
        partition = (printed_percents != "").all() and abs(
            sum(to_float(p) for p in printed_percents) - 100) <= sum(half_unit(p) for p in printed_percents) + 1e-9
        if total == total_n:
            verdict, detail = OK, ""
        elif partition:
            verdict, detail = MISMATCH, f"levels add up to {total}, not {total_n}"
        else:
            verdict, detail = INFO, (f"levels add up to {total} of {total_n}: they overlap or are not all "
                                     "printed (no percentages adding up to 100 say they are complete)")
        findings.append(row_finding(
            study, "baseline", group.to_dict("records"), "baseline_sum",
            f"{arm} {population} {characteristic}",
            " + ".join(f"{lvl} {int(c)}" for lvl, c in zip(group["level"], group["count"])),
            f"{total} of {total_n}", verdict, detail))
    return findings
