"""Unit tests of the build's planning: which notebooks run, what their hashes depend on, and
the record of the data each run read."""

from __future__ import annotations

import shutil

import nbformat

from livingreview import paths
from livingreview.build.digests import DataSnapshot
from livingreview.build.execute import INJECTED_CELL_ID, normalise_notebook
from livingreview.build.plan import plan_runs
from livingreview.build.staleness import input_hash, input_parts, stale_reason
from livingreview.build.kernel import read_record

from ..conftest import COMPARISON_RUNS, SYNTHESIS_RUNS, TEACHING_RUNS


def test_one_study_run_per_study_folder(data_copy):
    keys = [r.key for r in plan_runs(data_copy)]
    assert keys == sorted(["index", "methods", "excluded_studies", "studies/doe2024", *SYNTHESIS_RUNS, *TEACHING_RUNS,
                           "validation", *COMPARISON_RUNS])
    shutil.copytree(data_copy / "studies/doe2024", data_copy / "studies/new2026")
    keys = [r.key for r in plan_runs(data_copy)]
    assert "studies/new2026" in keys  # a new folder is a new page, with no code change


def test_input_hash_changes_with_the_notebook_and_parameters_not_with_data(data_copy):
    runs = {r.key: r for r in plan_runs(data_copy)}
    before = {key: input_hash(run, "code") for key, run in runs.items()}
    with (data_copy / "studies/doe2024/outcomes.csv").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    assert {key: input_hash(run, "code") for key, run in runs.items()} == before
    assert input_hash(runs["index"], "other code") != before["index"]
    assert before["studies/doe2024"] != before["index"]


