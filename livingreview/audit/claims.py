"""Statements in a paper's text checked against its own numbers.

A study's optional ``claims.csv`` records sentences that state a number the tables can test:
an "N-fold" or "doubled" rate (``fold_change``), "all" or "none" of the patients
(``all``/``none``, e.g. "all patients had stage IV disease" against the baseline table), and a
dosing schedule's day range against its stated length (``schedule``). Each rule below reads
those rows; the curated numbers stay as printed. :func:`check_multiple_estimates` needs no
claim: it sets side by side the estimates a paper prints for one comparison from different
models.
"""

from __future__ import annotations

import math

from ..curated.printed import half_unit, to_float
from ..curated.rowrefs import format_refs, parse_row_refs
from ..curated.studies import Study
from .findings import INFO, MISMATCH, OK, Finding

CLAIMS_TABLE = "claims"
FOLD, ALL, NONE, SCHEDULE = "fold_change", "all", "none", "schedule"


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and str(value).strip() != ""


def row_rate(row: dict) -> float | None:
    """A row's rate in percent: its count over its denominator, else its printed percentage
    (``percent``, or an ``estimate`` in percent); None when it has neither."""
    count, denominator = row.get("count"), row.get("denominator")
    if _present(count) and _present(denominator) and to_float(denominator) > 0:
        return to_float(count) / to_float(denominator) * 100
    if _present(row.get("percent")):
        return to_float(row["percent"])
    if _present(row.get("estimate")) and str(row.get("unit", "")) == "percent":
        return to_float(row["estimate"])
    return None


def _row(study: Study, table: str, row: int) -> dict:
    frame = study.tables[table]
    return frame[frame["row"].astype(int) == row].iloc[0].to_dict()


def _claim_finding(study: Study, claim: dict, rule: str, quantity: str, printed: str, recomputed: str,
                   agrees: bool, detail: str, kind: str, grade: str = "arithmetic_certainty") -> Finding:
    return Finding(study_id=study.study_id, table=CLAIMS_TABLE, row=str(claim["row"]), source=str(claim["source"]),
                   rule=rule, quantity=quantity, printed=printed, recomputed=recomputed,
                   verdict=OK if agrees else MISMATCH, detail="" if agrees else detail,
                   kind="" if agrees else kind, grade="" if agrees else grade,
                   other_rows=format_refs(parse_row_refs(claim.get("rows"))))


def check_fold_claim(study: Study, claim: dict) -> Finding:
    """Rule ``claim_fold``: the first row's rate over the second's lies strictly within half a
    unit of the stated factor's last digit ("doubled" is recorded as 2)."""
    refs = parse_row_refs(claim["rows"])
    first, second = (_row(study, table, row) for table, row in refs[:2])
    rates = row_rate(first), row_rate(second)
    stated = str(claim["stated"])
    if None in rates or rates[1] == 0:
        return _claim_finding(study, claim, "claim_fold", f"{stated}-fold claim", f"{stated}-fold",
                              "no rates to compare", False, "the rows named print no rates to divide",
                              "reporting_gap", "plausibility_flag")
    ratio = rates[0] / rates[1]
    # Strictly within half a unit of the stated factor: a ratio of 2.5 is "2.5-fold", and a
    # paper that calls it "2-fold" understates it.
    agrees = abs(ratio - to_float(stated)) < half_unit(stated)
    return _claim_finding(study, claim, "claim_fold", f"{stated}-fold claim", f"{stated}-fold",
                          f"{rates[0]:.1f}% / {rates[1]:.1f}% = {ratio:.2f}-fold", agrees,
                          f"the two rates give {ratio:.2f}-fold, not {stated}-fold", "text_contradicts_table")


def check_all_none_claim(study: Study, claim: dict) -> Finding:
    """Rule ``claim_all_none``: every row named has a count equal to its denominator (``all``)
    or a count of zero (``none``); a row with only a percentage must print 100 or 0."""
    wanted = 100.0 if claim["claim"] == ALL else 0.0
    seen = []
    agrees = True
    for table, row in parse_row_refs(claim["rows"]):
        values = _row(study, table, row)
        rate = row_rate(values)
        count = values.get("count") if _present(values.get("count")) else None
        label = " ".join(str(values[k]) for k in ("characteristic", "level", "term", "endpoint", "grade")
                         if _present(values.get(k)))
        if rate is None:
            seen.append(f"{table}:{row} {label}: no count")
            agrees = False
            continue
        shown = f"{count}/{values['denominator']}" if count is not None and _present(values.get("denominator")) \
            else f"{rate:g}%"
        seen.append(f"{label}: {shown}")
        agrees &= abs(rate - wanted) < 1e-9
    word = "all" if claim["claim"] == ALL else "none"
    return _claim_finding(study, claim, "claim_all_none", f"'{word}' claim", word, "; ".join(seen), agrees,
                          f"the table does not bear out '{word}': " + "; ".join(seen), "text_contradicts_table")


