"""The integrity (trustworthiness) screen: per-study checks and the review's decision, and the
analysis set each decision puts a study in.

Each study may have ``integrity.yaml`` (schema ``data/integrity.schema.yaml``, checks in
``data/vocabulary/integrity_checks.yaml``). Its ``decision`` is applied by every analysis that
pools or compares, through one rule per decision (:data:`ANALYSIS_SET_OF`):

- ``include``: the main analyses (and so every sensitivity analysis too);
- ``sensitivity_only``: left out of the main analyses, added back in the sensitivity analysis
  that shows what the study would change (as Cochrane reviews treat studies whose
  trustworthiness is in doubt);
- ``exclude``: in no analysis; shown only in the sensitivity analysis that puts every study
  back, labelled, so a reader sees what leaving it out changed.

A study not screened is in the main analyses and labelled as not screened. Wherever a study
appears (its page, tables, figures, the navigation) its :class:`StudyStatus` says which set
it is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from .studies import Study, read_yaml

INTEGRITY_FILE = "integrity.yaml"
INCLUDE, SENSITIVITY_ONLY, EXCLUDE = "include", "sensitivity_only", "exclude"
NOT_SCREENED = "not_screened"
# The analysis sets a study can be in.
MAIN, SENSITIVITY, EXCLUDED = "main", "sensitivity", "excluded"
ANALYSIS_SET_OF = {INCLUDE: MAIN, NOT_SCREENED: MAIN, SENSITIVITY_ONLY: SENSITIVITY, EXCLUDE: EXCLUDED}
DECISION_LABELS = {INCLUDE: "include", SENSITIVITY_ONLY: "sensitivity analyses only", EXCLUDE: "exclude",
                   NOT_SCREENED: "not screened"}
# How a page names each set: a sentence, and a short badge for table rows and figure legends.
SET_LABELS = {MAIN: "Included in the main analyses",
              SENSITIVITY: "In sensitivity analyses only (left out of the main analyses)",
              EXCLUDED: "Excluded from every analysis (its page keeps the data as printed)"}
SET_BADGES = {MAIN: "", SENSITIVITY: "sensitivity analyses only", EXCLUDED: "excluded"}
VERDICT_LABELS = {"concern": "concern", "no_concern": "no concern", "not_assessable": "not assessable"}


@dataclass(frozen=True)
class StudyStatus:
    """A study's place in the review: its decision, analysis set and the reason in one line."""

    study_id: str
    decision: str
    analysis_set: str
    reason: str

    @property
    def label(self) -> str:
        text = SET_LABELS[self.analysis_set]
        return text + " (integrity not screened)" if self.decision == NOT_SCREENED else text

    @property
    def badge(self) -> str:
        """'' for a study in the main analyses; otherwise the short marker shown beside its name."""
        return SET_BADGES[self.analysis_set]

    @property
    def in_main(self) -> bool:
        return self.analysis_set == MAIN


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


def analysis_set(study: Study) -> str:
    """The analysis set the study's integrity decision puts it in (:data:`ANALYSIS_SET_OF`)."""
    return ANALYSIS_SET_OF[decision(study)]


def study_status(study: Study) -> StudyStatus:
    screen = load_screen(study.folder)
    if screen is None:
        return StudyStatus(study.study_id, NOT_SCREENED, MAIN, "The report has not been screened for integrity.")
    return StudyStatus(study.study_id, screen["decision"], ANALYSIS_SET_OF[screen["decision"]],
                       screen["decision_summary"])


def main_analysis_studies(studies: list[Study]) -> list[Study]:
    """Studies the main analyses use: those included (or not screened)."""
    return [s for s in studies if analysis_set(s) == MAIN]


def sensitivity_analysis_studies(studies: list[Study]) -> list[Study]:
    """Studies the integrity sensitivity analysis uses: the main ones plus those whose decision
    is 'sensitivity analyses only'."""
    return [s for s in studies if analysis_set(s) in (MAIN, SENSITIVITY)]


def left_out_of_main(studies: list[Study]) -> list[StudyStatus]:
    """The status of every study that is not in the main analyses, in study order."""
    return [status for status in map(study_status, studies) if not status.in_main]


def screen_table(studies: list[Study], checks: dict[str, dict]) -> pd.DataFrame:
    """Verdict per study (rows) and check (columns), with the decision."""
    rows = []
    for study in studies:
        screen = load_screen(study.folder)
        verdicts = {c["check"]: c["verdict"] for c in (screen or {}).get("checks", [])}
        rows.append({"study_id": study.study_id,
                     **{checks[c]["label"]: VERDICT_LABELS.get(verdicts.get(c), "not screened") for c in checks},
                     "decision": study_status(study).label})
    return pd.DataFrame(rows)
