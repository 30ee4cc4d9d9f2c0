"""Everything a study page shows, computed from one study folder.

The study notebook (``notebooks/study.ipynb``) is a thin page: it builds a
:class:`StudyPage` for its ``study_id`` parameter and displays its sections, one view each.
Every number its prose states is glued here (:meth:`StudyPage.glue_facts`), never typed in the
page.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...curated.studies import stack_rows
from ...results.table import reconstruction_results, study_results, write_results
from ..display import glue_facts
from .audit import AuditView
from .baseline import BaselineView
from .data import StudyData
from .first_screen import FirstScreen
from .integrity import IntegrityView
from .reconstruction import ReconstructionView
from .response import ResponseView
from .risk_of_bias import RiskOfBiasView
from .safety import SafetyView
from .subgroups import SubgroupView
from .survival import SurvivalView


class StudyPage:
    """The content of one study page: its first screen and one view per section."""

    def __init__(self, data: StudyData):
        self.data = data
        self.response = ResponseView(data)
        self.first_screen = FirstScreen(data, self.response)
        self.baseline = BaselineView(data)
        self.survival = SurvivalView(data)
        self.reconstruction = ReconstructionView(data)
        self.safety = SafetyView(data)
        self.subgroups = SubgroupView(data)
        self.audit = AuditView(data)
        self.risk_of_bias = RiskOfBiasView(data)
        self.integrity = IntegrityView(data)

    @classmethod
    def load(cls, study_id: str | None, data_dir: str | Path | None = None) -> "StudyPage":
        """Load a study by id from ``data_dir`` (default: the project's ``data/``); with no id,
        the first study folder (so the template runs as it is)."""
        return cls(StudyData.load(study_id, data_dir))

    def facts(self) -> dict[str, object]:
        """Every value the page's prose states, by glue key."""
        return {**self.data.intervention.facts(), **self.first_screen.facts(), **self.response.facts(), **self.survival.facts(),
                **self.reconstruction.facts(), **self.safety.facts(), **self.subgroups.facts(),
                **self.audit.facts(), **self.risk_of_bias.facts()}

    def glue_facts(self) -> None:
        """Glue every fact for ``{glue:text}`` (text shown verbatim, numbers formatted)."""
        glue_facts(self.facts())

    def write_results(self, path: str | Path) -> pd.DataFrame:
        """Write this page's statistics for the results table; returns them."""
        study = self.data.study
        results = stack_rows([study_results(study, self.data.vocabulary),
                              reconstruction_results(study.study_id, self.reconstruction.reconstructions,
                                                     self.reconstruction.comparisons)])
        write_results(results, Path(path))
        return results
