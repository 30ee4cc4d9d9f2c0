"""The risk-of-bias section of a study page: the review's judgement, domain by domain, with its
rationale and the sentences of the paper it rests on."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from ...curated.risk_of_bias import domain_table, level_label, load_judgement, total_score
from ..display import Rich, details, html_block, paragraph, table
from .data import StudyData


class RiskOfBiasView:
    """The study's risk-of-bias judgement."""

    def __init__(self, data: StudyData):
        self.data = data

    @cached_property
    def judgement(self) -> dict | None:
        """The recorded judgement; None when the study has not been appraised yet."""
        return load_judgement(self.data.study.folder)

    def facts(self) -> dict[str, object]:
        """The tool the study was judged with and the overall judgement."""
        if self.judgement is None:
            return {"rob_tool": "none yet", "rob_overall": "not yet appraised"}
        tools = self.data.rob_tools
        tool = tools[self.judgement["tool"]]
        score = total_score(self.judgement, tools)
        overall = level_label(tool, self.judgement["overall"]["judgement"])
        # Only a scored tool (MINORS) has a score; a judgement-based one (ROBINS-I, RoB 2) has none.
        return {"rob_tool": tool["name"],
                "rob_overall": overall if score is None else f"{overall} (item score {score[0]} of {score[1]})"}

    def judgement_table(self):
        """Domain-by-domain judgement with rationale and supporting quotes."""
        if self.judgement is None:
            return paragraph("This study has not yet been appraised for risk of bias.")
        frame = domain_table(self.judgement, self.data.rob_tools)
        tool = self.data.rob_tools[self.judgement["tool"]]
        judgements = {str(k): level_label(tool, k) for k in frame["judgement"]}
        reader = pd.DataFrame({"Domain": frame["domain"], "Judgement": frame["judgement"].map(lambda j: judgements[str(j)]),
                               "Rationale": [Rich(r) for r in frame["rationale"]]})
        support = pd.DataFrame({"Domain": frame["domain"], "Supporting text": [Rich(t) for t in frame["support"]]})
        return html_block(table(reader), details("The sentences of the paper each judgement rests on",
                                                 table(support[support["Supporting text"].map(lambda r: bool(r.text))]).data))
