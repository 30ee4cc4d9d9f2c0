"""Validation of the search and screening record (``data/search/``): searches.yaml, the
exports and their import into records.csv, duplicate links, screening decisions and the
exclusion reasons, each problem naming file, row and column."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml

from .. import paths
from ..curated.studies import ROW_COLUMN, read_yaml
from ..search.exports import SearchExportError, parse_export
from ..search.records import (DECISIONS, EXCLUDE, EXCLUSION_REASONS_FILE_NAME, EXPORTED_COLUMNS, FULL_TEXT, INCLUDE,
                              MATCH_REVIEWER, MATCH_TITLE, MATCHES, METHODS, RECORD_COLUMNS, RECORDS_FILE_NAME,
                              RUN_KEYS, SCREENING_COLUMNS, SCREENING_FILE_NAME, SEARCH_DIRNAME, SEARCHES_FILE_NAME,
                              STAGES, TITLE_ABSTRACT, SearchRun, load_records, load_screening, search_file)
from .problems import Problem

# Run and strategy ids are file-name-safe (an export is named after its run).
RUN_ID_PATTERN = re.compile(r"^[a-z0-9-]+$")
UPDATE_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
ISO_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STRATEGY_KEYS = ("strategy_id", "database", "query", "limits")


def _is_iso_date(value) -> bool:
    text = str(value)
    if not ISO_DATE_PATTERN.match(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _strategy_problems(file: str, entries) -> list[Problem]:
    """The problems of the strategies of searches.yaml: each must be a mapping with a unique
    file-name-safe ``strategy_id``, the ``database`` and its ``query`` as run (``limits``
    optional)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [Problem(file, None, "strategies", str(entries), "a list of search strategies")]
    problems, seen = [], set()
    for i, entry in enumerate(entries):
        key = f"strategies[{i}]"
        if not isinstance(entry, dict):
            problems.append(Problem(file, None, key, str(entry), "a mapping with keys " + ", ".join(STRATEGY_KEYS)))
            continue
        problems += [Problem(file, None, f"{key}.{k}", None, "one of the keys " + ", ".join(STRATEGY_KEYS))
                     for k in entry if k not in STRATEGY_KEYS]
        strategy_id = entry.get("strategy_id")
        if not isinstance(strategy_id, str) or not RUN_ID_PATTERN.match(strategy_id):
            problems.append(Problem(file, None, f"{key}.strategy_id", str(strategy_id),
                                    "a file-name-safe id: lower-case letters, digits and hyphens"))
        elif strategy_id in seen:
            problems.append(Problem(file, None, f"{key}.strategy_id", strategy_id, "a strategy id used once"))
        seen.add(strategy_id)
        for name, expected in (("database", "the database the strategy searches"),
                               ("query", "the query as it is run")):
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                problems.append(Problem(file, None, f"{key}.{name}", None, expected))
    return problems


