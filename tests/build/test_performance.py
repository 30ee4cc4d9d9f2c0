"""The pieces that make builds fast: forked kernels (same notebooks as ordinary ones), the
memo of shared computations, and the benchmark's own data and arithmetic."""

from __future__ import annotations

import csv
import os

import pytest

from livingreview import paths
from livingreview.statistics import memo
from livingreview.build.bench import OUTPUT_DIR, REFERENCE_SCENARIO, Timing, ratios, run_benchmark
from livingreview.build.bench_data import edit_one_study, synthetic_data
from livingreview.build.execute import KERNEL_NAME, ensure_kernel, normalise_notebook, notebook_imports
from livingreview.build.kernel import Forker
from livingreview.build.page_weight import CHROMIUM, FIRST_VISIT_BUDGET_KB, FURTHER_PAGE_BUDGET_KB
from livingreview.curated.studies import study_folders
from livingreview.search.records import load_screening
from livingreview.validation.data_folder import validate_data_dir

from ..conftest import FIXTURES, VALID_DATA

NOTEBOOKS = FIXTURES.parent.parent / "notebooks"


def test_a_forked_kernel_gives_the_same_notebook_as_an_ordinary_one(data_copy, tmp_path):
    import papermill

    ensure_kernel()
    parameters = {"data_dir": str(data_copy), "results_file": str(tmp_path / "results.csv")}

    def execute(name: str) -> str:
        output = tmp_path / f"{name}.ipynb"
        papermill.execute_notebook(str(NOTEBOOKS / "index.ipynb"), str(output), parameters=parameters,
                                   kernel_name=KERNEL_NAME, progress_bar=False, cwd=str(tmp_path))
        normalise_notebook(output)
        return output.read_text(encoding="utf-8")

    ordinary = execute("ordinary")
    with Forker(tmp_path / "forker", notebook_imports([NOTEBOOKS / "index.ipynb"])) as forker:
        assert forker.ready, "the forker did not start"
        forked = execute("forked")
    assert forked == ordinary
    assert "text/html" in ordinary  # the page did render tables


def test_the_forker_preloads_nothing_from_the_data(tmp_path):
    """Data read while the forker imports would be cached in every kernel without being
    recorded as read; importing the notebooks' modules must read no data file."""
    import subprocess
    import sys

    record = tmp_path / "reads.tsv"
    modules = notebook_imports(sorted(NOTEBOOKS.rglob("*.ipynb")))
    script = ("import importlib, sys\nfrom livingreview.build.kernel import record_reads\n"
              "record_reads(sys.argv[1], sys.argv[2])\n"
              "for name in sys.argv[3:]:\n    importlib.import_module(name)\n")
    subprocess.run([sys.executable, "-c", script, str(record), str(FIXTURES.parent.parent / "data"), *modules],
                   check=True)
    assert record.read_text(encoding="utf-8") == ""


def test_memo_keeps_results_during_a_build_only(tmp_path, monkeypatch):
    calls = []

    @memo.memoised(memo.by_value)
    def square(x):
        calls.append(x)
        return x * x

    monkeypatch.delenv(memo.MEMO_ENV, raising=False)
    assert square(3) == 9 and square(3) == 9
    assert calls == [3, 3]  # outside a build nothing is kept
    monkeypatch.setenv(memo.MEMO_ENV, str(tmp_path / "memo"))
    assert square(3) == 9 and square(3) == 9 and square(4) == 16
    assert calls == [3, 3, 3, 4]
    assert len(list((tmp_path / "memo").glob("*.pickle"))) == 2


def test_an_audit_is_recomputed_when_its_study_changes(data_copy, tmp_path, monkeypatch):
    from livingreview.audit.run import audit_study
    from livingreview.curated.studies import load_study, load_vocabulary

    monkeypatch.setenv(memo.MEMO_ENV, str(tmp_path / "memo"))
    folder = data_copy / "studies/doe2024"
    vocabulary = load_vocabulary(data_dir=data_copy)
    first = audit_study(load_study(folder), vocabulary)
    assert audit_study(load_study(folder), vocabulary).equals(first)
    assert len(list((tmp_path / "memo").glob("*.pickle"))) == 1
    edit_one_study(data_copy, "doe2024")
    audit_study(load_study(folder), vocabulary)
    assert len(list((tmp_path / "memo").glob("*.pickle"))) == 2


def test_synthetic_studies_are_valid_copies_of_the_fixture(tmp_path):
    grown = synthetic_data(tmp_path / "data", 4, source=VALID_DATA)
    folders = sorted(p.name for p in (grown / "studies").iterdir())
    assert folders == ["doe2024", "synthetic_001", "synthetic_002", "synthetic_003"]
    assert "study_id: synthetic_002" in (grown / "studies/synthetic_002/study.yaml").read_text(encoding="utf-8")
    assert validate_data_dir(grown) == []


