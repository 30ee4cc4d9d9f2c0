"""Risk-of-bias judgements, kept as data.

Each study folder may hold ``risk_of_bias.yaml``: the review's judgement of that study with
one tool from ``data/vocabulary/rob_tools.yaml`` (the tools, their domains and how each
judgement is named and coloured are data there), every domain judged with a rationale and,
where the paper says something relevant, verbatim supporting quotes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from .studies import read_yaml

RISK_OF_BIAS_FILE = "risk_of_bias.yaml"
# Levels of concern shared by every tool's overall judgement, mildest first.
CONCERN_ORDER = ["low", "moderate", "serious", "critical", "no_information"]


def load_tools(data_dir: Path = paths.DATA_DIR) -> dict[str, dict]:
    """The risk-of-bias tools: id -> name, domains, allowed judgements."""
    return read_yaml(Path(data_dir) / paths.ROB_TOOLS_FILE_NAME)


def load_judgement(study_folder: Path) -> dict | None:
    """A study's risk-of-bias judgement, or None when it has not been appraised."""
    path = Path(study_folder) / RISK_OF_BIAS_FILE
    return read_yaml(path) if path.is_file() else None


def domain_table(judgement: dict, tools: dict[str, dict]) -> pd.DataFrame:
    """One row per domain, then the overall row: domain label, judgement, rationale, support."""
    tool = tools[judgement["tool"]]
    labels = {d["id"]: d["label"] for d in tool["domains"]}
    rows = [
        {"domain": labels[d["domain"]], "judgement": d["judgement"], "rationale": d["rationale"],
         "support": _support_text(d.get("support"))}
        for d in judgement["domains"]
    ]
    overall = judgement["overall"]
    rows.append({"domain": "Overall", "judgement": overall["judgement"],
                 "rationale": overall["rationale"], "support": _support_text(overall.get("support"))})
    return pd.DataFrame(rows, columns=["domain", "judgement", "rationale", "support"])


def level_label(tool: dict, judgement) -> str:
    """How pages name a judgement of ``tool``: its level's label in rob_tools.yaml ('Some
    concerns'), else the code in words."""
    level = (tool.get("levels") or {}).get(str(judgement))
    return str(level["label"]) if level else str(judgement).replace("_", " ")


def total_score(judgement: dict, tools: dict[str, dict]) -> tuple[int, int] | None:
    """(score, ideal score) for a scored tool such as MINORS; None for judgement-based tools."""
    tool = tools[judgement["tool"]]
    if tool["scale"] != "score":
        return None
    scores = [int(d["judgement"]) for d in judgement["domains"]]
    ideal = max(int(j) for j in tool["judgements"]) * len(tool["domains"])
    return sum(scores), ideal


def _support_text(support: list[dict] | None) -> str:
    if not support:
        return ""
    return " | ".join(f"{s['source']}: \u201c{s['quote']}\u201d" for s in support)