def _run_problems(file: str, searches: dict, data_dir: Path) -> tuple[list[tuple[int, SearchRun]], list[Problem]]:
    """Problems of searches.yaml, and the runs well-formed enough to check further."""
    entries = searches.get("strategies")
    problems = _strategy_problems(file, entries)
    # A run names a strategy by id; a strategy's own problems are reported once, above.
    strategy_ids = {s.get("strategy_id") for s in entries or [] if isinstance(s, dict)} \
        if isinstance(entries, list) else set()
    entries = searches.get("runs")
    if not isinstance(entries, list):
        return [], [Problem(file, None, "runs", None, "a list of search runs")]
    runs, seen, previous_date = [], set(), None
    for i, entry in enumerate(entries):
        key = f"runs[{i}]"
        if not isinstance(entry, dict):
            problems.append(Problem(file, None, key, str(entry), "a mapping with keys " + ", ".join(RUN_KEYS)))
            continue
        missing = [k for k in RUN_KEYS if k not in entry]
        problems += [Problem(file, None, f"{key}.{k}", None, "this key (missing)") for k in missing]
        problems += [Problem(file, None, f"{key}.{k}", None, "one of the keys " + ", ".join(RUN_KEYS))
                     for k in entry if k not in RUN_KEYS]
        if missing:
            continue
        run = SearchRun.from_yaml(entry)
        found = len(problems)
        if not isinstance(run.run_id, str) or not RUN_ID_PATTERN.match(run.run_id):
            problems.append(Problem(file, None, f"{key}.run_id", str(run.run_id),
                                    "a file-name-safe id: lower-case letters, digits and hyphens"))
        elif run.run_id in seen:
            problems.append(Problem(file, None, f"{key}.run_id", run.run_id, "a run id used once"))
        seen.add(run.run_id)
        if not UPDATE_PATTERN.match(str(run.update)):
            problems.append(Problem(file, None, f"{key}.update", str(run.update), "the update as YYYY-MM"))
        if run.method not in METHODS:
            problems.append(Problem(file, None, f"{key}.method", str(run.method), "one of " + ", ".join(METHODS)))
        if not isinstance(run.source, str) or not run.source.strip():
            problems.append(Problem(file, None, f"{key}.source", None, "the database or source searched"))
        if run.method == "database" and run.strategy_id not in strategy_ids:
            problems.append(Problem(file, None, f"{key}.strategy_id", str(run.strategy_id),
                                    "the strategy_id of one of the strategies (a database run)"))
        elif run.method != "database" and run.strategy_id is not None:
            problems.append(Problem(file, None, f"{key}.strategy_id", str(run.strategy_id),
                                    "null (only database runs have a strategy)"))
        if not _is_iso_date(run.date_run):
            problems.append(Problem(file, None, f"{key}.date_run", str(run.date_run), "an ISO date (YYYY-MM-DD)"))
        elif previous_date is not None and str(run.date_run) < previous_date:
            problems.append(Problem(file, None, f"{key}.date_run", str(run.date_run),
                                    f"runs in date order (the run before was on {previous_date})"))
        else:
            previous_date = str(run.date_run)
        if not isinstance(run.records_reported, int) or isinstance(run.records_reported, bool) \
                or run.records_reported < 0:
            problems.append(Problem(file, None, f"{key}.records_reported", str(run.records_reported),
                                    "a whole number of records"))
        if not isinstance(run.export, str) or not run.export:
            problems.append(Problem(file, None, f"{key}.export", str(run.export), "the export file's path"))
        if len(problems) == found:
            runs.append((i, run))
    return runs, problems


def _export_problems(file: str, runs: list[tuple[int, SearchRun]], records: pd.DataFrame,
                     records_file: str, data_dir: Path) -> list[Problem]:
    """Each export exists, parses, has records_reported records and is imported as it is."""
    problems = []
    for i, run in runs:
        path = run.export_path(data_dir)
        export_file = paths.relative_to_root(path)
        if not path.is_file():
            problems.append(Problem(file, None, f"runs[{i}].export", run.export, "an export file that exists"))
            continue
        try:
            parsed = parse_export(path)
        except SearchExportError as exc:
            problems.append(Problem(export_file, None, None, None, f"a well-formed export ({exc.problem}"
                                    + (f", record {exc.record}" if exc.record else "")
                                    + (f", line {exc.line}" if exc.line else "") + ")"))
            continue
        if len(parsed) != run.records_reported:
            problems.append(Problem(file, None, f"runs[{i}].records_reported", str(run.records_reported),
                                    f"the number of records in {export_file} ({len(parsed)})"))
        imported = records[records["run_id"] == run.run_id]
        if imported.empty:
            problems.append(Problem(file, None, f"runs[{i}].run_id", run.run_id,
                                    f"its {len(parsed)} records imported into {records_file} "
                                    f"(python -m livingreview import-search {run.run_id})"))
            continue
        if len(imported) != len(parsed):
            problems.append(Problem(file, None, f"runs[{i}].run_id", run.run_id,
                                    f"{len(parsed)} records in {records_file}, as in {export_file} "
                                    f"(found {len(imported)})"))
        for _, row in imported.iterrows():
            position = int(row["position"]) if row["position"].isdigit() else 0
            if not 1 <= position <= len(parsed):
                continue  # reported with the row's position
            record = parsed[position - 1]
            for column in EXPORTED_COLUMNS:
                if row[column] != getattr(record, column):
                    problems.append(Problem(records_file, int(row[ROW_COLUMN]), column, row[column],
                                            f"{getattr(record, column)!r}, as in record {position} of "
                                            f"{export_file} (only duplicate_of and match are edited by hand)"))
                    break
    return problems