def test_the_review_grown_by_synthetic_studies_traces_each_to_the_search_and_is_valid(tmp_path):
    size = len(study_folders(paths.DATA_DIR)) + 2
    grown = synthetic_data(tmp_path / "data", size)
    included = load_screening(grown).query("stage == 'full_text' and decision == 'include'")
    assert {"synthetic_001", "synthetic_002"} <= set(included["study_id"])
    assert validate_data_dir(grown) == []


def test_the_update_moves_one_printed_median_by_one_unit_of_its_last_decimal(data_copy):
    def estimates() -> list[str]:
        text = (data_copy / "studies/doe2024/outcomes.csv").read_text(encoding="utf-8")
        return [row["estimate"] for row in csv.DictReader(text.splitlines())]

    before = estimates()
    change = edit_one_study(data_copy, "doe2024")
    moved = [(old, new) for old, new in zip(before, estimates()) if old != new]
    assert moved == [("8.4", "8.5")]  # the fixture's first printed median, at its precision
    assert "doe2024/outcomes.csv row" in change and "8.4 -> 8.5" in change
    assert validate_data_dir(data_copy) == []


def timing(studies, scenario, total):
    return Timing(studies, scenario, 1, 1, 0.0, 0.0, 0.0, total)


def test_ratios_are_the_targets_arithmetic():
    rows = {r["ratio"]: r for r in ratios([timing(5, "cold", 20.0), timing(5, "no-op", 1.0),
                                           timing(5, "one-study update", 8.0), timing(50, "cold", 100.0),
                                           timing(50, "one-study update", 18.0)], reference_s=40.0)}
    assert rows["cold / reference"]["value"] == 0.5 and rows["cold / reference"]["met"] == "yes"
    assert rows["one-study update / cold"]["value"] == 0.4
    assert rows["no-op / cold"]["value"] == 0.05
    scale = rows["one-study update at 50 studies / at 5"]
    assert scale["value"] == 2.25 and scale["target"] == "<= 2.0" and scale["met"] == "no"


def test_the_figure_is_drawn_from_the_benchmark_table(tmp_path):
    import shutil

    from livingreview.build.bench import redraw

    shutil.copy2(OUTPUT_DIR / "benchmark.csv", tmp_path / "benchmark.csv")
    figure = redraw(tmp_path)
    text = figure.read_text(encoding="utf-8")
    assert text.startswith("<?xml") and "seconds (wall clock)" in text
    assert "Jupyter Book executes and assembles" in text  # the reference build's bar
    assert redraw(tmp_path).read_text(encoding="utf-8") == text  # the same file from the same table


@pytest.mark.slow
def test_the_whole_benchmark_at_a_tiny_size_writes_what_the_performance_page_shows(tmp_path):
    """One size only (the fixture review as it is, one study; growing it is tested above), and
    no reference build: Jupyter Book starting a kernel for each notebook in turn would take half
    of the suite's time on its own (its seconds are measured by `make bench`, and a reference
    row is drawn in the test of the figure above)."""
    if not CHROMIUM.exists() and os.environ.get("LIVINGREVIEW_REQUIRE_BROWSER") != "1":
        pytest.skip(f"the page weights need {CHROMIUM} (apt-get install chromium)")
    page_tables = {path.name: path.read_bytes() for path in OUTPUT_DIR.iterdir()}
    output = run_benchmark(sizes=(), study="doe2024", output_dir=tmp_path / "performance", data_dir=VALID_DATA,
                           floor_repeats=1, reference=False)

    def rows(name: str) -> list[dict]:
        with (output / f"{name}.csv").open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    builds = {row["scenario"]: row for row in rows("benchmark")}
    assert list(builds) == ["cold", "no-op", "one-study update"] and REFERENCE_SCENARIO not in builds
    assert {row["studies"] for row in builds.values()} == {"1"}
    assert builds["cold"]["notebooks_executed"] == builds["cold"]["notebooks"]
    assert builds["no-op"]["notebooks_executed"] == "0"
    assert [row["ratio"] for row in rows("ratios")] == ["one-study update / cold", "no-op / cold"]
    assert len(rows("floor")) == 5
    assert [row["item"] for row in rows("machine")] == ["processor", "cores", "memory", "system", "python", "measured on",
                                                            "code measured"]
    first = f"first visit, kB (budget {FIRST_VISIT_BUDGET_KB})"
    further = f"further page, kB (budget {FURTHER_PAGE_BUDGET_KB})"
    assert rows("page_weight") and all(float(row[first]) >= float(row[further]) > 0 for row in rows("page_weight"))
    assert "seconds (wall clock)" in (output / "benchmark.svg").read_text(encoding="utf-8")
    assert {path.name: path.read_bytes() for path in OUTPUT_DIR.iterdir()} == page_tables  # left alone
