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
from ..curated.integrity import MAIN, SENSITIVITY, main_analysis_studies, sensitivity_analysis_studies
from ..curated.review import Intervention, intervention_in, load_review
from ..curated.studies import Study, load_studies, load_vocabulary
from ..statistics import survival
from ..statistics.certainty import load_judgements
from ..statistics.landmarks import reconstructed_arms
from ..statistics.pooling import ALL_SETTINGS, ALL_SETTINGS_LABEL, PoolingRules, leave_one_out_table, pooled_table
from ..statistics.rate_tables import arm_rates
from ..statistics.safety import GRADE3_ENDPOINT, grade3_rates
from .records import analysis_id



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

    def studies_in(self, analysis_set: str) -> list[Study]:
        """The studies of an analysis set (:data:`livingreview.analysis.records.ANALYSIS_SETS`)."""
        if analysis_set == MAIN:
            return self.main_studies
        if analysis_set == SENSITIVITY:
            return sensitivity_analysis_studies(self.studies)
        return self.studies

    @cached_property
    def pooling_rules(self) -> PoolingRules:
        """Which model pools a set of studies (review.yaml ``pooling``)."""
        return PoolingRules.from_review(self.review)

    @cached_property
    def _rate_analyses(self) -> dict:
        return {}

    def rate_analysis(self, endpoint: str, analysis_set: str = MAIN) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(rates, pools) of ORR, DCR or grade >=3 adverse events ('grade3') in an analysis set:
        each arm's rate, and the pools per setting (:func:`livingreview.statistics.pooling.pooled_table`)
        with each pool's ``analysis_id``. Computed once per build and set."""
        key = endpoint, analysis_set
        if key not in self._rate_analyses:
            studies = self.studies_in(analysis_set)
            if endpoint == "grade3":
                rates = grade3_rates(studies, self.vocabulary)
                pools = pooled_table(rates, GRADE3_ENDPOINT, self.order, by_definition=True, rules=self.pooling_rules)
            else:
                rates = arm_rates(studies, endpoint)
                pools = pooled_table(rates, endpoint, self.order, rules=self.pooling_rules)
            # The primary pool's id names no model; another model's or prior's adds its qualifier.
            ids = [analysis_id(endpoint, group, analysis_set, definition, qualifier)
                   for group, definition, qualifier in zip(pools["group"], pools["definition"], pools["qualifier"])]
            self._rate_analyses[key] = rates, pools.assign(analysis_id=ids)
        return self._rate_analyses[key]

    @property
    def response_rates(self) -> dict[str, pd.DataFrame]:
        return {e: self.rate_analysis(e)[0] for e in ("ORR", "DCR")}

    @property
    def response_pools(self) -> dict[str, pd.DataFrame]:
        return {e: self.rate_analysis(e)[1] for e in ("ORR", "DCR")}

    @cached_property
    def response_leave_one_out(self) -> dict[str, pd.DataFrame]:
        """Each response endpoint's pools refitted without each study in turn (computed once:
        the chapter shows them and writes them to the results)."""
        return {e: leave_one_out_table(self.response_rates[e], e, self.order, self.pooling_rules)
                for e in ("ORR", "DCR")}

    @property
    def grade3(self) -> pd.DataFrame:
        return self.rate_analysis("grade3")[0]

    @property
    def grade3_pools(self) -> pd.DataFrame:
        return self.rate_analysis("grade3")[1]

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