def _header_problem(file: str, frame: pd.DataFrame, columns: list[str]):
    header = [c for c in frame.columns if c != ROW_COLUMN]
    if header != columns:
        return Problem(file, None, None, ",".join(header), "the columns " + ",".join(columns))
    return None


def _record_problems(records: pd.DataFrame, file: str, run_ids: set[str], sizes: dict[str, int]) -> list[Problem]:
    """Ids, positions, duplicate links and match values of records.csv."""
    problems = []
    ids = records["record_id"].tolist()
    duplicate_of = dict(zip(records["record_id"], records["duplicate_of"]))
    seen = set()
    for _, row in records.iterrows():
        number, record_id = int(row[ROW_COLUMN]), row["record_id"]
        if record_id in seen:
            problems.append(Problem(file, number, "record_id", record_id, "a record id used once"))
        seen.add(record_id)
        if row["run_id"] not in run_ids:
            problems.append(Problem(file, number, "run_id", row["run_id"], f"a run of {SEARCHES_FILE_NAME}"))
        elif not row["position"].isdigit() or not 1 <= int(row["position"]) <= sizes.get(row["run_id"], 10**9):
            problems.append(Problem(file, number, "position", row["position"],
                                    "the record's 1-based position in its export"))
        elif record_id != f"{row['run_id']}:{row['position']}":
            problems.append(Problem(file, number, "record_id", record_id,
                                    f"'{row['run_id']}:{row['position']}' (run_id:position)"))
        target, match = row["duplicate_of"], row["match"]
        if target:
            if target not in duplicate_of or target == record_id:
                problems.append(Problem(file, number, "duplicate_of", target, "the record_id of another record"))
            elif duplicate_of[target]:
                problems.append(Problem(file, number, "duplicate_of", target,
                                        f"a unique record ({target} is itself a duplicate of "
                                        f"{duplicate_of[target]})"))
            elif ids.index(target) > ids.index(record_id) and match != MATCH_REVIEWER:
                problems.append(Problem(file, number, "duplicate_of", target,
                                        "an earlier record (or match 'reviewer' for a reviewer's choice)"))
        if match not in ("", *MATCHES):
            problems.append(Problem(file, number, "match", match, "one of " + ", ".join(MATCHES) + " or empty"))
        elif target and not match:
            problems.append(Problem(file, number, "match", None,
                                    "why it is a duplicate: " + ", ".join(MATCHES)))
        elif not target and match not in ("", MATCH_REVIEWER):
            problems.append(Problem(file, number, "match", match,
                                    "empty or 'reviewer' on a record that duplicates none"))
        score = row["match_score"]
        if match == MATCH_TITLE:
            if not re.fullmatch(r"\d{1,3}(\.\d)?", score) or float(score) > 100:
                problems.append(Problem(file, number, "match_score", score or None,
                                        "the title score, 0-100 with one decimal"))
        elif score:
            problems.append(Problem(file, number, "match_score", score, "empty unless match is 'title'"))
    return problems


