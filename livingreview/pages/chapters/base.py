"""What every synthesis chapter reads: all included studies, the review's settings, the
studies of the main analyses, the findings per setting and outcome (with the response,
adverse-event and survival computations they rest on), study links and names, the key
message and the notes on studies the analyses leave out. Each chapter is a subclass."""

from __future__ import annotations

from functools import cached_property

from IPython.display import HTML

from ...analysis.inputs import ReviewData
from ...analysis.model import AnalysisModel
from ...curated.integrity import left_out_of_main
from ...statistics.arms import arm_label, monotherapy_left_out
from ..display import StudyLink, key_message, lower_first, paragraph, study_link
from ..findings import left_out_box_html


class Chapter(ReviewData):
    """A synthesis chapter: all included studies, set side by side; see the module docstring."""

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

    def _study_link(self, study_id: str) -> StudyLink:
        """The study's name linked to its page, with its badge when it is not in the main analyses."""
        return study_link(self._study(study_id))

    def population_label(self, study_id: str, population: str) -> str:
        """A study's population by the short name its study.yaml gives it."""
        return next((p["label"] for p in self._study(study_id).meta["populations"]
                     if p["population_id"] == population), population)

    # ------------------------------------------------------------------ the findings

    @cached_property
    def findings(self):
        """The review's findings per setting and outcome (:mod:`livingreview.analysis.model`)."""
        return AnalysisModel(self)

    @cached_property
    def _findings_by_outcomes(self) -> dict:
        return {}

    def findings_for(self, outcomes: tuple[str, ...]):
        """Only some outcomes' findings: a chapter about safety reads no response data."""
        if outcomes not in self._findings_by_outcomes:
            self._findings_by_outcomes[outcomes] = AnalysisModel(self, outcomes)
        return self._findings_by_outcomes[outcomes]

    def _settings_sentence(self, endpoint: str) -> str:
        """Every setting's finding for a rate, in the words the front page and the summary of
        findings use (the analysis model's record, :attr:`Finding.brief`), with why a rate
        reported by several studies is not pooled."""
        parts = []
        for setting in self.findings_for((endpoint,)).settings:
            finding = next((f for f in setting.arm_findings if f.endpoint == endpoint and f.reported), None)
            if finding is None:
                continue
            parts.append(f"{lower_first(setting.setting)}: {finding.brief_with_reason}")
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
