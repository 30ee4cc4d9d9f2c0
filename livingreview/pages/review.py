"""What the front page and the methods page show: the review question, the included
studies, the audit rules, the CI methods and the risk-of-bias tools."""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .. import paths
from ..audit.findings import RULE_LABELS, RULES
from ..curated.studies import Study, load_studies
from .chapters.summary_of_findings import SummaryOfFindingsChapter
from .display import glue_facts, study_link, table, table_html
from ..statistics.intervals import METHOD_LABELS, PROPORTION_CI_METHODS
from ..curated.review import intervention_in, load_review, overview
from ..curated.risk_of_bias import load_tools
from ..search.schedule import search_schedule
from ..statistics.odds_ratios import SMALL_CELL
from ..statistics.pooling import LEAVE_ONE_OUT_MIN_STUDIES, PoolingRules
from .chapters.formatting import pooling_rule_facts


@dataclass
class ReviewPage:
    """The review as a whole, for the front and methods pages."""

    studies: list[Study]
    review: dict
    rob_tools: dict

    data_dir: Path = paths.DATA_DIR

    @classmethod
    def load(cls, data_dir: str | Path | None = None, with_studies: bool = True) -> "ReviewPage":
        """Load the review; ``with_studies=False`` reads no study folder (the methods page)."""
        data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
        studies = load_studies(data_dir) if with_studies else []
        return cls(studies, load_review(data_dir), load_tools(data_dir), data_dir)

    # ------------------------------------------------------------------ the reader's layer

    @cached_property
    def summary_of_findings(self) -> SummaryOfFindingsChapter:
        """The summary-of-findings chapter of these studies, whose findings the front page summarises."""
        return SummaryOfFindingsChapter.load(self.data_dir)

    @cached_property
    def names(self) -> dict[str, str]:
        return {s.study_id: s.name for s in self.studies}

    def status_line(self, releases_dir: str | Path | None = None):
        """Release status, date of the last search and the main analyses' size, in one line.

        The build is a release when its data are those of the newest release recorded in
        ``releases_dir``; otherwise it is a draft since that release."""
        from IPython.display import HTML

        from ..results.release import data_digest, recorded_releases, release_status

        releases = recorded_releases(None if releases_dir in (None, "") else Path(releases_dir))
        # The release and search status in the words the footer, What changed and the methods
        # page use (ReleaseStatus.label, SearchSchedule.status). The due date, not "overdue": a
        # page's content must not depend on the day it is built (the build warns when overdue).
        updated = release_status(releases, data_digest(self.data_dir)).label
        searched = search_schedule(self.data_dir).status
        from ..curated.integrity import main_analysis_studies

        main = main_analysis_studies(self.studies)
        items = [updated, searched, f"Main analyses: {len(main)} of {len(self.studies)} reports, "
                                    f"{self._patients(main)} of {self._patients(self.studies)} patients"]
        return HTML('<p class="lr-status-line">' + " · ".join(
            f'<span class="lr-status-item">{html.escape(i)}</span>' for i in items) + "</p>")

    @staticmethod
    def _patients(studies) -> int:
        from ..curated.review import study_size

        return sum(study_size(s) for s in studies)

    def left_out(self):
        """The studies the main analyses leave out, each with its reason and a link."""
        from IPython.display import HTML

        from .findings import left_out_box_html

        # One line on the front page, so that the first finding is on a phone's first screen;
        # each study's page and the integrity screen give the reasons.
        return HTML(left_out_box_html(self.studies, self.names, ".", "Not in the main analyses",
                                      "Every included study is in the main analyses.", reasons=False))

    def bottom_line(self):
        """The review in one sentence: its first result and the certainty of its results."""
        from IPython.display import HTML

        from .findings import bottom_line_html

        return HTML(bottom_line_html(self.summary_of_findings.findings.settings, "."))

    def key_findings(self):
        """Per setting and main outcome: estimate, evidence, certainty and a plain sentence."""
        from IPython.display import HTML

        from .findings import key_findings_html

        return HTML(key_findings_html(self.summary_of_findings.findings.settings, self.names, "."))

    @staticmethod
    def certainty_legend():
        """What each GRADE level means (the GRADE Working Group's definitions)."""
        from IPython.display import HTML

        from .findings import certainty_legend_html

        # The key findings open with their first row; how to read them follows them.
        return HTML(certainty_legend_html() + "<p>Each setting's heading opens its summary of findings, and each "
                    "result the analysis that computed it.</p>")

    def facts(self) -> dict[str, object]:
        """Glue values: the methods' counts, and the studies' when they were loaded."""
        facts: dict[str, object] = {
            "review_title": self.review["title"],
            **intervention_in(self.review).facts(),
            "n_audit_rules": len(RULES),
            "n_ci_methods": len(PROPORTION_CI_METHODS),
            # The pooling rules' thresholds, as the code applies them.
            "or_small_cell": SMALL_CELL,
            "loo_min_studies": LEAVE_ONE_OUT_MIN_STUDIES,
            **self.pooling_rule_facts(),
        }
        if not self.studies:
            return facts
        from ..curated.integrity import EXCLUDED, MAIN, SENSITIVITY, analysis_set

        table_ = overview(self.studies, self.review)
        by_set = {name: [s for s in self.studies if analysis_set(s) == name] for name in (MAIN, SENSITIVITY, EXCLUDED)}
        return facts | {
            "n_studies": len(self.studies),
            "n_patients": int(table_["patients"].sum()),
            "n_main_studies": len(by_set[MAIN]), "n_main_patients": self._patients(by_set[MAIN]),
            "n_sensitivity_studies": len(by_set[SENSITIVITY]),
            "n_sensitivity_patients": self._patients(by_set[SENSITIVITY]),
            "n_excluded_studies": len(by_set[EXCLUDED]), "n_excluded_patients": self._patients(by_set[EXCLUDED]),
            "n_full_text": int(table_["full_text"].sum()),
            "n_abstract_only": int((~table_["full_text"]).sum()),
            "n_settings": int(table_["setting"].nunique()),
            "n_comparative": int((table_["arms"] > 1).sum()),
        }

    def pooling_rule_facts(self) -> dict[str, str]:
        """The pooling rules of review.yaml as the methods page states them."""
        return pooling_rule_facts(PoolingRules.from_review(self.review))

    def glue_facts(self) -> None:
        """Glue every fact for ``{glue:text}``."""
        glue_facts(self.facts())

    def question(self):
        """The review question and its PICO as a card."""
        from IPython.display import HTML

        pico = self.review["pico"]
        rows = "".join(f"<dt>{html.escape(k.capitalize())}</dt><dd>{html.escape(v)}</dd>"
                       for k, v in pico.items())
        return HTML(f'<div class="lr-card"><p>{html.escape(self.review["question"])}</p>'
                    f"<dl>{rows}</dl></div>")

    def criteria(self):
        """Inclusion and exclusion criteria."""
        from IPython.display import HTML

        def items(key: str) -> str:
            return "".join(f"<li>{html.escape(c)}</li>" for c in self.review.get(key, []))

        return HTML(f"<p><strong>Included</strong></p><ul>{items('inclusion_criteria')}</ul>"
                    f"<p><strong>Excluded</strong></p><ul>{items('exclusion_criteria')}</ul>")

    def studies_table(self, page_root: str = "."):
        """The included reports, each linked to its page, with its place in the analyses."""
        from ..curated.integrity import study_status

        frame = overview(self.studies, self.review)
        statuses = [study_status(s) for s in self.studies]
        shown = pd.DataFrame({
            "Study": [study_link(s, page_root) for s in self.studies],
            "Design": frame["design"], "Setting": frame["setting"],
            "Patients": frame["patients"], "Report": frame["report"],
            "Analyses": [st.label.split(" (")[0] for st in statuses],
        })
        return table(shown)

    @staticmethod
    def audit_rules():
        """The audit's rules."""
        return table(pd.DataFrame({"Rule": [RULE_LABELS[r] for r in RULES], "What it checks": list(RULES.values())}))

    @staticmethod
    def analysis_sets_table():
        """Each integrity decision and the analyses it puts a study in (the rules the code applies)."""
        from ..curated.integrity import ANALYSIS_SET_OF, DECISION_LABELS, EXCLUDED, MAIN, SET_LABELS

        rows = [{"Decision": DECISION_LABELS[d], "Analysis set": SET_LABELS[s],
                 "Main analyses": "yes" if s == MAIN else "no",
                 "Sensitivity analysis": "yes" if s != EXCLUDED else "only the one that puts every study back"}
                for d, s in ANALYSIS_SET_OF.items()]
        return table(pd.DataFrame(rows))

    @staticmethod
    def ci_methods():
        """The proportion-CI methods the audit tries."""
        return table(pd.DataFrame({"Method": [METHOD_LABELS[m] for m in PROPORTION_CI_METHODS]}))

    def rob_tools_table(self):
        """Each risk-of-bias tool with its domains and allowed judgements."""
        from IPython.display import HTML

        parts = []
        for tool in self.rob_tools.values():
            domains = pd.DataFrame({"Domain": [d["label"] for d in tool["domains"]]})
            from ..curated.risk_of_bias import level_label

            judgements = ", ".join(level_label(tool, j) for j in tool["judgements"])
            parts.append(table_html(domains, f"{tool['name']}: {' '.join(tool['applies_to'].split())} "
                                             f"Judgements: {judgements}."))
        return HTML('<div class="lr-table-wrapper">' + "".join(parts) + "</div>")
