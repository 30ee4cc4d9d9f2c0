"""The stress corpus (``tests/validation/stress/cases.yaml``): each hostile or unusual input, applied to a
copy of the fixture data, gets the verdict and the message the corpus expects from
``check-data``, and never a traceback."""

from __future__ import annotations

import csv
import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import yaml

from livingreview.cli import main

from ..conftest import VALID_DATA

CASES = yaml.safe_load((Path(__file__).parent / "stress" / "cases.yaml").read_text(encoding="utf-8"))
EXIT_CODES = {"accept": 0, "reject": 1}


def apply_edit(path: Path, edit: dict) -> None:
    """Apply one corpus edit to ``path`` (see the corpus file's header)."""
    if "replace" in edit:
        old, new = edit["replace"]
        text = path.read_text(encoding="utf-8")
        assert old in text, f"the corpus edit's text is not in {path.name}: {old!r}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    elif "append" in edit:
        path.write_text(path.read_text(encoding="utf-8") + edit["append"], encoding="utf-8")
    elif "write" in edit:
        path.write_text(edit["write"], encoding="utf-8")
    elif "write_bytes" in edit:
        path.write_bytes(bytes.fromhex(edit["write_bytes"]))
    elif edit.get("delete"):
        path.unlink()
    elif edit.get("header_only"):
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerow(header)
    else:
        raise ValueError(f"unknown corpus edit: {edit}")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_check_data_gives_the_corpus_verdict_and_message(case, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(VALID_DATA, data)
    apply_edit(data / case["file"], case["edit"])
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--data-dir", str(data), "check-data"])
    output = (out.getvalue() + err.getvalue()).replace(str(data), "{data}")
    assert code == EXIT_CODES[case["expect"]], output
    assert case["message"] in output, output
    assert "Traceback" not in output


def test_the_corpus_names_each_case_once():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)) and len(names) >= 19
