"""The data the build benchmark builds: a copy of a data folder grown by copies of a fixture
study, each a valid included study, and the one-study update it times.

A review with a search record traces every study folder to a report included at full text
(:mod:`livingreview.search.records`). So the copies are found the way the review's own reports
are: an identification run with an export file of their reports is added to the copy's
``searches.yaml``, imported with the review's importer, and each report is screened in at
title and abstract and at full text under its study id.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from .. import paths
from ..curated.studies import read_yaml
from ..search.importing import import_run
from ..search.records import (FULL_TEXT, INCLUDE, SCREENING_COLUMNS, SCREENING_FILE_NAME, SEARCH_DIRNAME,
                              SEARCHES_FILE_NAME, TITLE_ABSTRACT, load_searches)

FIXTURE_STUDY = paths.PROJECT_ROOT / "tests" / "fixtures" / "new_study" / "poe2026"
SYNTHETIC_PREFIX = "synthetic"
SYNTHETIC_RUN_ID = "synthetic-reports"
SYNTHETIC_REVIEWER = "benchmark"


def synthetic_data(target: Path, studies: int, source: Path = paths.DATA_DIR,
                   fixture: Path = FIXTURE_STUDY) -> Path:
    """A copy of ``source`` grown to ``studies`` study folders by copies of ``fixture``
    (ids ``synthetic_001``...), each traced to the copy's search record when it has one;
    returns ``target``."""
    shutil.copytree(source, target)
    study_root = paths.studies_dir(target)
    existing = sum(1 for p in study_root.iterdir() if p.is_dir())
    added = []
    for number in range(1, studies - existing + 1):
        study_id = f"{SYNTHETIC_PREFIX}_{number:03d}"
        folder = study_root / study_id
        folder.mkdir()
        for path in sorted(fixture.iterdir()):
            text = path.read_text(encoding="utf-8").replace(fixture.name, study_id)
            (folder / path.name).write_text(text, encoding="utf-8")
        added.append(study_id)
    if added and (target / SEARCH_DIRNAME).is_dir():
        trace_to_search(target, added, fixture.name)
    return target


def _ris_record(citation: dict, study_id: str) -> str:
    """The export record of a synthetic study's report.

    All copies print the fixture's citation, and deduplication would take them for one report
    (same DOI; else the same title, first author and year). Each report here has a DOI of its
    own and its study id in its title, and no author: a record without one is told apart by
    its DOI alone, as the importer does for any such record."""
    return "\n".join([
        "TY  - JOUR",
        f"TI  - {citation['title']} ({study_id})",
        f"T2  - {citation['journal']}",
        f"PY  - {citation['year']}",
        f"DO  - {citation['doi']}.{study_id}",
        "ER  - ",
        "",
    ])


def trace_to_search(data_dir: Path, study_ids: list[str], fixture_name: str) -> None:
    """Record the reports of the study folders ``study_ids`` (copies of the fixture study) in
    the search record of ``data_dir``: a run of their export, imported, and each report
    included at title and abstract and at full text."""
    data_dir = Path(data_dir)
    searches = load_searches(data_dir)
    runs = searches.setdefault("runs", [])
    # On the day of the last search, so that the search schedule stays as it was.
    today = date.today().isoformat()
    last = runs[-1] if runs else {"update": today[:7], "date_run": today}
    export = f"{SEARCH_DIRNAME}/exports/{SYNTHETIC_RUN_ID}.ris"
    records = [_ris_record(read_yaml(paths.studies_dir(data_dir) / study_id / "study.yaml")["citation"], study_id)
               for study_id in study_ids]
    (data_dir / export).parent.mkdir(parents=True, exist_ok=True)
    (data_dir / export).write_text("\n".join(records), encoding="utf-8")
    runs.append({"run_id": SYNTHETIC_RUN_ID, "update": last["update"], "method": "other",
                 "source": f"Synthetic reports: copies of the fixture study {fixture_name}",
                 "strategy_id": None, "date_run": last["date_run"], "export": export,
                 "records_reported": len(study_ids)})
    (data_dir / SEARCHES_FILE_NAME).write_text(yaml.safe_dump(searches, sort_keys=False, allow_unicode=True),
                                               encoding="utf-8")
    imported = import_run(data_dir, SYNTHETIC_RUN_ID).new_records
    if len(imported) != len(study_ids):
        raise ValueError(f"{len(study_ids) - len(imported)} synthetic report(s) were taken for duplicates")
    rows = []
    for record, study_id in zip(imported, study_ids):
        decision = {"record_id": record["record_id"], "decision": INCLUDE, "reason": "",
                    "reviewer": SYNTHETIC_REVIEWER, "date": str(last["date_run"]),
                    "note": f"Synthetic copy of the fixture study {fixture_name}"}
        rows.append({**decision, "stage": TITLE_ABSTRACT, "study_id": ""})
        rows.append({**decision, "stage": FULL_TEXT, "study_id": study_id})
    _append_rows(data_dir / SCREENING_FILE_NAME, SCREENING_COLUMNS, rows)


def _append_rows(path: Path, columns: list[str], rows: list[dict]) -> None:
    """Append rows to a CSV table, writing its header first when it does not exist."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if not text:
        writer.writeheader()
    elif not text.endswith("\n"):
        buffer.write("\n")
    writer.writerows(rows)
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())


def edit_one_study(data_dir: Path, study_id: str) -> str:
    """Move one printed median of the study's outcomes.csv by one unit of its last decimal, in
    place; returns what was changed."""
    path = paths.studies_dir(data_dir) / study_id / "outcomes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0])
    for number, row in enumerate(rows, start=1):
        if row["measure"] == "median" and row["estimate"]:
            before = Decimal(row["estimate"])
            row["estimate"] = str(before + Decimal(1).scaleb(before.as_tuple().exponent))
            break
    else:
        raise ValueError(f"{path}: no printed median to change")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return f"{study_id}/outcomes.csv row {number}: estimate {before} -> {row['estimate']}"
