"""The audit: recompute what the papers printed and flag every disagreement.

A careful second reviewer checks a paper's arithmetic: do percentages follow from counts,
which CI method reproduces a printed interval, do response categories add up, does the
abstract say what the table says, does a hazard ratio's CI fit its p-value, are the dates
possible. Each check yields one row of a tidy table (:data:`FINDING_COLUMNS`) with a
verdict:

- ``ok``: the printed number agrees with the recomputation at the printed precision;
- ``mismatch``: it does not (the curated data keep the printed value; the audit shows it);
- ``info``: a fact worth showing that is not an error (e.g. which CI method reproduces an
  interval when the paper names none).

Every comparison is made at the printed precision: a recomputed value agrees when it lies
within half a unit of the printed last digit (:func:`livingreview.curated.printed.matches_printed`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .. import paths
from .claims import check_claims, check_multiple_estimates
from ..curated.rowrefs import curator_findings
from ..curated.studies import Study, load_studies, load_vocabulary, stack_rows, typed
from ..curated.dictionary import load_dictionary
from ..statistics.intervals import (METHOD_ALIASES, METHOD_LABELS, PROPORTION_CI_METHODS, proportion_ci,
                                    reproducing_methods)
from ..statistics.memo import by_value, folder_digest, memoised
from ..validation.row_rules import row_rules
from ..curated.printed import (attainable_counts, date_bounds, format_like, half_unit, implied_count, matches_printed,
                               parse_p_value, to_float)

FINDING_COLUMNS = ["study_id", "table", "row", "source", "rule", "quantity", "printed",
                   "recomputed", "verdict", "detail", "kind", "grade", "other_rows"]
OK, MISMATCH, INFO = "ok", "mismatch", "info"
RULES = {
    "percent": "a printed percentage equals count / denominator at the printed precision",
    "percent_attainable": "a printed percentage of a denominator is reachable by a whole count",
    "ci_method": "which proportion-CI methods reproduce a printed CI, against the stated method",
    "response_sum": "best-response categories add up to their denominator",
    "response_components": "ORR = CR + PR and DCR = CR + PR + SD",
    "cross_location": "the same quantity printed in several places agrees",
    "ratio_ci_symmetry": "a ratio lies at the centre of its CI on the log scale",
    "ratio_p_value": "a ratio's CI and its p-value agree (Wald test on the log scale)",
    "two_proportion_p": "a between-arm p-value of two rates is reproduced by a standard test",
    "median_landmark": "landmark rates agree with the median (below 50% after it, above before)",
    "landmark_order": "survival rates do not rise with time",
    "ae_grade_order": "grade >= 3 counts do not exceed any-grade counts",
    "baseline_sum": "levels of a baseline characteristic add up to the column total",
    "dates": "dates are in a possible order (enrolment, cut-off, submission, acceptance)",
    "implausible_value": "values the curator verified as printed although they break a plausibility rule",
    "claim_fold": "an 'N-fold' or 'doubled' claim in the text equals the ratio of the two rates it compares",
    "claim_all_none": "a claim about all or none of the patients is borne out by the table's counts",
    "claim_schedule": "a schedule's stated day range lasts its stated number of days",
    "multiple_estimates": "one comparison estimated by several models, the estimates side by side with their models",
    "curator_finding": "an inconsistency the curator found in reading the paper, with both sides quoted",
}
# How pages name each rule and verdict.
RULE_LABELS = {
    "percent": "Percentage", "percent_attainable": "Attainable percentage", "ci_method": "CI method",
    "response_sum": "Response categories add up", "response_components": "ORR and DCR components",
    "cross_location": "Same number, several places", "ratio_ci_symmetry": "Ratio centred in its CI",
    "ratio_p_value": "Ratio CI against its p-value", "two_proportion_p": "Two-rate p-value",
    "median_landmark": "Median against landmark rates", "landmark_order": "Landmark rates fall with time",
    "ae_grade_order": "Grade ≥3 within any grade", "baseline_sum": "Baseline levels add up",
    "dates": "Dates in order", "implausible_value": "Implausible value, verified as printed",
    "claim_fold": "Fold claim against its rates", "claim_all_none": "'All' or 'none' against the table",
    "claim_schedule": "Schedule against its length", "multiple_estimates": "One comparison, several models",
    "curator_finding": "Curator's finding",
}
# What a finding of each rule that is not ok is (kind) and how sure it is (grade), as a
# curator's finding says it in findings.csv; a curator's finding carries its own.
ARITHMETIC = ("numbers_contradict", "arithmetic_certainty")
RULE_KINDS = {
    "percent": ARITHMETIC, "percent_attainable": ARITHMETIC,
    "ci_method": ("reporting_gap", "conflicting_statements"),
    "response_sum": ARITHMETIC, "response_components": ARITHMETIC,
    "cross_location": ("numbers_contradict", "conflicting_statements"),
    "ratio_ci_symmetry": ARITHMETIC, "ratio_p_value": ARITHMETIC, "two_proportion_p": ARITHMETIC,
    "median_landmark": ARITHMETIC, "landmark_order": ARITHMETIC, "ae_grade_order": ARITHMETIC,
    "baseline_sum": ARITHMETIC, "dates": ("implausible_value", "arithmetic_certainty"),
    "implausible_value": ("implausible_value", "plausibility_flag"),
    "claim_fold": ("text_contradicts_table", "arithmetic_certainty"),
    "claim_all_none": ("text_contradicts_table", "arithmetic_certainty"),
    "claim_schedule": ("implausible_value", "arithmetic_certainty"),
    "multiple_estimates": ("reporting_gap", "plausibility_flag"),
    "curator_finding": ("", ""),
}
VERDICT_WORDS = {"ok": "agrees", "mismatch": "mismatch", "info": "note"}
RESPONSE_CATEGORIES = ("CR", "PR", "SD", "PD", "NE")


@dataclass
class Finding:
    """One audit check of one printed number (or group of numbers)."""

    study_id: str
    table: str
    row: str
    source: str
    rule: str
    quantity: str
    printed: str
    recomputed: str
    verdict: str
    detail: str = ""
    kind: str = ""  # for a finding that is not ok: see RULE_KINDS
    grade: str = ""
    other_rows: str = ""  # further data rows it concerns, as table:row joined by ';'


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value != ""


def _rows(study: Study, table: str) -> list[dict]:
    return study.tables[table].to_dict("records")


def _label(row: dict, *keys: str) -> str:
    return " ".join(str(row[k]) for k in keys if _present(row.get(k)))


def _finding(study: Study, table: str, row: dict | list[dict], rule: str, quantity: str,
             printed: str, recomputed: str, verdict: str, detail: str = "") -> Finding:
    rows = row if isinstance(row, list) else [row]
    return Finding(
        study_id=study.study_id,
        table=table,
        row=";".join(str(r["row"]) for r in rows),
        source="; ".join(dict.fromkeys(str(r["source"]) for r in rows)),
        rule=rule,
        quantity=quantity,
        printed=printed,
        recomputed=recomputed,
        verdict=verdict,
        detail=detail,
    )


# ------------------------------------------------------------------ percentages and counts


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


def _quantity(table: str, row: dict) -> str:
    keys = {
        "outcomes": ("arm", "population", "endpoint", "measure", "timepoint_months", "qualifier"),
        "adverse_events": ("arm", "category", "term", "grade"),
        "baseline": ("arm", "population", "characteristic", "level"),
        "subgroups": ("arm", "endpoint", "variable", "level", "measure"),
    }[table]
    return _label(row, *keys)


def check_percentages(study: Study) -> list[Finding]:
    """Rules ``percent`` and ``percent_attainable``."""
    findings = []
    for table in load_dictionary().study_tables:
        columns = _percent_columns(table)
        if columns is None:  # a table without percentages of a count (e.g. digitised curves)
            continue
        for row in _rows(study, table):
            count_col, denominator_col, percent_col = columns
            if not (_is_percent_row(table, row) and _present(row[percent_col]) and _present(row[denominator_col])):
                continue
            printed, denominator = row[percent_col], int(row[denominator_col])
            if _present(row[count_col]):
                value = 100 * int(row[count_col]) / denominator
                ok = matches_printed(value, printed)
                findings.append(_finding(
                    study, table, row, "percent", _quantity(table, row),
                    f"{row[count_col]}/{denominator} = {printed}%", f"{value:.4f}%",
                    OK if ok else MISMATCH,
                    "" if ok else f"{row[count_col]}/{denominator} is {format_like(value, printed)}%, "
                                  f"not {printed}%"))
            else:
                counts = attainable_counts(printed, denominator)
                findings.append(_finding(
                    study, table, row, "percent_attainable", _quantity(table, row),
                    f"{printed}% of {denominator}",
                    ", ".join(f"{k}/{denominator}" for k in counts) or "none",
                    OK if counts else MISMATCH,
                    "" if counts else f"no whole count out of {denominator} gives {printed}%"))
    return findings


# ----------------------------------------------------------------------------- CI methods


def check_ci_methods(study: Study) -> list[Finding]:
    """Rule ``ci_method``: which methods reproduce each printed CI of a proportion."""
    findings = []
    for row in _rows(study, "outcomes"):
        if not (row["measure"] == "proportion" and row["unit"] == "percent"
                and _present(row["ci_low"]) and _present(row["ci_high"]) and _present(row["denominator"])):
            continue
        count = implied_count(row)
        if count is None:
            continue
        n = int(row["denominator"])
        level = to_float(row["ci_level"]) if _present(row["ci_level"]) else 95.0
        found = reproducing_methods(count, n, row["ci_low"], row["ci_high"], level)
        stated = row["ci_method_stated"] if _present(row["ci_method_stated"]) else "not_stated"
        stated_method = METHOD_ALIASES.get(stated, stated)
        intervals = "; ".join(
            f"{METHOD_LABELS[m]} {format_like(proportion_ci(count, n, m, level)[0], row['ci_low'])}"
            f"-{format_like(proportion_ci(count, n, m, level)[1], row['ci_high'])}"
            for m in PROPORTION_CI_METHODS)
        reproduced = ", ".join(METHOD_LABELS[m] for m in found) or "none"
        if stated_method in found:
            verdict, detail = OK, f"stated method ({METHOD_LABELS[stated]}) reproduces the CI"
        elif stated == "not_stated":
            verdict = INFO if found else MISMATCH
            detail = f"no method stated; reproduced by: {reproduced}"
        elif stated_method in PROPORTION_CI_METHODS:
            verdict = MISMATCH
            detail = f"stated {METHOD_LABELS[stated]} does not reproduce the CI; reproduced by: {reproduced}"
        else:
            verdict = MISMATCH
            detail = f"stated {METHOD_LABELS[stated]} is not a single-proportion method; reproduced by: {reproduced}"
        findings.append(_finding(
            study, "outcomes", row, "ci_method", _quantity("outcomes", row),
            f"{count}/{n}: {row['ci_low']}-{row['ci_high']} (stated: {METHOD_LABELS[stated]})",
            intervals, verdict, detail))
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
        findings.append(_finding(
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
                findings.append(_finding(
                    study, "outcomes", row, "response_components", f"{arm} {population} {rate}",
                    f"{rate} {count}", f"{' + '.join(parts)} = {expected}",
                    OK if ok else MISMATCH,
                    "" if ok else f"{rate} count {count} differs from {' + '.join(parts)} = {expected}"))
    return findings


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
                values = [r[column] for r in rows if _present(r[column])]
                if column == "p_value":
                    if not _p_values_agree(values):
                        differences.append(f"{column}: {' vs '.join(sorted(set(values)))}")
                    continue
                if any(not _agree(values[0], v) for v in values[1:]):
                    differences.append(f"{column}: " + " vs ".join(
                        f"{r[column]} ({r['source']})" for r in rows if _present(r[column])))
            label = " ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)) if _present(k))
            printed = " | ".join(
                f"{r['source']}: " + ", ".join(f"{c}={r[c]}" for c in CROSS_VALUES[table] if _present(r[c]))
                for r in rows)
            findings.append(_finding(
                study, table, rows, "cross_location", label, printed,
                "agree" if not differences else "disagree", MISMATCH if differences else OK,
                "; ".join(differences)))
    return findings


# ----------------------------------------------------------------------------- ratios


def _corners(*printed: str) -> list[tuple[float, ...]]:
    """All combinations of each printed number's lowest and highest unrounded value."""
    spans = [(to_float(p) - half_unit(p), to_float(p) + half_unit(p)) for p in printed]
    return list(product(*spans))