def _screening_problems(screening: pd.DataFrame, file: str, records: pd.DataFrame, records_file: str,
                        reasons: dict, data_dir: Path) -> list[Problem]:
    """Decisions of screening.csv against records.csv, the reasons and the study folders."""
    problems = []
    duplicate_of = dict(zip(records["record_id"], records["duplicate_of"]))
    study_ids = {p.name for p in paths.studies_dir(data_dir).iterdir() if p.is_dir()} \
        if paths.studies_dir(data_dir).is_dir() else set()
    decided: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for _, row in screening.iterrows():
        number, record_id, stage, decision = int(row[ROW_COLUMN]), row["record_id"], row["stage"], row["decision"]
        if record_id not in duplicate_of:
            problems.append(Problem(file, number, "record_id", record_id or None, f"a record_id of {records_file}"))
            continue
        if duplicate_of[record_id]:
            problems.append(Problem(file, number, "record_id", record_id,
                                    f"a unique record (it duplicates {duplicate_of[record_id]}; "
                                    "duplicates are not screened)"))
            continue
        if stage not in STAGES:
            problems.append(Problem(file, number, "stage", stage or None, "one of " + ", ".join(STAGES)))
            continue
        if decision not in DECISIONS[stage]:
            problems.append(Problem(file, number, "decision", decision or None,
                                    f"one of {', '.join(DECISIONS[stage])} at {stage}"))
        decided.setdefault((record_id, stage), []).append((number, decision))
        reason = row["reason"]
        if reason and decision != EXCLUDE:
            problems.append(Problem(file, number, "reason", reason, "no reason unless the decision is exclude"))
        elif reason and reason not in reasons:
            problems.append(Problem(file, number, "reason", reason,
                                    f"an id of {EXCLUSION_REASONS_FILE_NAME} ({', '.join(reasons) or 'none defined'})"))
        elif not reason and stage == FULL_TEXT and decision == EXCLUDE:
            problems.append(Problem(file, number, "reason", None, "the reason for a full-text exclusion"))
        study_id = row["study_id"]
        if stage == FULL_TEXT and decision == INCLUDE:
            if study_id not in study_ids:
                problems.append(Problem(file, number, "study_id", study_id or None,
                                        "the study folder under studies/ the included report belongs to"))
        elif study_id:
            problems.append(Problem(file, number, "study_id", study_id, "no study_id unless included at full_text"))
        if not row["reviewer"].strip():
            problems.append(Problem(file, number, "reviewer", None, "who made the decision"))
        if not _is_iso_date(row["date"]):
            problems.append(Problem(file, number, "date", row["date"] or None, "an ISO date (YYYY-MM-DD)"))

    for (record_id, stage), rows in decided.items():
        problems += [Problem(file, number, "record_id", record_id,
                             f"one {stage} row per record (row {rows[0][0]} has one already)")
                     for number, _ in rows[1:]]
        if stage == FULL_TEXT:
            title_abstract = [d for _, d in decided.get((record_id, TITLE_ABSTRACT), [])]
            if INCLUDE not in title_abstract:
                problems += [Problem(file, number, "stage", stage,
                                     "a full_text row only for a record included at title_abstract")
                             for number, _ in rows[:1]]
    for _, row in records[records["duplicate_of"] == ""].iterrows():
        record_id, number = row["record_id"], int(row[ROW_COLUMN])
        title_abstract = decided.get((record_id, TITLE_ABSTRACT))
        if not title_abstract:
            problems.append(Problem(records_file, number, "record_id", record_id,
                                    f"a title_abstract row in {file} (unique records are screened)"))
        elif title_abstract[0][1] == INCLUDE and (record_id, FULL_TEXT) not in decided:
            problems.append(Problem(records_file, number, "record_id", record_id,
                                    f"a full_text row in {file} (the record was included at title_abstract)"))
    included_studies = {row["study_id"] for _, row in screening.iterrows()
                        if row["stage"] == FULL_TEXT and row["decision"] == INCLUDE}
    problems += [Problem(paths.relative_to_root(paths.studies_dir(data_dir) / study_id), None, None, None,
                         f"a report included at full_text in {file} with this study_id "
                         "(every included study is traced to the search)")
                 for study_id in sorted(study_ids - included_studies)]
    return problems