def check_schedule_claim(study: Study, claim: dict) -> Finding:
    """Rule ``claim_schedule``: a day range (days ``range_start`` to ``range_end``) lasts the
    stated number of days."""
    start, end, stated = int(to_float(claim["range_start"])), int(to_float(claim["range_end"])), str(claim["stated"])
    length = end - start + 1
    agrees = length == int(to_float(stated))
    return _claim_finding(study, claim, "claim_schedule", "schedule length", f"days {start}-{end}, {stated} days",
                          f"{length} days", agrees, f"days {start} to {end} are {length} days, not {stated}",
                          "implausible_value")


CHECKS = {FOLD: check_fold_claim, ALL: check_all_none_claim, NONE: check_all_none_claim, SCHEDULE: check_schedule_claim}


def check_claims(study: Study) -> list[Finding]:
    """Every claim of the study's claims.csv checked by its rule."""
    return [CHECKS[claim["claim"]](study, claim) for claim in study.tables[CLAIMS_TABLE].to_dict("records")]


# ----------------------------------------------------------------------------- several estimates


def _model(row: dict, column: str) -> str:
    parts = [str(row[column])] if _present(row.get(column)) else []
    if _present(row.get("adjusted")):
        parts.append("adjusted" if row["adjusted"] == "yes" else "unadjusted")
    return ", ".join(parts) or "model not stated"


def _ratio_text(row: dict) -> str:
    estimate = row.get("estimate_text") if _present(row.get("estimate_text")) else row.get("estimate")
    if not _present(estimate):
        estimate = "estimate not printed"
    ci = (f" ({row['ci_low']}–{row['ci_high']})" if _present(row.get("ci_low")) and _present(row.get("ci_high"))
          else "")
    p = f", p {row['p_value']}" if _present(row.get("p_value")) else ""
    return f"{estimate}{ci}{p}"


def _names_an_arm(study: Study, level: str) -> bool:
    """Whether a model row's level is one of the study's arms (the treatment comparison, not
    another covariate): it names the arm's id or label, or the label names it."""
    level = str(level or "").strip().casefold()
    if not level:
        return False
    for arm_id, arm in study.arms.items():
        label = str(arm.get("label", "")).casefold()
        if level in (arm_id.casefold(), label) or (len(level) > 2 and (level in label or label in level)):
            return True
    return False


def _estimate_groups(study: Study):
    """(table, label, rows) of each comparison printed with more than one model."""
    groups = []
    outcomes = study.tables["outcomes"]
    ratios = outcomes[outcomes["measure"].isin(["hazard_ratio", "odds_ratio"])]
    for key, rows in ratios.groupby(["arm", "comparator_arm", "population", "endpoint", "measure"], sort=False):
        models = {(_model(r, "model"), str(r["estimate"])) for r in rows.to_dict("records")}
        if len({m for m, _ in models}) > 1:
            groups.append(("outcomes", f"{key[3]} {key[4].replace('_', ' ')}, {key[0]} vs {key[1]} ({key[2]})",
                           rows.to_dict("records"), "model"))
    subgroups = study.tables["subgroups"]
    models = subgroups[subgroups["analysis"].isin(["univariable", "multivariable"])
                       & subgroups["measure"].isin(["hazard_ratio", "odds_ratio"])
                       & subgroups["level"].map(lambda level: _names_an_arm(study, level))]
    # A model table that repeats estimates already set side by side from the outcomes adds nothing.
    shown = [{str(r["estimate"]) for r in rows} for _, _, rows, _ in groups]
    for key, rows in models.groupby(["population", "endpoint", "variable", "level", "measure"], sort=False,
                                    dropna=False):
        if rows["analysis"].nunique() > 1 and not any(set(rows["estimate"].astype(str)) <= seen for seen in shown):
            level = f" {key[3]}" if _present(key[3]) else ""
            groups.append(("subgroups", f"{key[1]} {key[4].replace('_', ' ')}, {key[2]}{level} ({key[0]})",
                           rows.to_dict("records"), "analysis"))
    return groups


def check_multiple_estimates(study: Study) -> list[Finding]:
    """Rule ``multiple_estimates``: a comparison the paper estimates with more than one model
    (unadjusted and adjusted, univariable and multivariable), each estimate shown beside its
    model, as a note: which one a reader should believe is the paper's to say."""
    findings = []
    for table, label, rows, column in _estimate_groups(study):
        # The same estimate printed in several places is shown once, with how often.
        printed = list(dict.fromkeys(f"{_ratio_text(r)} [{_model(r, column)}]" for r in rows))
        times = {text: sum(f"{_ratio_text(r)} [{_model(r, column)}]" == text for r in rows) for text in printed}
        shown = "; ".join(text + (f" (printed {times[text]} times)" if times[text] > 1 else "") for text in printed)
        distinct = len({str(r["estimate"]) for r in rows})
        findings.append(Finding(
            study_id=study.study_id, table=table, row=";".join(str(r["row"]) for r in rows),
            source="; ".join(dict.fromkeys(str(r["source"]) for r in rows)), rule="multiple_estimates",
            quantity=label, printed=shown, recomputed=f"{len(rows)} estimates from {distinct} distinct values",
            verdict=INFO, detail="one comparison, several models: read each estimate with its model",
            kind="reporting_gap", grade="plausibility_flag", other_rows=""))
    return findings
