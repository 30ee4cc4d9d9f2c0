"""The chapter on risk of bias, integrity and certainty: each study's risk-of-bias judgement,
its integrity screen and the decision it led to, the pools with and without the studies that
decision leaves out, and the GRADE judgement of every finding."""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path

import pandas as pd

from ...analysis.records import ANALYSIS_SETS, OUTCOME_KEYS
from ...curated.integrity import EXCLUDE, SENSITIVITY_ONLY, load_checks, load_screen, screen_table, study_status
from ...curated.integrity import decision as integrity_decision
from ...curated.risk_of_bias import level_label, load_judgement, load_tools
from ...curated.studies import stack_rows
from ...results.table import CERTAINTY_STATISTIC, RESULT_COLUMNS, write_results
from ...statistics.arms import efficacy_population, is_matched, safety_population
from ...statistics.certainty import CERTAINTY_LEVELS, DOMAIN_LABELS, DOMAINS
from ...statistics.pooling import PRIMARY, ALL_SETTINGS
from ...statistics.safety import GRADE3_ENDPOINT, band_note
from ..display import Joined, Link, Rich, details, glue_facts, html_block, key_message, table, tables_by
from .base import Chapter
from .formatting import interval, pct
from .result_rows import pooled_result_rows, result_row


class BiasChapter(Chapter):
    """Risk of bias, the integrity screen, sensitivity pools and the certainty of the findings."""

    def bias_key_message(self):
        judged = [load_judgement(s.folder) for s in self.studies]
        overall = [level_label(self.rob_tools[j["tool"]], j["overall"]["judgement"]).lower()
                   for j in judged if j is not None]
        counts = {level: overall.count(level) for level in dict.fromkeys(overall)}
        rob = ("Risk of bias, overall: " + ", ".join(f"{n} of {len(overall)} studies {level}"
                                                     for level, n in counts.items()) + "." if overall else "")
        levels = [f.level for f in self.findings.all_findings() if f.level]
        level_counts = {level: levels.count(level) for level in dict.fromkeys(levels)}
        grade = ("Certainty of the " + str(len(levels)) + " graded results: " + ", ".join(
            f"{n} {level}" for level, n in level_counts.items()) + "." if levels else "No result is graded yet.")
        return key_message([rob, grade, self._left_out_sentence()])

    @cached_property
    def excluded_studies(self) -> list[str]:
        return [s.study_id for s in self.studies if integrity_decision(s) == EXCLUDE]

    @cached_property
    def rob_tools(self) -> dict[str, dict]:
        return load_tools(self.data_dir)

    def traffic_light_frame(self) -> pd.DataFrame:
        rows = []
        for study in self.studies:
            judgement = load_judgement(study.folder)
            if judgement is None:
                continue
            tool = self.rob_tools[judgement["tool"]]
            labels = {d["id"]: d["label"] for d in tool["domains"]}
            common = {"tool": tool["name"], "study_id": study.study_id, "label": study.name,
                      "status": study_status(study).badge}
            for d in judgement["domains"]:
                rows.append({**common, "domain": labels[d["domain"]], "judgement": str(d["judgement"])})
            rows.append({**common, "domain": "Overall", "judgement": str(judgement["overall"]["judgement"])})
        return pd.DataFrame(rows)

    def traffic_light(self):
        import matplotlib.pyplot as plt

        from ..plotting import describe, plot_traffic_light

        frame = self.traffic_light_frame()
        if frame.empty:
            return None
        tools = list(dict.fromkeys(frame["tool"]))
        fig, axes = plt.subplots(len(tools), 1, squeeze=False,
                                 figsize=(8, sum(0.45 * frame.loc[frame["tool"] == t, "study_id"].nunique()
                                                 + 0.2 * frame.loc[frame["tool"] == t, "domain"].nunique() + 1.2
                                                 for t in tools)))
        levels = {t["name"]: t.get("levels", {}) for t in self.rob_tools.values()}
        for ax, tool in zip(axes[:, 0], tools):
            plot_traffic_light(frame[frame["tool"] == tool], levels[tool], ax=ax)
            ax.set_title(f"Risk of bias: {tool}", loc="left")
        fig.tight_layout()
        overall = frame[frame["domain"] == "Overall"]
        return describe(fig, "Risk-of-bias traffic lights, one row per study and one column per domain. Overall: "
                             + "; ".join(f"{r['label']}" + (f" ({r['status']})" if r["status"] else "")
                                         + f" ({r['tool']}): {self._level_label(r['tool'], r['judgement'])}"
                                         for r in overall.to_dict("records")) + ".")

    def _level_label(self, tool_name: str, judgement: str) -> str:
        """How a tool's judgement is named (:func:`risk_of_bias.level_label`), the tool given by
        the name the judgement tables carry."""
        return level_label(next((t for t in self.rob_tools.values() if t["name"] == tool_name), {}), judgement)

    @cached_property
    def integrity_checks(self) -> dict[str, dict]:
        return load_checks(self.data_dir)

    def integrity_table(self):
        """Per study: the checks that raised a concern or could not be assessed, and the decision;
        the full grid of verdicts behind a drop-down."""
        rows = []
        for study in self.studies:
            screen = load_screen(study.folder) or {}
            verdicts = {c["check"]: c["verdict"] for c in screen.get("checks", [])}
            named = lambda wanted: ", ".join(self.integrity_checks[c]["label"] for c, v in verdicts.items()  # noqa: E731
                                             if v == wanted) or "none"
            rows.append({"Study": self._study_link(study.study_id),
                         "Concern": named("concern") if screen else "not screened",
                         "Not assessable": named("not_assessable") if screen else "",
                         "Decision": study_status(study).label.split(" (")[0]})
        grid = screen_table(self.studies, self.integrity_checks)
        grid["study_id"] = [self._study_link(s) for s in grid["study_id"]]
        return html_block(table(pd.DataFrame(rows)),
                          details("Every check's verdict for every study",
                                  table(grid.rename(columns={"study_id": "Study", "decision": "Decision"})).data))

    def integrity_concerns(self):
        """Every check with a concern, with its evidence (quotes from the paper, outside records)."""
        rows = []
        for study in self.studies:
            screen = load_screen(study.folder) or {}
            for check in screen.get("checks", []):
                if check["verdict"] != "concern":
                    continue
                for i, e in enumerate(check["evidence"]):
                    rows.append({
                        "Study": self._study_link(study.study_id) if i == 0 else "",
                        "Check": self.integrity_checks[check["check"]]["label"] if i == 0 else "",
                        "Finding": Rich(check["summary"]) if i == 0 else "",
                        "Evidence": (Joined((Link(e.get("doi") or "outside record", e["url"]), Rich(f"“{e['quote']}”")))
                                     if "url" in e else Rich(f"{e['source']}: “{e['quote']}”")),
                    })
        return table(pd.DataFrame(rows), empty="No check raised a concern.")

    def integrity_decisions(self):
        rows = []
        for study in self.studies:
            screen = load_screen(study.folder)
            rows.append({"Study": self._study_link(study.study_id),
                         "Decision": integrity_decision(study).replace("_", " "),
                         "Reason": screen["decision_reason"] if screen else "not screened"})
        return table(pd.DataFrame(rows))

    @cached_property
    def sensitivity_pools(self) -> pd.DataFrame:
        """Pooled ORR, DCR and grade >=3 per setting (the review's primary pool) in every analysis
        set (:data:`livingreview.analysis.records.ANALYSIS_SETS`): the main analysis, with the
        studies kept for sensitivity analyses added, and with every study (the excluded ones
        too). A pool the rules do not make keeps its row, with every number NaN and the reason in
        ``note``."""
        frame = stack_rows([self.rate_analysis(endpoint, analysis_set)[1].assign(
            analysis_set=analysis_set, variant=label)
            for analysis_set, label in ANALYSIS_SETS.items() for endpoint in ("ORR", "DCR", "grade3")])
        return frame[frame["role"] == PRIMARY].reset_index(drop=True)

    def _study_rates(self, analysis_set: str, endpoint: str, group: str, study_ids: str) -> str:
        """Each study's rate in a pool, as the reader compares them: 'Zhu 2025: 31.0% (9/29)'."""
        rates, _ = self.rate_analysis(OUTCOME_KEYS.get(endpoint, endpoint), analysis_set)
        chosen = rates[rates["study_id"].isin(str(study_ids).split(", "))]
        if group != ALL_SETTINGS:
            chosen = chosen[chosen["setting_group"] == group]
        # A grade 3-4 rate among grade >= 3 ones says what it counts.
        return "; ".join(f"{self.names.get(r['study_id'], r['study_id'])}: {pct(r['percent'])}% "
                         f"({r['events']}/{r['total']}"
                         + (f"; {band_note(r['band_counted'])}" if band_note(r["band_counted"]) else "") + ")"
                         for r in chosen.to_dict("records"))

    def sensitivity_table(self):
        frame = self.sensitivity_pools
        shown = pd.DataFrame({
            "Pool": [f"{e}, {self.setting_label(g)}" for e, g in zip(frame["endpoint"], frame["group"])],
            "Analysis": frame["variant"],
            "Studies, each one's %": [self._study_rates(a, e, g, s) for a, e, g, s in
                                      zip(frame["analysis_set"], frame["endpoint"], frame["group"],
                                          frame["studies"])],
            "Pooled % (95% interval)": [f"{pct(e)} ({kind} {interval(lo, hi)})" if math.isfinite(e)
                                        else f"not pooled: {note}"
                                        for e, lo, hi, note, kind in zip(frame["estimate"], frame["ci_low"],
                                                                         frame["ci_high"], frame["note"],
                                                                         frame["interval"])],
            "I² (%)": frame["i2"].map(lambda v: f"{v:.1f}" if math.isfinite(v) else "—"),
            "Populations": [self._cohort_note(studies, e) for studies, e in zip(frame["studies"], frame["endpoint"])],
        }).sort_values(["Pool", "Analysis"], kind="stable")
        return tables_by(shown, "Pool", empty="Nothing to pool.")

    def _cohort_note(self, study_ids: str, endpoint: str) -> str:
        """Where a pool takes a study's rows from another cohort than its response rates (its
        unmatched safety cohort beside its matched efficacy cohort), the pool says so."""
        if endpoint != GRADE3_ENDPOINT:
            return ""
        notes = []
        for study_id in str(study_ids).split(", "):
            study = self._study(study_id)
            safety, efficacy = safety_population(study), efficacy_population(study)
            if safety and is_matched(study, efficacy) and not is_matched(study, safety):
                notes.append(f"{self.names[study_id]}: adverse events from the "
                             f"{self.population_label(study_id, safety).lower()}, not from the "
                             f"{self.population_label(study_id, efficacy).lower()} its response rates come from")
        return "; ".join(notes)

    def grade_judgements(self):
        """Each graded finding's judgement per GRADE domain, with the estimate now computed; a
        judgement made on other studies than the analysis now uses is marked for revision."""
        rows = []
        for finding in self.findings.all_findings():
            if finding.judgement is None or not finding.reported:
                continue
            j = finding.judgement
            domains = "; ".join(f"{DOMAIN_LABELS[d]} {'−' * j.domains[d]['downgrade'] or 'not rated down'}: "
                                f"{j.reason(d)}" for d in DOMAINS)
            rows.append({
                "Setting": finding.setting,
                "Outcome": f"{finding.label} ({', '.join(s.name for s in finding.studies)})",
                "Result": finding.result,
                "Certainty": finding.certainty + (" (revisit: judged on other studies)" if finding.stale else ""),
                "Judgement": f"Starts {j.start}: {j.start_reason} {domains}.",
            })
        return tables_by(pd.DataFrame(rows), "Setting", empty="No certainty judgements are recorded "
                                                              "(data/certainty.yaml).")

    def bias_facts(self) -> dict[str, object]:
        decisions = [integrity_decision(s) for s in self.studies]
        return {"int_n_screened": sum(1 for s in self.studies if load_screen(s.folder) is not None),
                "int_n_excluded": decisions.count(EXCLUDE), "int_n_flagged": decisions.count(SENSITIVITY_ONLY),
                "int_excluded": ", ".join(self.names[s] for s in self.excluded_studies) or "none",
                "int_flagged": ", ".join(s.name for s in self.studies
                                         if integrity_decision(s) == SENSITIVITY_ONLY) or "none",
                "rob_n_judged": sum(1 for s in self.studies if load_judgement(s.folder) is not None),
                "sof_n_outcomes": sum(1 for f in self.findings.all_findings() if f.judgement is not None)}

    def glue_bias_facts(self) -> None:
        glue_facts(self.intervention_facts() | self.bias_facts())

    def write_bias_results(self, path: str | Path) -> None:
        rows = pooled_result_rows("synthesis/bias_integrity_certainty",
                                  self.sensitivity_pools.assign(group=self.sensitivity_pools["group"] + " | "
                                                                + self.sensitivity_pools["variant"]),
                                  self.intervention_arms_label)
        for finding in self.findings.all_findings():
            if finding.level is None:
                continue
            rows.append(result_row("synthesis/bias_integrity_certainty", finding.setting_group, self.intervention_arms_label,
                                   finding.outcome, CERTAINTY_STATISTIC, CERTAINTY_LEVELS.index(finding.level) + 1,
                                   math.nan, math.nan,
                                   f"GRADE, judged in certainty.yaml; studies: "
                                   f"{', '.join(v.study_id for v in finding.studies) or 'none'}",
                                   analysis_id=finding.analysis_id))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))