def wald_p_range(estimate: str, ci_low: str, ci_high: str, level: float = 95.0) -> tuple[float, float]:
    """Smallest and largest two-sided Wald p-value compatible with a rounded ratio and CI."""
    z_level = stats.norm.ppf(0.5 + level / 200)
    p_values = []
    for est, low, high in _corners(estimate, ci_low, ci_high):
        if min(est, low, high) <= 0 or high <= low:
            continue
        se = (math.log(high) - math.log(low)) / (2 * z_level)
        p_values.append(2 * stats.norm.sf(abs(math.log(est)) / se))
    return min(p_values), max(p_values)


def ratio_centre_range(ci_low: str, ci_high: str) -> tuple[float, float]:
    """Range of the geometric centre of a rounded CI."""
    centres = [math.sqrt(low * high) for low, high in _corners(ci_low, ci_high) if low > 0]
    return min(centres), max(centres)


def _ratio_rows(study: Study) -> list[tuple[str, dict]]:
    rows = [("outcomes", r) for r in _rows(study, "outcomes") if r["measure"] in ("hazard_ratio", "odds_ratio")]
    rows += [("subgroups", r) for r in _rows(study, "subgroups") if r["measure"] in ("hazard_ratio", "odds_ratio")]
    return [(t, r) for t, r in rows if _present(r["estimate"]) and _present(r["ci_low"]) and _present(r["ci_high"])]


