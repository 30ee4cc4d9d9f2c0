"""The integrity (trustworthiness) screen: per-study checks and the review's decision.

Each study may have ``integrity.yaml`` (schema ``data/integrity.schema.yaml``, checks in
``data/vocabulary/integrity_checks.yaml``). Its ``decision`` sets which analyses use the
study: ``include`` (all), ``sensitivity_exclude`` (main analyses, not the sensitivity ones)
or ``exclude`` (no pooled or comparative analysis). A study not screened is included and
labelled as not screened.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import paths
from .data import Study, read_yaml

INTEGRITY_FILE = "integrity.yaml"
INCLUDE, SENSITIVITY_EXCLUDE, EXCLUDE = "include", "sensitivity_exclude", "exclude"
NOT_SCREENED = "not screened"
DECISION_LABELS = {INCLUDE: "included", SENSITIVITY_EXCLUDE: "included; left out of sensitivity analyses",
                   EXCLUDE: "excluded from every pooled and comparative analysis", NOT_SCREENED: NOT_SCREENED}
VERDICT_LABELS = {"concern": "concern", "no_concern": "no concern", "not_assessable": "not assessable"}


def load_checks(data_dir: str | Path = paths.DATA_DIR) -> dict[str, dict]:
    """The screen's checks, by id, in their order."""
    return read_yaml(Path(data_dir) / paths.INTEGRITY_CHECKS_FILE_NAME)


def load_screen(study_folder: Path) -> dict | None:
    """A study's integrity.yaml, or None when the study was not screened."""
    path = Path(study_folder) / INTEGRITY_FILE
    return read_yaml(path) if path.exists() else None


def decision(study: Study) -> str:
    screen = load_screen(study.folder)
    return NOT_SCREENED if screen is None else screen["decision"]


def main_analysis_studies(studies: list[Study]) -> list[Study]:
    """Studies the main pooled and comparative analyses use (all but the excluded)."""
    return [s for s in studies if decision(s) != EXCLUDE]


def sensitivity_studies(studies: list[Study]) -> list[Study]:
    """Studies the sensitivity analyses use: those with no integrity flag."""
    return [s for s in studies if decision(s) in (INCLUDE, NOT_SCREENED)]


def screen_table(studies: list[Study], checks: dict[str, dict]) -> pd.DataFrame:
    """Verdict per study (rows) and check (columns), with the decision."""
    rows = []
    for study in studies:
        screen = load_screen(study.folder)
        verdicts = {c["check"]: c["verdict"] for c in (screen or {}).get("checks", [])}
        rows.append({"study_id": study.study_id,
                     **{checks[c]["label"]: VERDICT_LABELS.get(verdicts.get(c), NOT_SCREENED) for c in checks},
                     "decision": DECISION_LABELS[decision(study)]})
    return pd.DataFrame(rows)
