"""The package's shape as a checked contract: stages import downward only, no import circle,
modules and classes of a size a reader can hold, and no intervention named in code.

The layering and the circles are checked by import-linter (``lint-imports``) with the
contracts in ``pyproject.toml``; a failure message names every import that breaks them.
"""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from livingreview import paths
from livingreview.curated.review import load_intervention

PYPROJECT = paths.PROJECT_ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# Sizes a reader can hold in mind at once.
MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 400


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    """Run import-linter with the contracts of ``project``'s pyproject.toml on the package found
    in ``project`` (first on the import path), without a cache."""
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", str(project / "pyproject.toml")],
                          cwd=project, env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


def test_stages_import_downward_only_and_no_module_imports_in_a_circle():
    run = lint_imports(paths.PROJECT_ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 2 kept, 0 broken." in run.stdout


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the package's code and the contracts, to break."""
    shutil.copytree(paths.PACKAGE_DIR, tmp_path / "livingreview", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    return tmp_path


def _prepend(module: Path, line: str) -> None:
    text = module.read_text(encoding="utf-8")
    head, _, rest = text.partition("from __future__ import annotations\n")
    module.write_text(head + "from __future__ import annotations\n" + line + "\n" + rest if rest else line + "\n" + text,
                      encoding="utf-8")


def test_an_upward_import_breaks_the_contract_and_is_named(package_copy: Path):
    _prepend(package_copy / "livingreview" / "curated" / "studies.py", "from ..pages import display  # upward")
    run = lint_imports(package_copy)
    assert run.returncode == 1
    assert "livingreview.curated is not allowed to import livingreview.pages" in run.stdout
    assert "livingreview.curated.studies -> livingreview.pages.display" in run.stdout


def test_an_import_circle_breaks_the_contract_and_is_named(package_copy: Path):
    statistics = package_copy / "livingreview" / "statistics"
    _prepend(statistics / "intervals.py", "from . import meta  # circle")
    _prepend(statistics / "meta.py", "from . import intervals  # circle")
    run = lint_imports(package_copy)
    assert run.returncode == 1
    assert "No cycles are allowed in livingreview.statistics" in run.stdout


def _package_modules() -> list[Path]:
    return sorted(paths.PACKAGE_DIR.rglob("*.py"))


def test_no_module_is_longer_than_a_reader_can_hold():
    long = {path.relative_to(paths.PROJECT_ROOT).as_posix(): n for path in _package_modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_class_is_longer_than_a_reader_can_hold():
    long = {}
    for path in _package_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                long[f"{path.relative_to(paths.PROJECT_ROOT).as_posix()}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert not long, f"classes over {MAX_CLASS_LINES} lines: {long}"


def test_the_code_never_names_the_intervention():
    """The intervention is data (data/review.yaml): the package's code and the new-study
    templates never name it, so that another review can use the engine unchanged."""
    name = load_intervention().name
    pattern = re.compile(re.escape(name), re.IGNORECASE)
    files = _package_modules() + sorted(paths.TEMPLATES_DIR.rglob("*"))
    named = [f"{path.relative_to(paths.PROJECT_ROOT).as_posix()}:{number}"
             for path in files if path.is_file()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if pattern.search(line)]
    assert not named, f"'{name}' named in code: {named}"
