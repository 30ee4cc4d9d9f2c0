"""What the analyses read: the review's included studies, its settings and rules
(``review.yaml``), the studies of the main analyses, and the computations every analysis rests
on (the arms' response and adverse-event rates, their pools within settings, the printed hazard
ratios, the reconstructed survival of an arm, the certainty judgements), each computed once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .. import paths
from ..curated.integrity import main_analysis_studies
from ..curated.review import Intervention, intervention_in, load_review
from ..curated.studies import Study, load_studies, load_vocabulary
from ..statistics import survival
from ..statistics.certainty import load_judgements
from ..statistics.landmarks import reconstructed_arms
from ..statistics.pooling import ALL_SETTINGS, ALL_SETTINGS_LABEL, pooled_table
from ..statistics.rate_tables import arm_rates
from ..statistics.safety import grade3_rates


@dataclass
class ReviewData:
    """The review's studies and rules, and the computations its analyses share."""

    studies: list[Study]
    review: dict
    vocabulary: pd.DataFrame
    data_dir: Path = paths.DATA_DIR

    @classmethod
    def load(cls, data_dir: str | Path | None = None):
        data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
        return cls(load_studies(data_dir), load_review(data_dir), load_vocabulary(data_dir=data_dir), data_dir)

    # ------------------------------------------------------------------ studies and settings

    @cached_property
    def order(self) -> list[str]:
        return list(self.review.get("setting_groups", {}))

    def setting_label(self, group: str) -> str:
        if group == ALL_SETTINGS:
            return ALL_SETTINGS_LABEL
        return self.review.get("setting_groups", {}).get(group, group)

    @cached_property
    def main_studies(self):
        return main_analysis_studies(self.studies)

    @cached_property
    def intervention(self) -> Intervention:
        """The review's intervention, as review.yaml names it."""
        return intervention_in(self.review)

    @cached_property
    def names(self) -> dict[str, str]:
        return {s.study_id: s.name for s in self.studies}

    def _study(self, study_id: str):
        return next(s for s in self.studies if s.study_id == study_id)

    # ------------------------------------------------------------------ what the analyses rest on

    @cached_property
    def response_rates(self) -> dict[str, pd.DataFrame]:
        return {e: arm_rates(self.main_studies, e) for e in ("ORR", "DCR")}

    @cached_property
    def response_pools(self) -> dict[str, pd.DataFrame]:
        return {e: pooled_table(r, e, self.order) for e, r in self.response_rates.items()}

    @cached_property
    def grade3(self) -> pd.DataFrame:
        return grade3_rates(self.main_studies, self.vocabulary)

    @cached_property
    def grade3_pools(self) -> pd.DataFrame:
        return pooled_table(self.grade3, "grade ≥3 adverse events", self.order, by_definition=True)

    @cached_property
    def printed_hazard_ratios(self) -> pd.DataFrame:
        return survival.printed_hazard_ratios(self.studies)

    @cached_property
    def _arms_by_study(self) -> dict[str, list]:
        return {}

    def arms_of(self, study) -> list:
        """One study's reconstructed arms, reconstructed once and only when asked (a comparison
        then reads no single-arm study's outcomes)."""
        if study.study_id not in self._arms_by_study:
            self._arms_by_study[study.study_id] = reconstructed_arms([study])
        return self._arms_by_study[study.study_id]

    @cached_property
    def judgements(self):
        """The GRADE judgements of the review's certainty file."""
        return load_judgements(self.data_dir)