def _reason_problems(data_dir: Path) -> tuple[dict, list[Problem]]:
    path = Path(data_dir) / EXCLUSION_REASONS_FILE_NAME
    file = paths.relative_to_root(path)
    if not path.is_file():
        return {}, [Problem(file, None, None, None, "the file to exist (the exclusion reasons screening uses)")]
    try:
        reasons = read_yaml(path)
    except yaml.YAMLError as exc:
        return {}, [Problem(file, None, None, None, f"well-formed YAML ({getattr(exc, 'problem', exc)})")]
    if not isinstance(reasons, dict):
        return {}, [Problem(file, None, None, None, "a mapping of reason id to label and criterion")]
    problems = [Problem(file, None, str(reason_id), None, "a mapping with a 'label'")
                for reason_id, entry in reasons.items()
                if not isinstance(entry, dict) or not str(entry.get("label") or "").strip()]
    return reasons, problems


def validate_search(data_dir: Path = paths.DATA_DIR) -> list[Problem]:
    """Every problem of the search and screening record, as :class:`Problem`
    (file, 1-based data row, column); [] when the data folder has no ``search/``.

    Checked: searches.yaml (runs, dates, strategies); every export exists, parses, has the
    records reported and is imported row for row; duplicate links point to a unique record;
    every unique record has one title/abstract decision and every record included there one
    full-text decision; duplicates are not screened; decisions, stages, reasons, study ids,
    reviewers and dates are valid; every study folder is traced to an included report."""
    data_dir = Path(data_dir)
    if not (data_dir / SEARCH_DIRNAME).is_dir():
        return []
    searches_path = search_file(data_dir, SEARCHES_FILE_NAME)
    file = paths.relative_to_root(searches_path)
    if not searches_path.is_file():
        return [Problem(file, None, None, None, "the file to exist (the runs of the search record)")]
    try:
        searches = read_yaml(searches_path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [Problem(file, None, None, None, f"well-formed YAML ({getattr(exc, 'problem', exc)}"
                        + (f", at line {mark.line + 1}" if mark else "") + ")")]
    if not isinstance(searches, dict):
        return [Problem(file, None, None, None, "a YAML mapping with strategies and runs")]
    runs, problems = _run_problems(file, searches, data_dir)

    records_path = search_file(data_dir, RECORDS_FILE_NAME)
    records_file = paths.relative_to_root(records_path)
    try:
        records = load_records(data_dir)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        return problems + [Problem(records_file, None, None, None, f"well-formed UTF-8 CSV ({exc})")]
    header = _header_problem(records_file, records, RECORD_COLUMNS)
    if header:
        return problems + [header]
    problems += _export_problems(file, runs, records, records_file, data_dir)
    sizes = Counter(records["run_id"])
    all_run_ids = {entry.get("run_id") for entry in searches.get("runs") or [] if isinstance(entry, dict)}
    problems += _record_problems(records, records_file, all_run_ids, dict(sizes))

    reasons, reason_problems = _reason_problems(data_dir)
    problems += reason_problems
    screening_path = search_file(data_dir, SCREENING_FILE_NAME)
    screening_file = paths.relative_to_root(screening_path)
    if not screening_path.is_file():
        if (records["duplicate_of"] == "").any():
            problems.append(Problem(screening_file, None, None, None,
                                    "the file to exist (the unique records of records.csv are screened)"))
        return problems
    try:
        screening = load_screening(data_dir)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        return problems + [Problem(screening_file, None, None, None, f"well-formed UTF-8 CSV ({exc})")]
    header = _header_problem(screening_file, screening, SCREENING_COLUMNS)
    if header:
        return problems + [header]
    problems += _screening_problems(screening, screening_file, records, records_file, reasons, data_dir)
    return problems