def check_ratios(study: Study) -> list[Finding]:
    """Rules ``ratio_ci_symmetry`` and ``ratio_p_value``."""
    findings = []
    for table, row in _ratio_rows(study):
        estimate, low, high = row["estimate"], row["ci_low"], row["ci_high"]
        if to_float(low) <= 0:
            continue
        quantity = _quantity(table, row)
        centre_low, centre_high = ratio_centre_range(low, high)
        tolerance = half_unit(estimate)
        centred = centre_low - tolerance <= to_float(estimate) <= centre_high + tolerance
        findings.append(_finding(
            study, table, row, "ratio_ci_symmetry", quantity, f"{estimate} ({low}-{high})",
            f"centre of CI {centre_low:.3f}-{centre_high:.3f}", OK if centred else MISMATCH,
            "" if centred else f"{estimate} is not the geometric centre of {low}-{high} "
                               f"(expected {centre_low:.2f}-{centre_high:.2f}); the CI may be asymmetric "
                               "(e.g. a profile or log-rank interval) or a number is misprinted"))
        if not _present(row["p_value"]):
            continue
        relation, p = parse_p_value(row["p_value"])
        p_low, p_high = wald_p_range(estimate, low, high)
        if relation == "=":
            ok = p_low - half_unit(row["p_value"].lstrip("=")) <= p <= p_high + half_unit(row["p_value"].lstrip("="))
        elif relation == "<":
            ok = p_low < p
        else:
            ok = p_high > p
        findings.append(_finding(
            study, table, row, "ratio_p_value", quantity, f"{estimate} ({low}-{high}), p {row['p_value']}",
            f"p between {p_low:.2g} and {p_high:.2g}", OK if ok else MISMATCH,
            "" if ok else f"the CI implies p between {p_low:.2g} and {p_high:.2g}, "
                          f"but p {row['p_value']} is printed"))
    return findings


