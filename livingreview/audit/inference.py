"""Audit rules on printed intervals and p-values: which methods reproduce a proportion's CI,
whether a hazard or odds ratio is the centre of its CI and fits its p-value, and whether a
between-arm p-value of two rates is reproduced by a standard test.

Every comparison is made at the printed precision: a rounded ratio or limit stands for every
unrounded value within half a unit of its last digit.
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
from scipy import stats

from ..curated.printed import format_like, half_unit, has_value, implied_count, matches_printed, parse_p_value, to_float
from ..curated.studies import Study
from ..statistics.intervals import (METHOD_ALIASES, METHOD_LABELS, PROPORTION_CI_METHODS, proportion_ci,
                                    reproducing_methods)
from .findings import INFO, MISMATCH, OK, Finding, quantity_of, row_finding, table_rows


# ----------------------------------------------------------------------------- CI methods


def check_ci_methods(study: Study) -> list[Finding]:
    """Rule ``ci_method``: which methods reproduce each printed CI of a proportion."""
    findings = []
    for row in table_rows(study, "outcomes"):
        if not (row["measure"] == "proportion" and row["unit"] == "percent"
                and has_value(row["ci_low"]) and has_value(row["ci_high"]) and has_value(row["denominator"])):
            continue
        count = implied_count(row)
        if count is None:
            continue
        n = int(row["denominator"])
        level = to_float(row["ci_level"]) if has_value(row["ci_level"]) else 95.0
        found = reproducing_methods(count, n, row["ci_low"], row["ci_high"], level)
        stated = row["ci_method_stated"] if has_value(row["ci_method_stated"]) else "not_stated"
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
        findings.append(row_finding(
            study, "outcomes", row, "ci_method", quantity_of("outcomes", row),
            f"{count}/{n}: {row['ci_low']}-{row['ci_high']} (stated: {METHOD_LABELS[stated]})",
            intervals, verdict, detail))
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
    rows = [("outcomes", r) for r in table_rows(study, "outcomes") if r["measure"] in ("hazard_ratio", "odds_ratio")]
    rows += [("subgroups", r) for r in table_rows(study, "subgroups") if r["measure"] in ("hazard_ratio", "odds_ratio")]
    return [(t, r) for t, r in rows if has_value(r["estimate"]) and has_value(r["ci_low"]) and has_value(r["ci_high"])]


def check_ratios(study: Study) -> list[Finding]:
    """Rules ``ratio_ci_symmetry`` and ``ratio_p_value``."""
    findings = []
    for table, row in _ratio_rows(study):
        estimate, low, high = row["estimate"], row["ci_low"], row["ci_high"]
        if to_float(low) <= 0:
            continue
        quantity = quantity_of(table, row)
        centre_low, centre_high = ratio_centre_range(low, high)
        tolerance = half_unit(estimate)
        centred = centre_low - tolerance <= to_float(estimate) <= centre_high + tolerance
        findings.append(row_finding(
            study, table, row, "ratio_ci_symmetry", quantity, f"{estimate} ({low}-{high})",
            f"centre of CI {centre_low:.3f}-{centre_high:.3f}", OK if centred else MISMATCH,
            "" if centred else f"{estimate} is not the geometric centre of {low}-{high} "
                               f"(expected {centre_low:.2f}-{centre_high:.2f}); the CI may be asymmetric "
                               "(e.g. a profile or log-rank interval) or a number is misprinted"))
        if not has_value(row["p_value"]):
            continue
        relation, p = parse_p_value(row["p_value"])
        p_low, p_high = wald_p_range(estimate, low, high)
        if relation == "=":
            ok = p_low - half_unit(row["p_value"].lstrip("=")) <= p <= p_high + half_unit(row["p_value"].lstrip("="))
        elif relation == "<":
            ok = p_low < p
        else:
            ok = p_high > p
        findings.append(row_finding(
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
        rows = table_rows(study, table)
        for row in rows:
            if not (has_value(row["p_value"]) and has_value(row.get("comparator_arm", "x"))):
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
            findings.append(row_finding(
                study, table, [row, partner], "two_proportion_p", quantity_of(table, row),
                f"{k1}/{n1} vs {k2}/{n2}, p {row['p_value']}",
                "; ".join(f"{name} {p:.3g}" for name, p in p_values.items()),
                OK if matching else MISMATCH,
                f"reproduced by {', '.join(matching)}" if matching
                else f"no standard test gives p {row['p_value']}"))
    return findings
