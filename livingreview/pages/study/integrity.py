"""The integrity section of a study page: the review's screen of the report's trustworthiness,
each check's verdict and the curator's findings it rests on, and the decision that sets which
analyses use the study."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from ...curated.integrity import VERDICT_LABELS, load_checks, load_screen
from ..display import Joined, Link, LinkList, Rich, data_view_href, paragraph, table
from .data import StudyData


class IntegrityView:
    """The integrity screen of the study's report."""

    def __init__(self, data: StudyData):
        self.data = data

    @cached_property
    def screen(self) -> dict | None:
        """The recorded screen of the report; None when it has not been screened."""
        return load_screen(self.data.study.folder)

    def screen_table(self):
        """The integrity screen of this report: each check's verdict and finding, and the decision."""
        if self.screen is None:
            return paragraph("This report has not been screened for integrity; it is in the main analyses.")
        checks = load_checks(self.data.study.folder.parent.parent)
        rows = [{"Check": checks[c["check"]]["label"], "Verdict": VERDICT_LABELS[c["verdict"]],
                 "Finding": Joined((Rich(" ".join(c["summary"].split())), self._finding_links(c.get("findings"))))}
                for c in self.screen["checks"]]
        rows.append({"Check": "Decision", "Verdict": self.data.status.label,
                     "Finding": Rich(" ".join(self.screen["decision_reason"].split()))})
        return table(pd.DataFrame(rows))

    def _finding_links(self, finding_ids) -> LinkList | str:
        """Links to the curator's findings (rows of findings.csv) an integrity check rests on."""
        if not finding_ids:
            return ""
        findings = self.data.study.tables["findings"]
        rows = dict(zip(findings["finding_id"], findings["row"]))
        links = tuple(Link(f, data_view_href(self.data.study_id, "findings.csv", int(rows[f]))) for f in finding_ids)
        return LinkList(links, "Rests on the curator's findings ")
