"""One study's data as every section of its page reads it: the study folder, the vocabulary,
the review and the risk-of-bias tools, with the labels, links and place in the review that all
sections share."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from ... import paths
from ...curated.dictionary import load_dictionary
from ...curated.integrity import study_status
from ...curated.review import Intervention, intervention_of, load_review, receives_intervention
from ...curated.risk_of_bias import load_tools
from ...curated.studies import Study, load_study, load_vocabulary, study_folders
from ..display import Link, data_link
from ..plotting import mark_figure

NOT_REPORTED = "not reported"


def is_blank(value) -> bool:
    """Whether a value read from the data is missing (None, NA, NaN or empty text)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value == ""


@dataclass
class StudyData:
    """One study and what its page reads beside it."""

    study: Study
    vocabulary: pd.DataFrame
    review: dict
    rob_tools: dict

    @classmethod
    def load(cls, study_id: str | None, data_dir: str | Path | None = None) -> "StudyData":
        """Load a study by id from ``data_dir`` (default: the project's ``data/``); with no id,
        the first study folder (so the template runs as it is)."""
        data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
        folder = (paths.studies_dir(data_dir) / study_id) if study_id else study_folders(data_dir)[0]
        study = load_study(folder)
        return cls(study, load_vocabulary(data_dir=data_dir), load_review(data_dir), load_tools(data_dir))

    @property
    def study_id(self) -> str:
        return self.study.study_id

    @cached_property
    def status(self):
        """The study's place in the review (:class:`livingreview.curated.integrity.StudyStatus`)."""
        return study_status(self.study)

    def link(self, file_name: str, row: int, quote: str = "") -> Link:
        """A link to one row of one of the study's data files."""
        return data_link(self.study_id, file_name, int(row), quote)

    def arm_label(self, arm: str) -> str:
        """The arm's label from study.yaml; 'All patients' for the whole study."""
        return "All patients" if arm == "all" else self.study.arms.get(arm, {}).get("label", arm)

    def population_label(self, population: str) -> str:
        """The population's short name from study.yaml ('Full analysis set')."""
        return next((p["label"] for p in self.study.meta["populations"] if p["population_id"] == population),
                    population)

    def code_label(self, table: str, column: str, code: str) -> str:
        """The data dictionary's label of a coded value of ``table.column``."""
        return load_dictionary().label(table, column, code)

    @cached_property
    def intervention(self) -> Intervention:
        """The review's intervention, as review.yaml names it."""
        return intervention_of(self.study)

    def intervention_arms(self) -> list[str]:
        """The arms given the review's intervention."""
        return [a["arm_id"] for a in self.study.meta["arms"] if receives_intervention(a)]

    def marked(self, figure):
        """A figure of this study, marked when the study is not in the main analyses."""
        if figure is not None and not self.status.in_main:
            mark_figure(figure, f"{self.study.name}: {self.status.badge}, not in the review's main analyses")
        return figure
