"""The audit: recompute what the papers printed and flag every disagreement.

A careful second reviewer checks a paper's arithmetic: do percentages follow from counts,
which CI method reproduces a printed interval, do response categories add up, does the
abstract say what the table says, does a hazard ratio's CI fit its p-value, are the dates
possible. Each family of rules has its module (:mod:`livingreview.audit.arithmetic`,
:mod:`livingreview.audit.inference`, :mod:`livingreview.audit.consistency`,
:mod:`livingreview.audit.claims`), the curators' own findings theirs
(:mod:`livingreview.audit.curator_findings`); this module runs them all on a study, on several
or on a data folder, and says what they found (:func:`summary`, as ``make audit`` prints it).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from ..curated.studies import Study, load_studies, load_vocabulary, stack_rows
from ..statistics.memo import by_value, folder_digest, memoised
from .arithmetic import check_ae_grades, check_baseline_sums, check_percentages, check_responses
from .claims import check_claims, check_multiple_estimates
from .consistency import check_cross_location, check_dates, check_implausible, check_survival
from .curator_findings import CURATOR_RULE, curator_findings
from .findings import FINDING_COLUMNS, MISMATCH, OK, RULE_KINDS
from .inference import check_ci_methods, check_ratios, check_two_proportions


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
    curated = findings["rule"] == CURATOR_RULE
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