# ----------------------------------------------------------------------------- two rates


def two_proportion_p_values(k1: int, n1: int, k2: int, n2: int) -> dict[str, float]:
    """p-values of the tests papers use to compare two proportions."""
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]])
    p_values = {"Fisher exact": stats.fisher_exact(table).pvalue}
    if (table.sum(axis=0) > 0).all():
        p_values["chi-square"] = stats.chi2_contingency(table, correction=False).pvalue
        p_values["chi-square (Yates)"] = stats.chi2_contingency(table, correction=True).pvalue
    return p_values


def _p_matches(p: float, printed: str) -> bool:
    relation, value = parse_p_value(printed)
    if relation == "<":
        return p < value
    if relation == ">":
        return p > value
    return matches_printed(p, printed.lstrip("="))


def check_two_proportions(study: Study) -> list[Finding]:
    """Rule ``two_proportion_p``: between-arm p-values printed beside two rates."""
    findings = []
    tables = {"outcomes": ("count", "denominator", "estimate"), "adverse_events": ("count", "denominator", "percent")}
    keys = {"outcomes": ["population", "endpoint", "measure", "source"],
            "adverse_events": ["population", "category", "term", "grade", "source"]}
    for table, (count_col, denominator_col, percent_col) in tables.items():
        rows = _rows(study, table)
        for row in rows:
            if not (_present(row["p_value"]) and _present(row.get("comparator_arm", "x"))):
                continue
            if table == "outcomes" and row["measure"] not in ("proportion", "count"):
                continue
            comparator = row.get("comparator_arm")
            partners = [r for r in rows if r is not row and all(r[k] == row[k] for k in keys[table])
                        and (r["arm"] == comparator if comparator else r["arm"] != row["arm"])]
            if len(partners) != 1:
                continue
            partner = partners[0]
            k1 = implied_count(row, count_col, denominator_col, percent_col)
            k2 = implied_count(partner, count_col, denominator_col, percent_col)
            if k1 is None or k2 is None:
                continue
            n1, n2 = int(row[denominator_col]), int(partner[denominator_col])
            p_values = two_proportion_p_values(k1, n1, k2, n2)
            matching = [name for name, p in p_values.items() if _p_matches(p, row["p_value"])]
            findings.append(_finding(
                study, table, [row, partner], "two_proportion_p", _quantity(table, row),
                f"{k1}/{n1} vs {k2}/{n2}, p {row['p_value']}",
                "; ".join(f"{name} {p:.3g}" for name, p in p_values.items()),
                OK if matching else MISMATCH,
                f"reproduced by {', '.join(matching)}" if matching
                else f"no standard test gives p {row['p_value']}"))
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
                findings.append(_finding(
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
            findings.append(_finding(
                study, "outcomes", [early.to_dict(), late.to_dict()], "landmark_order",
                f"{arm} {population} {endpoint}",
                f"{early['timepoint_months']} mo {early['estimate']}%, {late['timepoint_months']} mo {late['estimate']}%",
                "non-increasing", OK if ok else MISMATCH,
                "" if ok else "survival rate rises with time"))
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
        findings.append(_finding(
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
        findings.append(_finding(
            study, "baseline", group.to_dict("records"), "baseline_sum",
            f"{arm} {population} {characteristic}",
            " + ".join(f"{lvl} {int(c)}" for lvl, c in zip(group["level"], group["count"])),
            f"{total} of {total_n}", verdict, detail))
    return findings


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
        findings.append(_finding(
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
                findings.append(_finding(
                    study, table, row, "implausible_value", _quantity(table, row),
                    ", ".join(f"{c}={row[c]}" for c in ("estimate", "ci_low", "ci_high", "count", "denominator",
                                                         "percent", "value", "value_low", "value_high")
                              if c in row and _present(row[c])),
                    f"breaks: {rule.expected}", MISMATCH,
                    f"printed values break '{rule.expected}' (verified as printed)"))
    return findings


# ----------------------------------------------------------------------------- running


def _audit_key(study: Study, vocabulary: pd.DataFrame) -> bytes:
    # The audit reads the study's own files, the data dictionary and the vocabulary it is given.
    return (folder_digest(study.folder) + paths.DICTIONARY_FILE.read_bytes()
            + by_value(vocabulary))


@memoised(_audit_key)
def audit_study(study: Study, vocabulary: pd.DataFrame) -> pd.DataFrame:
    """Every audit check of one study, as a tidy table."""
    findings = [
        *check_percentages(study),
        *check_ci_methods(study),
        *check_responses(study),
        *check_cross_location(study, vocabulary),
        *check_ratios(study),
        *check_two_proportions(study),
        *check_survival(study),
        *check_ae_grades(study, vocabulary),
        *check_baseline_sums(study),
        *check_dates(study),
        *check_implausible(study),
        *check_claims(study),
        *check_multiple_estimates(study),
        *curator_findings(study),
    ]
    for finding in findings:
        if finding.verdict != OK and not finding.kind:
            finding.kind, finding.grade = RULE_KINDS[finding.rule]
    return pd.DataFrame([f.__dict__ for f in findings], columns=FINDING_COLUMNS)


def audit_studies(studies: list[Study], vocabulary: pd.DataFrame) -> pd.DataFrame:
    """The audit of several studies in one table."""
    frames = [audit_study(s, vocabulary) for s in studies]
    return stack_rows(frames, columns=FINDING_COLUMNS)


def audit_data_dir(data_dir: Path = paths.DATA_DIR) -> pd.DataFrame:
    """The audit of every study in a (valid) data folder."""
    return audit_studies(load_studies(data_dir), load_vocabulary(data_dir=data_dir))


def summary(findings: pd.DataFrame) -> str:
    """Counts of verdicts by study and the list of mismatches, as text."""
    if findings.empty:
        return "audit: no checks"
    counts = findings.groupby(["study_id", "verdict"]).size().unstack(fill_value=0)
    curated = findings["rule"] == "curator_finding"
    not_ok = findings[findings["verdict"] != OK]
    lines = ["audit: verdicts by study (computed checks and curator findings together)", counts.to_string(), "",
             f"of the {int((findings['verdict'] == MISMATCH).sum())} mismatches, {int(curated.sum())} are curator "
             "findings (findings.csv) and the rest computed", ""]
    if not not_ok.empty:
        by_kind = not_ok.groupby(["kind", "grade"]).size().unstack(fill_value=0)
        lines += ["findings that are not ok, by kind and grade:", by_kind.to_string(), ""]
    lines.append("mismatches:")
    for _, f in findings[findings["verdict"] == MISMATCH].iterrows():
        lines.append(f"  {f.study_id} {f.table}:{f.row} [{f.rule}] {f.quantity}: {f.printed} -> {f.detail}")
    return "\n".join(lines)
