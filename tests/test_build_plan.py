"""Unit tests of the build's planning: which notebooks run, and what their hashes depend on."""

from __future__ import annotations

import shutil

import nbformat

from livingreview.build import INJECTED_CELL_ID, input_hash, normalise_notebook, plan_runs

from .conftest import COMPARISON_RUNS, SYNTHESIS_RUNS, TEACHING_RUNS


def test_one_study_run_per_study_folder(data_copy):
    keys = [r.key for r in plan_runs(data_copy)]
    assert keys == sorted(["index", "methods", "studies/doe2024", *SYNTHESIS_RUNS, *TEACHING_RUNS,
                           "validation", *COMPARISON_RUNS])
    shutil.copytree(data_copy / "studies/doe2024", data_copy / "studies/new2026")
    keys = [r.key for r in plan_runs(data_copy)]
    assert "studies/new2026" in keys  # a new folder is a new page, with no code change


def test_hash_changes_with_the_files_a_notebook_reads_and_only_those(data_copy):
    shutil.copytree(data_copy / "studies/doe2024", data_copy / "studies/new2026")
    runs = {r.key: r for r in plan_runs(data_copy)}
    before = {key: input_hash(run, data_copy) for key, run in runs.items()}
    with (data_copy / "studies/doe2024/outcomes.csv").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    after = {key: input_hash(run, data_copy) for key, run in runs.items()}
    changed = sorted(key for key in runs if before[key] != after[key])
    # The "What changed" page reads no data file: it depends on the results, hashed when they exist.
    assert changed == sorted(["index", "studies/doe2024", *SYNTHESIS_RUNS, *TEACHING_RUNS])


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
