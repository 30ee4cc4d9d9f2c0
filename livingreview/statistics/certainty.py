"""GRADE certainty of the evidence: the reviewers' judgements (``data/certainty.yaml``), the
level they give, and how a page says it.

A judgement names an outcome and a setting, the studies it was made on, the start level and a
downgrade (0, 1 or 2) with its reason for each of the five GRADE domains. The certainty is
computed: start level minus the downgrades, never below very low. Pages show it as words and
symbols ("Very low ⊕◯◯◯", as GRADEpro and Cochrane summary-of-findings tables do), with one
footnote per downgrade giving its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..curated.studies import read_yaml

# GRADE's levels of certainty, lowest first.
CERTAINTY_LEVELS = ["very low", "low", "moderate", "high"]
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
DOMAIN_LABELS = {"risk_of_bias": "Risk of bias", "inconsistency": "Inconsistency", "indirectness": "Indirectness",
                 "imprecision": "Imprecision", "publication_bias": "Publication bias"}
DOWNGRADE_WORDS = {1: "serious", 2: "very serious"}
# Filled and empty circles, one per level from very low (one filled) to high (four filled).
SYMBOLS = {level: "⊕" * (i + 1) + "◯" * (len(CERTAINTY_LEVELS) - i - 1) for i, level in enumerate(CERTAINTY_LEVELS)}
NOT_GRADED = "not graded"


@dataclass(frozen=True)
class Downgrade:
    domain: str
    levels: int
    reason: str

    @property
    def text(self) -> str:
        """'Imprecision (serious): <reason>' for a footnote."""
        return f"{DOMAIN_LABELS[self.domain]} ({DOWNGRADE_WORDS[self.levels]}): {self.reason}"


@dataclass(frozen=True)
class Judgement:
    """One outcome's GRADE judgement in one setting, as recorded."""

    outcome: str
    setting_group: str
    studies: tuple[str, ...]
    start: str
    start_reason: str
    domains: dict

    @property
    def level(self) -> str:
        downgrades = sum(self.domains[d]["downgrade"] for d in DOMAINS)
        start = CERTAINTY_LEVELS.index("high" if self.start == "high" else "low")
        return CERTAINTY_LEVELS[max(start - downgrades, 0)]

    @property
    def downgrades(self) -> list[Downgrade]:
        return [Downgrade(d, self.domains[d]["downgrade"], self.domains[d]["reason"])
                for d in DOMAINS if self.domains[d]["downgrade"]]

    def reason(self, domain: str) -> str:
        return self.domains[domain]["reason"]


def load_judgements(data_dir: str | Path | None = None) -> list[Judgement]:
    """Every judgement of ``data/certainty.yaml``, in its order (none when the file is absent)."""
    path = Path(paths.DATA_DIR if data_dir is None else data_dir) / paths.CERTAINTY_FILE_NAME
    if not path.exists():
        return []
    return [Judgement(item["outcome"], item["setting_group"], tuple(item["studies"]), item["start"],
                      item["start_reason"], {d: item[d] for d in DOMAINS})
            for item in read_yaml(path)["outcomes"]]


def find_judgement(judgements: list[Judgement], outcome: str, setting_group: str) -> Judgement | None:
    return next((j for j in judgements if j.outcome == outcome and j.setting_group == setting_group), None)


def certainty_text(level: str | None) -> str:
    """'Very low ⊕◯◯◯'; 'Not graded' when there is no judgement."""
    if level is None:
        return NOT_GRADED.capitalize()
    return f"{level.capitalize()} {SYMBOLS[level]}"


def level_number(level: str) -> int:
    """1 (very low) to 4 (high), the form the results table keeps."""
    return CERTAINTY_LEVELS.index(level) + 1