def test_a_run_depends_on_the_files_it_opened_and_the_folders_it_listed_or_read_from(data_copy):
    snapshot = DataSnapshot(data_copy)
    study_page = snapshot.dependencies(["studies/doe2024/outcomes.csv", "review.yaml"], [])
    chapter = snapshot.dependencies(["studies/doe2024/adverse_events.csv"], ["studies"])
    assert set(study_page["listed"]) == {"studies/doe2024", "."}

    (data_copy / "studies/doe2024/outcomes.csv").write_text(
        (data_copy / "studies/doe2024/outcomes.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    edited = DataSnapshot(data_copy)
    assert not edited.unchanged(study_page) and edited.unchanged(chapter)

    # A new file beside files it read may be one the page looks for (an optional table).
    (data_copy / "studies/doe2024/notes.txt").write_text("new", encoding="utf-8")
    assert not DataSnapshot(data_copy).unchanged(chapter)
    # A new study folder changes what a page that listed the studies sees.
    chapter = DataSnapshot(data_copy).dependencies(["studies/doe2024/adverse_events.csv"], ["studies"])
    shutil.copytree(data_copy / "studies/doe2024", data_copy / "studies/new2026")
    assert not DataSnapshot(data_copy).unchanged(chapter)
    # A file that was absent when read is a dependency too: creating it changes the run.
    absent = DataSnapshot(data_copy).dependencies(["certainty.yaml"], [])
    assert absent["opened"] == {"certainty.yaml": DataSnapshot.ABSENT}
    (data_copy / "certainty.yaml").write_text("{}", encoding="utf-8")
    assert not DataSnapshot(data_copy).unchanged(absent)


def _append(path, text="\n"):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _entry(run, snapshot, opened, listed=(), code="code"):
    """A manifest entry as a successful build records it."""
    return {"inputs": input_hash(run, code), "parts": input_parts(run, code), "seconds": 1.0,
            "data": snapshot.dependencies(list(opened), list(listed))}


def test_the_reason_a_run_executes_never_built_or_nothing_when_unchanged(data_copy):
    run = {r.key: r for r in plan_runs(data_copy)}["studies/doe2024"]
    snapshot = DataSnapshot(data_copy)
    assert stale_reason(run, None, snapshot, "code") == "never built"
    assert stale_reason(run, {}, snapshot, "code") == "never built"
    assert stale_reason(run, {"failed": True}, snapshot, "code") == "never built; previous run failed"
    entry = _entry(run, snapshot, ["studies/doe2024/outcomes.csv"])
    assert stale_reason(run, entry, snapshot, "code") == ""  # reused


def test_the_reason_names_the_changed_notebook_parameters_or_code(data_copy, tmp_path):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(paths.NOTEBOOKS_DIR, notebooks)
    runs = {r.key: r for r in plan_runs(data_copy, notebooks)}
    snapshot = DataSnapshot(data_copy)
    entries = {key: _entry(run, snapshot, ["review.yaml"]) for key, run in runs.items()}
    index = runs["index"]
    notebook = nbformat.read(index.notebook, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("An added paragraph."))
    nbformat.write(notebook, index.notebook)
    assert stale_reason(index, entries["index"], snapshot, "code") == (
        f"notebook changed ({paths.relative_to_root(index.notebook)})")
    assert stale_reason(runs["methods"], entries["methods"], snapshot, "code") == ""
    assert stale_reason(runs["methods"], entries["methods"], snapshot, "other code") == (
        "package code or requirements changed")
    runs["methods"].parameters = {"site_status": "Draft"}
    assert stale_reason(runs["methods"], entries["methods"], snapshot, "code") == "parameters changed"
    # An entry recorded before the parts were kept still gets a reason.
    del entries["index"]["parts"]
    assert stale_reason(index, entries["index"], snapshot, "code") == "notebook, parameters or code changed"


def test_the_reason_names_the_changed_data_file(data_copy):
    run = {r.key: r for r in plan_runs(data_copy)}["studies/doe2024"]
    entry = _entry(run, DataSnapshot(data_copy), ["studies/doe2024/outcomes.csv", "review.yaml"])
    _append(data_copy / "studies/doe2024/outcomes.csv")
    assert stale_reason(run, entry, DataSnapshot(data_copy), "code") == "data changed (studies/doe2024/outcomes.csv)"
    # With the notebook's other inputs changed too, both reasons are given.
    assert stale_reason(run, entry, DataSnapshot(data_copy), "other code") == (
        "package code or requirements changed; data changed (studies/doe2024/outcomes.csv)")


def test_the_reason_names_the_folder_whose_listing_changed(data_copy):
    run = {r.key: r for r in plan_runs(data_copy)}["synthesis/response"]
    entry = _entry(run, DataSnapshot(data_copy), ["studies/doe2024/outcomes.csv"], ["studies"])
    shutil.copytree(data_copy / "studies/doe2024", data_copy / "studies/new2026")
    assert stale_reason(run, entry, DataSnapshot(data_copy), "code") == "data changed (studies/)"
    # Files opened come first, then folders; the data folder itself is "./".
    entry = _entry(run, DataSnapshot(data_copy), ["review.yaml", "studies/doe2024/outcomes.csv"], ["studies"])
    _append(data_copy / "studies/doe2024/outcomes.csv")
    (data_copy / "certainty.yaml").write_text("{}", encoding="utf-8")
    assert stale_reason(run, entry, DataSnapshot(data_copy), "code") == (
        "data changed (studies/doe2024/outcomes.csv, ./)")


def test_the_reason_names_three_changed_data_files_then_how_many_more(data_copy):
    run = {r.key: r for r in plan_runs(data_copy)}["synthesis/response"]
    tables = ["adverse_events.csv", "at_risk.csv", "baseline.csv", "outcomes.csv", "subgroups.csv"]
    opened = [f"studies/doe2024/{name}" for name in tables]
    entry = _entry(run, DataSnapshot(data_copy), opened, ["studies"])
    for path in opened:
        _append(data_copy / path)
    (data_copy / "studies/doe2024/notes.txt").write_text("new", encoding="utf-8")  # its folder's listing too
    assert stale_reason(run, entry, DataSnapshot(data_copy), "code") == (
        "data changed (studies/doe2024/adverse_events.csv, studies/doe2024/at_risk.csv, "
        "studies/doe2024/baseline.csv, +3 more)")


def test_the_reason_says_when_the_executed_copy_is_missing_or_the_last_run_failed(data_copy, tmp_path):
    run = {r.key: r for r in plan_runs(data_copy)}["studies/doe2024"]
    snapshot = DataSnapshot(data_copy)
    entry = _entry(run, snapshot, ["studies/doe2024/outcomes.csv"])
    executed = tmp_path / "executed"
    assert stale_reason(run, entry, snapshot, "code", executed) == "executed copy missing"
    assert stale_reason(run, {**entry, "failed": True}, snapshot, "code", executed) == "previous run failed"
    assert stale_reason(run, {**entry, "failed": True}, snapshot, "other code", executed) == (
        "package code or requirements changed; previous run failed")
    for name in (run.executed_name, run.results_name):
        (executed / name).parent.mkdir(parents=True, exist_ok=True)
        (executed / name).write_text("", encoding="utf-8")
    assert stale_reason(run, entry, snapshot, "code", executed) == ""


def test_the_kernel_records_the_data_files_opened_and_folders_listed_under_its_root(data_copy, tmp_path):
    import subprocess
    import sys

    record = tmp_path / "reads.tsv"
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from livingreview.build.kernel import record_reads\n"
        "record_reads(sys.argv[1], sys.argv[2])\n"
        "root = Path(sys.argv[2])\n"
        "(root / 'review.yaml').read_text()\n"
        "(root / 'review.yaml').read_text()\n"  # recorded once
        "list((root / 'studies').iterdir())\n"
        "import pandas; pandas.read_csv(root / 'studies/doe2024/outcomes.csv')\n"
        "try:\n    open(root / 'certainty.yaml')\nexcept FileNotFoundError:\n    pass\n"
        "open(sys.argv[1] + '.elsewhere', 'w').close()\n"  # outside the root: not recorded
    )
    subprocess.run([sys.executable, "-c", script, str(record), str(data_copy)], check=True)
    opened, listed = read_record(record)
    assert opened == ["certainty.yaml", "review.yaml", "studies/doe2024/outcomes.csv"]
    assert listed == ["studies"]


def test_normalised_notebook_has_no_run_specific_metadata(tmp_path):
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell("study_id = 'x'")
    injected.metadata["tags"] = ["injected-parameters"]
    injected.metadata["papermill"] = {"start_time": "2026-01-01T00:00:00", "duration": 1.2}
    injected.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00"}
    nb.cells = [injected]
    nb.metadata["papermill"] = {"input_path": "/abs/path.ipynb", "start_time": "2026"}
    nb.metadata["kernelspec"] = {"name": "private-kernel", "display_name": "x", "language": "python"}
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    normalise_notebook(path)
    cleaned = nbformat.read(path, as_version=4)
    assert "papermill" not in cleaned.metadata
    assert cleaned.metadata["kernelspec"]["name"] == "python3"
    cell = cleaned.cells[0]
    assert cell["id"] == INJECTED_CELL_ID
    assert "papermill" not in cell.metadata and "execution" not in cell.metadata
    assert "remove-cell" in cell.metadata["tags"]


def test_consecutive_prints_become_one_output_whatever_the_message_timing(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('a'); print('b')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="b\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="c\n")]
    nb.cells = [cell]
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    normalise_notebook(path)
    outputs = nbformat.read(path, as_version=4).cells[0].outputs
    assert [(o["name"], o["text"]) for o in outputs] == [("stdout", "a\nb\n"), ("stderr", "warning\n"),
                                                         ("stdout", "c\n")]
