"""A new study folder, ready to fill: ``python -m livingreview new-study <study_id>``.

The folder gets ``study.yaml`` (from ``templates/study.yaml``), the four required tables with
their header row (columns from ``data/dictionary.yaml``, so never out of date), a
``risk_of_bias.yaml`` listing the chosen tool's domains and an ``integrity.yaml`` listing every
integrity check (both from ``data/vocabulary/``). Every value to extract is the placeholder
:data:`PLACEHOLDER`; validation reports each one still there (file and key), so the folder
passes ``make check-data`` exactly when it has been filled.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from string import Template

import yaml

from .. import paths
from .studies import read_yaml
from .dictionary import load_dictionary

PLACEHOLDER = "FILL IN"
STUDY_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class ScaffoldError(Exception):
    """The study folder cannot be created; the message says why."""


def _dump(header: str, content: dict) -> str:
    body = yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def risk_of_bias_template(tool_id: str, data_dir: Path) -> str:
    """``risk_of_bias.yaml`` with one entry per domain of the tool, in the tool's order."""
    tools = read_yaml(Path(data_dir) / paths.ROB_TOOLS_FILE_NAME)
    if tool_id not in tools:
        raise ScaffoldError(f"unknown risk-of-bias tool '{tool_id}'; "
                            f"{paths.ROB_TOOLS_FILE_NAME} defines: {', '.join(tools)}")
    tool = tools[tool_id]
    judgements = ", ".join(map(str, tool["judgements"]))
    content = {
        "tool": tool_id,
        "outcomes_assessed": PLACEHOLDER,
        "domains": [{"domain": d["id"], "judgement": PLACEHOLDER, "rationale": PLACEHOLDER,
                     "support": [{"source": PLACEHOLDER, "quote": PLACEHOLDER}]}
                    for d in tool["domains"]],
        "overall": {"judgement": PLACEHOLDER, "rationale": PLACEHOLDER},
    }
    header = (f"# Risk of bias, judged with {tool['name']}. Judgements allowed per domain: {judgements};\n"
              f"# overall: {', '.join(map(str, tool['overall_judgements']))}. Each 'support' quote is a\n"
              "# sentence of the paper (the tests find it in the source text); delete 'support' when none.\n")
    return _dump(header, content)


def integrity_template(study_id: str, data_dir: Path) -> str:
    """``integrity.yaml`` with every check of the integrity screen, unanswered."""
    checks = read_yaml(Path(data_dir) / paths.INTEGRITY_CHECKS_FILE_NAME)
    content = {
        "study_id": study_id,
        "checks": [{"check": check_id, "verdict": PLACEHOLDER, "summary": PLACEHOLDER,
                    "evidence": [{"source": PLACEHOLDER, "quote": PLACEHOLDER}]}
                   for check_id in checks],
        "decision": PLACEHOLDER,
        "decision_summary": PLACEHOLDER,
        "decision_reason": PLACEHOLDER,
    }
    header = ("# Integrity (trustworthiness) screen; the checks are defined in "
              f"data/{paths.INTEGRITY_CHECKS_FILE_NAME}.\n"
              "# verdict: concern, no_concern or not_assessable. Evidence: a sentence of the paper\n"
              "# (source + quote) or an outside record (url + quote). decision: include (main\n"
              "# analyses), sensitivity_only (left out of the main analyses, added back in the\n"
              "# sensitivity analysis) or exclude (no analysis); decision_summary: the reason in one line.\n")
    return _dump(header, content)


def scaffold_study(study_id: str, data_dir: Path = paths.DATA_DIR, rob_tool: str = "minors") -> list[Path]:
    """Create ``<data_dir>/studies/<study_id>/`` from the templates; returns the files written.

    Refuses an invalid id or an existing folder (nothing is overwritten).
    """
    if not STUDY_ID_PATTERN.match(study_id):
        raise ScaffoldError(f"study id '{study_id}' must be lowercase letters, digits and '_', "
                            "starting with a letter (first author's surname and year, e.g. li2022)")
    folder = paths.studies_dir(data_dir) / study_id
    if folder.exists():
        raise ScaffoldError(f"{paths.relative_to_root(folder)} already exists; nothing was written")
    files = {
        "study.yaml": Template((paths.TEMPLATES_DIR / "study.yaml").read_text(encoding="utf-8"))
        .substitute(study_id=study_id),
        "risk_of_bias.yaml": risk_of_bias_template(rob_tool, data_dir),
        "integrity.yaml": integrity_template(study_id, data_dir),
    }
    folder.mkdir(parents=True)
    written = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    for spec in load_dictionary().study_tables.values():
        if not spec.required:
            continue  # optional tables (a digitised curve) are added only when the paper has one
        with (folder / spec.file).open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerow([c.name for c in spec.columns])
        written.append(folder / spec.file)
    return written
