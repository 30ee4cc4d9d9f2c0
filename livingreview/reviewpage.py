"""What the front page and the methods page show: the review question, the included
studies, the audit rules, the CI methods and the risk-of-bias tools."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import paths
from .audit import RULES
from .data import Study, load_studies
from .display import Link, glue_facts, table, table_html
from .intervals import METHOD_LABELS, PROPORTION_CI_METHODS
from .plotting import plot_study_flow
from .review import flow_stages, load_review, overview
from .risk_of_bias import load_tools


@dataclass
class ReviewPage:
    """The review as a whole, for the front and methods pages."""

    studies: list[Study]
    review: dict
    rob_tools: dict

    @classmethod
    def load(cls, data_dir: str | Path | None = None, with_studies: bool = True) -> "ReviewPage":
        """Load the review; ``with_studies=False`` reads no study folder (the methods page)."""
        data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
        studies = load_studies(data_dir) if with_studies else []
        return cls(studies, load_review(data_dir), load_tools(data_dir))

    def facts(self) -> dict[str, object]:
        """Glue values: the methods' counts, and the studies' when they were loaded."""
        facts: dict[str, object] = {
            "review_title": self.review["title"],
            "n_audit_rules": len(RULES),
            "n_ci_methods": len(PROPORTION_CI_METHODS),
        }
        if not self.studies:
            return facts
        table_ = overview(self.studies, self.review)
        return facts | {
            "n_studies": len(self.studies),
            "n_patients": int(table_["patients"].sum()),
            "n_full_text": int((table_["report"] == "full text").sum()),
            "n_abstract_only": int((table_["report"] == "abstract only").sum()),
            "n_settings": int(table_["setting"].nunique()),
            "n_comparative": int((table_["arms"] > 1).sum()),
        }

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

    def flow_figure(self):
        """PRISMA-style flow of the included studies."""
        import matplotlib.pyplot as plt

        stages = flow_stages(self.studies, self.review)
        fig, ax = plt.subplots(figsize=(10, 1.5 * len(stages)))
        plot_study_flow(stages, ax=ax)
        return fig

    def studies_table(self, page_root: str = "."):
        """The included studies, each linked to its page."""
        frame = overview(self.studies, self.review)
        shown = pd.DataFrame({
            "Study": [Link(s, f"{page_root}/studies/{s}.html") for s in frame["study_id"]],
            "Label": frame["label"], "Design": frame["design"], "Setting": frame["setting"],
            "Arms": frame["arms"], "Patients": frame["patients"], "Report": frame["report"],
        })
        return table(shown)

    @staticmethod
    def audit_rules():
        """The audit's rules."""
        return table(pd.DataFrame({"Rule": list(RULES), "What it checks": list(RULES.values())}))

    @staticmethod
    def ci_methods():
        """The proportion-CI methods the audit tries."""
        return table(pd.DataFrame({"Method id": list(PROPORTION_CI_METHODS),
                                   "Method": [METHOD_LABELS[m] for m in PROPORTION_CI_METHODS]}))

    def rob_tools_table(self):
        """Each risk-of-bias tool with its domains and allowed judgements."""
        from IPython.display import HTML

        parts = []
        for tool in self.rob_tools.values():
            domains = pd.DataFrame({"Domain": [d["label"] for d in tool["domains"]]})
            parts.append(table_html(domains, f"{tool['name']}: {tool['applies_to']} Judgements: "
                                             f"{', '.join(tool['judgements'])}."))
        return HTML('<div class="lr-table-wrapper">' + "".join(parts) + "</div>")
