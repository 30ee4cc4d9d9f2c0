"""Validation of a whole data folder (``make check-data``, and the build before it runs):
every study folder, the review's shared files, the review's eligibility criteria and the
search record. Every problem is collected, so a maintainer sees them all at once.
"""

from __future__ import annotations

from pathlib import Path

from .. import paths
from ..curated.studies import STUDY_FILE, read_yaml, study_folders
from ..search.eligibility import eligibility_failures
from .problems import DataValidationError, Problem
from .search_record import validate_search
from .study import validate_study
from .vocabularies import validate_benchmarks, validate_vocabulary
from .yaml_files import load_yaml, optional_yaml, schema_problems, with_yaml_lines


def validate_data_dir(data_dir: Path = paths.DATA_DIR, known_valid=None) -> list[Problem]:
    """Every problem in a data folder (empty list: valid).

    ``known_valid``, when given, is called with each study folder; a folder for which it
    returns True is not validated again (the build passes folders whose files, and everything
    they are checked against, are unchanged since they last passed)."""
    data_dir = Path(data_dir)
    terms, problems = validate_vocabulary(data_dir)
    if problems:
        terms = None  # an invalid vocabulary is reported; terms are not checked against it
    folders = study_folders(data_dir)
    if not folders:
        problems.append(Problem(paths.relative_to_root(paths.studies_dir(data_dir)), None, None, None,
                                "at least one study folder"))
    review_file = data_dir / paths.REVIEW_FILE_NAME
    review, review_problems = load_yaml(review_file)
    if review is not None:
        review_problems = schema_problems(paths.relative_to_root(review_file), review,
                                          paths.REVIEW_SCHEMA_FILE)
    problems += review_problems
    rob_tools, tool_problems = load_yaml(data_dir / paths.ROB_TOOLS_FILE_NAME)
    problems += tool_problems
    integrity_checks, check_problems = load_yaml(data_dir / paths.INTEGRITY_CHECKS_FILE_NAME)
    problems += check_problems
    problems += validate_benchmarks(data_dir)
    # Absent: no summary-of-findings table.
    problems += optional_yaml(data_dir / paths.CERTAINTY_FILE_NAME, paths.CERTAINTY_SCHEMA_FILE)[1]
    for folder in folders:
        if known_valid is None or not known_valid(folder):
            problems += validate_study(folder, terms, rob_tools, integrity_checks)
            if review is not None and not review_problems:
                problems += eligibility_problems(folder, review)
    problems += validate_search(data_dir)
    return with_yaml_lines(problems)


def eligibility_problems(folder: Path, review: dict) -> list[Problem]:
    """Criteria of the review that an included study (a folder under studies/) fails."""
    path = folder / STUDY_FILE
    try:
        meta = read_yaml(path)
    except Exception:  # an unreadable study.yaml is reported by validate_study
        return []
    if not isinstance(meta, dict):
        return []
    file = paths.relative_to_root(path)
    return [Problem(file, None, failure.key, failure.value,
                    f"{failure.criterion}; a report that fails the review's criteria is recorded as excluded "
                    "in search/screening.csv, not as a study folder")
            for failure in eligibility_failures(meta, review)]


def data_warnings(data_dir: Path = paths.DATA_DIR) -> list[str]:
    """What valid data leave out without saying so: a study whose outcomes table has no rows
    is in no efficacy analysis. Warnings do not stop the build; check-data and the build print
    them."""
    data_dir = Path(data_dir)
    settings = (read_yaml(data_dir / paths.REVIEW_FILE_NAME) or {}).get("setting_groups", {})
    warnings = []
    for folder in study_folders(data_dir):
        outcomes = folder / "outcomes.csv"
        if outcomes.is_file() and not outcomes.read_text(encoding="utf-8").strip().count("\n"):
            meta = read_yaml(folder / STUDY_FILE) or {}
            setting = settings.get(meta.get("setting_group"), meta.get("setting_group", "its setting"))
            warnings.append(f"{paths.relative_to_root(outcomes)} has no rows: {meta.get('short_name', folder.name)} "
                            f"({folder.name}) is left out of the objective response and disease control pools, "
                            f"the survival analyses and the comparisons of {setting[:1].lower() + setting[1:]}")
    return warnings


def require_valid(data_dir: Path = paths.DATA_DIR) -> None:
    """Raise :class:`DataValidationError` listing every problem, if there is any."""
    problems = validate_data_dir(data_dir)
    if problems:
        raise DataValidationError(problems)
