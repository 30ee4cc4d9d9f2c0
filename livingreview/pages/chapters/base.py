"""What every synthesis chapter reads: all included studies, the review's settings, the
studies of the main analyses, the findings per setting and outcome (with the response,
adverse-event and survival computations they rest on), study links and names, the key
message and the notes on studies the analyses leave out. Each chapter is a subclass."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from ... import paths
from ...curated.integrity import left_out_of_main, main_analysis_studies
from ...curated.review import Intervention, intervention_in, load_review
from ...curated.studies import Study, load_studies, load_vocabulary
from ...statistics import survival
from ...statistics.arms import arm_label, monotherapy_left_out
from ...statistics.certainty import load_judgements
from ...statistics.landmarks import reconstructed_arms
from ...statistics.pooling import ALL_SETTINGS, ALL_SETTINGS_LABEL, MIN_POOLED_STUDIES, pooled_table, setting_groups
from ...statistics.rate_tables import arm_rates
from ...statistics.review_findings import ReviewFindings
from ...statistics.safety import grade3_rates
from ..display import StudyLink, key_message, paragraph, study_link
from ..findings import left_out_box_html
from .formatting import lower_first, pct, pool_sentence


@dataclass
class Chapter:
    """A synthesis chapter: all included studies, set side by side; see the module docstring."""

    studies: list[Study]
    review: dict
    vocabulary: pd.DataFrame
    data_dir: Path = paths.DATA_DIR

    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> "Chapter":
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

    def intervention_facts(self) -> dict[str, str]:
        """The intervention's names, for prose that glues them (:meth:`Intervention.facts`)."""
        return self.intervention.facts()

    @property
    def intervention_arms_label(self) -> str:
        """How the results table names the intervention arms of a pool: '<intervention> arms'."""
        return f"{self.intervention.name} arms"

    @property
    def comparison_label(self) -> str:
        """How the results table names a comparison: '<intervention> vs control'."""
        return f"{self.intervention.name} vs control"

    @cached_property
    def names(self) -> dict[str, str]:
        return {s.study_id: s.name for s in self.studies}

    def _study(self, study_id: str):
        return next(s for s in self.studies if s.study_id == study_id)

    def _study_link(self, study_id: str) -> StudyLink:
        """The study's name linked to its page, with its badge when it is not in the main analyses."""
        return study_link(self._study(study_id))

    def population_label(self, study_id: str, population: str) -> str:
        """A study's population by the short name its study.yaml gives it."""
        return next((p["label"] for p in self._study(study_id).meta["populations"]
                     if p["population_id"] == population), population)

    # ------------------------------------------------------------------ what the findings rest on

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
        """One study's reconstructed arms, reconstructed once per page and only when asked (a
        comparison then reads no single-arm study's outcomes)."""
        if study.study_id not in self._arms_by_study:
            self._arms_by_study[study.study_id] = reconstructed_arms([study])
        return self._arms_by_study[study.study_id]

    @cached_property
    def judgements(self):
        """The GRADE judgements of ``data/certainty.yaml``."""
        return load_judgements(self.data_dir)

    # ------------------------------------------------------------------ the findings

    @cached_property
    def findings(self):
        """The review's findings per setting and outcome (:mod:`livingreview.statistics.review_findings`)."""
        return ReviewFindings(self)

    @cached_property
    def _findings_by_outcomes(self) -> dict:
        return {}

    def findings_for(self, outcomes: tuple[str, ...]):
        """Only some outcomes' findings: a chapter about safety reads no response data."""
        if outcomes not in self._findings_by_outcomes:
            self._findings_by_outcomes[outcomes] = ReviewFindings(self, outcomes)
        return self._findings_by_outcomes[outcomes]

    def _settings_sentence(self, endpoint: str) -> str:
        """The pooled response rate of every setting, or its one study, in one sentence."""
        pools = self.response_pools[endpoint]
        rates = self.response_rates[endpoint]
        parts = []
        for group, members in setting_groups(rates, self.order):
            if group == ALL_SETTINGS:
                continue
            label = lower_first(self.setting_label(group))
            if len(members) >= MIN_POOLED_STUDIES:
                parts.append(f"{label}: {pool_sentence(pools, group, self.names, rates)}")
            else:
                r = members.iloc[0]
                parts.append(f"{label}: one study only ({self.names[r['study_id']]}, {r['events']}/{r['total']}, "
                             f"{pct(r['percent'])}%), not pooled")
        return "; ".join(parts) if parts else "no study reports it"

    # ------------------------------------------------------------------ the reader's layer

    def _finding_sentences(self, outcomes: tuple[str, ...]) -> list[str]:
        """One sentence per setting with a main study: the settings' findings for ``outcomes``."""
        sentences = []
        for setting in self.findings_for(outcomes).settings:
            chosen = [f for f in setting.findings if f.outcome in outcomes]
            if not setting.main_studies or not chosen:
                continue
            parts = [f.phrase for f in chosen]
            sentences.append(f"{setting.setting}: " + "; ".join(parts) + ".")
        return sentences

    def _left_out_sentence(self, outcomes: tuple[str, ...] = ()) -> str:
        """Which studies these analyses leave out, and what a sensitivity-only study would give."""
        statuses = left_out_of_main(self.studies)
        if not statuses:
            return "Every included study is in these analyses."
        parts = [f"{self.names[s.study_id]} ({s.badge})" for s in statuses]
        extra = [f.sensitivity for f in self.findings_for(outcomes).all_findings() if f.sensitivity
                 and f.sensitivity.startswith("With ")] if outcomes else []
        return ("Not in the main analyses: " + "; ".join(parts) + ", for the reasons the integrity screen gives."
                + (" " + " ".join(extra) if extra else ""))

    def key_message(self, outcomes: tuple[str, ...], lead: str = ""):
        """The chapter's key message: its findings per setting and what is left out."""
        sentences = ([lead] if lead else []) + self._finding_sentences(outcomes) + [self._left_out_sentence(outcomes)]
        return key_message(sentences)

    def regimen_note(self):
        """The arms of the intervention alone that the pools keep apart from combinations, if any."""
        left = monotherapy_left_out(self.main_studies)
        if not left:
            return HTML("")
        arms = "; ".join(f"{s.name} ({arm_label(s, a)})" for s, a in left)
        return paragraph(f"{self.intervention.label} alone is not pooled with {self.intervention.name} combinations "
                         "(review.yaml, pooling): "
                         f"{arms} is shown on its study page and in no pool below.")

    def exclusion_note(self):
        """The studies the main analyses below leave out, each with its status and reason."""
        return HTML(left_out_box_html(self.studies, self.names, "..", "Not in the main analyses below",
                                      "Every included study enters the analyses below."))
