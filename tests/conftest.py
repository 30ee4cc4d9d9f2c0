"""Shared fixtures: a valid curated data folder that tests copy and break."""

import csv
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
VALID_DATA = FIXTURES / "valid_data"
# The synthesis chapters read all studies.
SYNTHESIS_RUNS = [f"synthesis/{name}" for name in ("analyses", "audit", "bias_integrity_certainty", "comparative", "context",
                                                    "evidence_map", "response", "safety", "summary_of_findings",
                                                    "survival")]
# The teaching chapters read the studies too (their examples are chosen from the data).
TEACHING_RUNS = [f"teaching/{name}" for name in ("kaplan_meier", "nonrandomised_comparisons", "random_effects",
                                                  "response_intervals", "trustworthiness")]
# Runs after the others on their combined results; re-executed only when the results change.
COMPARISON_RUNS = ["what_changed"]


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the valid fixture data folder."""
    target = tmp_path / "data"
    shutil.copytree(VALID_DATA, target)
    return target


FIXTURE_STUDY = Path("studies/doe2024")


def edit_csv(data: Path, name: str, row: int | None, column: str, value: str) -> None:
    """Set one cell of a fixture table (row is 1-based over data rows), or rename a header
    column when row is None."""
    path = data / FIXTURE_STUDY / name
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if row is None:
        rows[0][rows[0].index(column)] = value
    else:
        rows[row][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def append_row(data: Path, name: str, values: dict) -> None:
    """Append a row to a fixture table; columns not given are empty."""
    path = data / FIXTURE_STUDY / name
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow([values.get(c, "") for c in header])


# The test files that take longest, in seconds on two busy cores (pytest --durations). The
# suite runs one file per worker at a time (make test: pytest-xdist, --dist loadfile), taking
# files in collection order; collecting the longest first lets the short ones fill in behind
# them, so that both cores finish together (longest-processing-time-first scheduling).
LONGEST_FILES = {
    "browser/test_site.py": 390,
    "build/test_build.py": 290,
    "build/test_performance.py": 140,
    "build/test_adding_studies.py": 110,
    "build/test_generated_studies.py": 95,
    "build/test_release_history.py": 104,
    "build/test_rates_at_the_bounds.py": 85,
    "build/test_renamed_review.py": 77,
    "build/test_generated_book.py": 72,
}


def pytest_collection_modifyitems(config, items):
    """Collect the longest files first (see :data:`LONGEST_FILES`); the rest keep their order."""
    tests = Path(__file__).parent

    def seconds(item) -> int:
        return LONGEST_FILES.get(item.path.relative_to(tests).as_posix(), 0)

    items.sort(key=lambda item: -seconds(item))
