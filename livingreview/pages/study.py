"""Everything a study page shows, computed from one study folder.

The study notebook (``notebooks/study.ipynb``) is a thin page: it builds a
:class:`StudyPage` for its ``study_id`` parameter and displays its sections. Every number
its prose states is glued here (:meth:`StudyPage.glue_facts`), never typed in the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .. import paths
from ..audit.rules import MISMATCH, INFO, OK, RULE_LABELS, audit_study
from ..curated.rowrefs import CURATOR_RULE, finding_rows
from ..curated.studies import Study, load_study, load_vocabulary, stack_rows, study_folders
from ..curated.dictionary import load_dictionary
from .display import (Joined, Link, LinkList, Rich, data_link, data_view_href, definition_list, details, doi_link,
                      finding_columns, finding_link, format_p, glue_facts, html_block, humanise, paragraph,
                      ref_links, row_links, shared_columns, table, table_html)
from ..curated.integrity import load_screen, study_status
from ..statistics.intervals import METHOD_LABELS
from .plotting import ae_rate_figure, km_figures, mark_figure, subgroup_forest_figure
from ..statistics.reconstruct import analyse_arm, compare_arms, survival_inputs
from ..statistics.response import format_ci, primary_rate, response_rates
from ..results.table import reconstruction_results, study_results, write_results
from ..curated.review import design_label, load_review, report_label, study_size
from ..curated.risk_of_bias import domain_table, level_label, load_judgement, load_tools, total_score
from ..statistics.safety import GRADE_3_PLUS, ae_rates, format_percent, grade5_events
from ..statistics.subgroups import subgroup_ratios
from ..statistics.survival import printed_survival

NOT_REPORTED = "not reported"
# How a spread around a median follow-up is named on the page.
SPREAD_LABELS = {"iqr": "interquartile range", "range": "range"}


def _blank(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value == ""


@dataclass
class StudyPage:
    """The content of one study page."""

    study: Study
    vocabulary: pd.DataFrame
    review: dict
    rob_tools: dict

    @classmethod
    def load(cls, study_id: str | None, data_dir: str | Path | None = None) -> "StudyPage":
        """Load a study by id from ``data_dir`` (default: the project's ``data/``); with no id,
        the first study folder (so the template runs as it is)."""
        data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
        folder = (paths.studies_dir(data_dir) / study_id) if study_id else study_folders(data_dir)[0]
        study = load_study(folder)
        return cls(study, load_vocabulary(data_dir=data_dir), load_review(data_dir), load_tools(data_dir))

    # ------------------------------------------------------------------ helpers

    @property
    def study_id(self) -> str:
        return self.study.study_id

    def _link(self, file_name: str, row: int, quote: str = "") -> Link:
        return data_link(self.study_id, file_name, int(row), quote)

    def _arm_label(self, arm: str) -> str:
        return "All patients" if arm == "all" else self.study.arms.get(arm, {}).get("label", arm)

    def _population_label(self, population: str) -> str:
        """The population's short name from study.yaml ('Full analysis set')."""
        return next((p["label"] for p in self.study.meta["populations"] if p["population_id"] == population),
                    population)

    def _code_label(self, table: str, column: str, code: str) -> str:
        return load_dictionary().label(table, column, code)

    @cached_property
    def status(self):
        """The study's place in the review (:class:`livingreview.curated.integrity.StudyStatus`)."""
        return study_status(self.study)

    @cached_property
    def integrity_screen(self) -> dict | None:
        return load_screen(self.study.folder)

    @cached_property
    def rates(self) -> pd.DataFrame:
        return response_rates(self.study)

    @cached_property
    def adverse_event_rates(self) -> pd.DataFrame:
        return ae_rates(self.study, self.vocabulary)

    @cached_property
    def audit(self) -> pd.DataFrame:
        return audit_study(self.study, self.vocabulary)

    @cached_property
    def judgement(self) -> dict | None:
        return load_judgement(self.study.folder)

    @cached_property
    def ratios(self) -> pd.DataFrame:
        return subgroup_ratios(self.study)

    @cached_property
    def survival_inputs(self) -> list:
        return survival_inputs(self.study)

    @cached_property
    def reconstructions(self) -> dict[tuple[str, str], list]:
        """(population, endpoint) -> reconstructed arms, for what prints enough."""
        groups: dict[tuple[str, str], list] = {}
        for inputs in self.survival_inputs:
            if not inputs.missing:
                groups.setdefault((inputs.population, inputs.endpoint), []).append(analyse_arm(inputs))
        return groups

    def anlotinib_arms(self) -> list[str]:
        return [a["arm_id"] for a in self.study.meta["arms"] if a.get("anlotinib")]

    # ------------------------------------------------------------------ glue

    def facts(self) -> dict[str, object]:
        """Every value the page's prose states, by glue key."""
        meta = self.study.meta
        facts: dict[str, object] = {
            "study_label": self.title(),
            "status_label": self.status.label,
            "status_reason": self.status.reason,
            # Both are read mid-sentence ("a retrospective cohort in first-line treatment ...").
            "design": _lower_first(design_label(self.study)),
            "setting": _lower_first(self.review.get("setting_groups", {}).get(meta["setting_group"], meta["setting"])),
            "line_of_therapy": meta["line_of_therapy"],
            "n_patients": study_size(self.study),
            "n_arms": len(meta["arms"]),
            "report_type": report_label(meta),
            "n_outcome_rows": len(self.study.tables["outcomes"]),
            "n_baseline_rows": len(self.study.tables["baseline"]),
            "n_ae_rows": len(self.study.tables["adverse_events"]),
            "n_ae_terms": int(self.adverse_event_rates.loc[
                self.adverse_event_rates["group"] != "any", "term"].nunique()),
            "n_subgroup_ratios": len(self.ratios),
            "n_survival_rows": len(printed_survival(self.study)),
        }
        facts["n_reconstructed"] = sum(len(arms) for arms in self.reconstructions.values())
        facts["n_not_reconstructed"] = sum(1 for i in self.survival_inputs if i.missing)
        for endpoint in ("ORR", "DCR"):
            facts[f"{endpoint.lower()}_anlotinib"] = self._rate_sentence(endpoint)
        facts["grade3_any_anlotinib"] = self._grade3_sentence()
        verdicts = self.audit["verdict"].value_counts()
        facts["n_audit_checks"] = len(self.audit)
        facts["n_audit_ok"] = int(verdicts.get(OK, 0))
        facts["n_audit_mismatch"] = int(verdicts.get(MISMATCH, 0))
        facts["n_audit_curated"] = int((self.audit["rule"] == CURATOR_RULE).sum())
        facts["n_audit_info"] = int(verdicts.get(INFO, 0))
        facts.update(self._rob_facts())
        return facts

    def glue_facts(self) -> None:
        """Glue every fact for ``{glue:text}`` (text shown verbatim, numbers formatted)."""
        glue_facts(self.facts())

    def title(self) -> str:
        """The page title: the study's label, its name marked when it is not in the main analyses
        (the navigation shows the title, so the mark shows there too)."""
        label, badge, name = self.study.meta["label"], self.status.badge, self.study.name
        if not badge:
            return label
        if label.startswith(name):
            return f"{name} ({badge}){label[len(name):]}"
        return f"{label} ({badge})"

    def _rate_sentence(self, endpoint: str) -> str:
        """The rate in the efficacy population the synthesis uses (so the page and the chapters
        show the same number), naming the population, and any other population's printed rate."""
        efficacy = self.study.meta["analysis_populations"]["efficacy"]
        parts = []
        for arm in self.anlotinib_arms():
            rate = primary_rate(self.rates[self.rates["population"] == efficacy], endpoint, arm)
            others = [primary_rate(self.rates[self.rates["population"] == p], endpoint, arm)
                      for p in dict.fromkeys(self.rates["population"]) if p != efficacy]
            if rate is None:
                continue
            text = (f"{rate['percent']:.1f}% ({rate['count']} of {rate['denominator']}, "
                    f"{self._population_label(rate['population']).lower()}, the study's main analysis "
                    f"population; exact 95% CI {format_ci(rate['exact_low'], rate['exact_high'])})")
            also = [f"{o['percent']:.1f}% ({o['count']} of {o['denominator']})"
                    f" over {self._population_label(o['population']).lower()}" for o in others
                    if o is not None and round(o["percent"], 1) != round(rate["percent"], 1)]
            if also:
                text += "; " + " and ".join(also)
            parts.append(text)
        return "; ".join(parts) or NOT_REPORTED

    def key_message(self):
        """The page's first screen: design, setting, what the study found and its place in the
        review (excluded or sensitivity-only studies say so first)."""
        from .display import key_message
        from ..statistics.findings import preferred_hazard_ratio, printed_median
        from ..statistics.synthesis import efficacy_population, printed_hazard_ratios, two_arm_studies

        meta = self.study.meta
        setting = self.review.get("setting_groups", {}).get(meta["setting_group"], meta["setting"])
        design = (f"{design_label(self.study)} ({report_label(meta)})"
                  f" in {setting[:1].lower() + setting[1:]}, with {study_size(self.study)} patients.")
        found = []
        orr = self._rate_sentence("ORR")
        if orr != NOT_REPORTED:
            found.append(f"objective response {orr}")
        population = efficacy_population(self.study)
        for endpoint, name in (("PFS", "median progression-free survival"), ("OS", "median overall survival")):
            medians = [printed_median(self.study, arm, endpoint, population) for arm in self.anlotinib_arms()]
            medians = [m for m in medians if m is not None]
            if medians:
                found.append(f"{name} " + "; ".join(m.text for m in medians))
        if two_arm_studies([self.study]):
            ratios = printed_hazard_ratios([self.study])
            for endpoint in ("PFS", "OS"):
                chosen = preferred_hazard_ratio(self.study, ratios, endpoint)
                if chosen is not None:
                    value, _ = chosen
                    found.append(f"{endpoint} against the control arm {value.text}, {value.detail}")
        found_text = ("With anlotinib: " + "; ".join(found) + ".") if found else "No efficacy result is printed."
        if self.study.tables["outcomes"].empty:
            found_text = ("No outcome data: this study's outcomes table has no rows yet, so it is in no efficacy "
                          "analysis (response, survival, comparisons).")
        if self.status.in_main:
            place = (f"In the review: {self.status.label.lower()} of its setting"
                     + (" (integrity not screened)." if self.status.decision == "not_screened" else "."))
        else:
            place = "Its numbers stay on this page as printed; the pooled and comparative analyses do not use them."
        return key_message([design, found_text, place], status=self.status)

    def integrity_table(self):
        """The integrity screen of this report: each check's verdict and finding, and the decision."""
        from ..curated.integrity import VERDICT_LABELS, load_checks

        if self.integrity_screen is None:
            return paragraph("This report has not been screened for integrity; it is in the main analyses.")
        checks = load_checks(self.study.folder.parent.parent)
        rows = [{"Check": checks[c["check"]]["label"], "Verdict": VERDICT_LABELS[c["verdict"]],
                 "Finding": Joined((Rich(" ".join(c["summary"].split())), self._finding_links(c.get("findings"))))}
                for c in self.integrity_screen["checks"]]
        rows.append({"Check": "Decision", "Verdict": self.status.label,
                     "Finding": Rich(" ".join(self.integrity_screen["decision_reason"].split()))})
        return table(pd.DataFrame(rows))

    def _finding_links(self, finding_ids) -> LinkList | str:
        """Links to the curator's findings (rows of findings.csv) an integrity check rests on."""
        if not finding_ids:
            return ""
        rows = dict(zip(self.study.tables["findings"]["finding_id"], self.study.tables["findings"]["row"]))
        links = tuple(Link(f, data_view_href(self.study_id, "findings.csv", int(rows[f]))) for f in finding_ids)
        return LinkList(links, "Rests on the curator's findings ")

    def _grade3_sentence(self) -> str:
        rates = self.adverse_event_rates
        chosen = rates[(rates["term"] == "Any adverse event") & (rates["band"] == GRADE_3_PLUS)
                       & rates["arm"].isin(self.anlotinib_arms())]
        parts = [f"{row.percent:.1f}% ({row.category}"
                 + (f", {row.count} of {row.denominator}" if not _blank(row.count) else ", as printed")
                 + ")" for row in chosen.itertuples()]
        return "; ".join(parts) or NOT_REPORTED

    def _rob_facts(self) -> dict[str, object]:
        if self.judgement is None:
            return {"rob_tool": "none yet", "rob_overall": "not yet appraised"}
        tool = self.rob_tools[self.judgement["tool"]]
        score = total_score(self.judgement, self.rob_tools)
        overall = level_label(tool, self.judgement["overall"]["judgement"])
        # Only a scored tool (MINORS) has a score; a judgement-based one (ROBINS-I, RoB 2) has none.
        return {"rob_tool": tool["name"],
                "rob_overall": overall if score is None else f"{overall} (item score {score[0]} of {score[1]})"}

    # ------------------------------------------------------------------ sections

    def summary_card(self):
        """Citation, design, setting, dates, arms and populations."""
        from IPython.display import HTML

        meta = self.study.meta
        citation = meta.get("citation") or {}
        cited = citation.get("citation_as_printed") or ", ".join(
            str(citation[k]) for k in ("authors", "title", "journal", "year") if citation.get(k))
        enrolment = meta.get("enrolment_period") or {}
        follow_up = meta.get("median_follow_up") or {}
        spread = str(follow_up.get("spread", ""))
        items = [
            ("Citation", Rich(cited) if cited else "No citation is printed in the source document."),
            ("DOI", doi_link(citation.get("doi", "")) or "not printed in the source document"),
            # The curated source's file name is for maintainers (study.yaml); the reader needs
            # to know whether the review saw the full paper or only its abstract.
            ("Source", report_label(meta)),
            ("Design", f"{design_label(self.study)}: {meta['design']['description']}"),
            ("Setting", meta["setting"]),
            ("Line of therapy", meta["line_of_therapy"]),
            ("Enrolment", " to ".join(filter(None, [enrolment.get("start"), enrolment.get("end")]))),
            ("Data cut-off", (meta.get("data_cutoff") or {}).get("date", "")),
            ("Median follow-up", f"{follow_up['months']} months ({SPREAD_LABELS.get(spread, spread)} "
                                 f"{follow_up.get('low', '')}–{follow_up.get('high', '')})"
                                 if follow_up else NOT_REPORTED),
        ]
        if meta["design"].get("allocation"):
            items.append(("Allocation", meta["design"]["allocation"]))
        arms = pd.DataFrame([{
            "Arm": a["label"], "Regimen": a["regimen"],
            "Anlotinib": a.get("anlotinib_dose", "") if a.get("anlotinib") else "no",
        } for a in meta["arms"]])
        populations = pd.DataFrame([{
            "Population": p["label"], "Arm": self._arm_label(p["arm"]), "n": p["n"],
            "Description": p.get("description", ""), "Source": p.get("source", ""),
        } for p in meta["populations"]])
        return HTML('<div class="lr-card">' + definition_list(items) + table_html(arms, "Arms")
                    + details(f"Populations the paper reports ({len(populations)})", table_html(populations))
                    + "</div>")

    def baseline_table(self):
        """Baseline characteristics as printed, one column per arm and population."""
        text = self.study.table("baseline", as_typed=False)
        if text.empty:
            return paragraph("The source document prints no baseline characteristics.")
        cells = []
        for row in text.to_dict("records"):
            cells.append({
                "Characteristic": row["characteristic"], "Level": row["level"],
                "column": f"{self._arm_label(row['arm'])} ({self._population_label(row['population'])})",
                "value": _baseline_value(row), "p": row["p_value"],
                "Data": self._link("baseline.csv", row["row"], row["quote"]),
            })
        frame = pd.DataFrame(cells)
        order = list(dict.fromkeys(frame["column"]))
        wide = frame.pivot_table(index=["Characteristic", "Level"], columns="column", values="value",
                                 aggfunc="first", sort=False).reindex(columns=order)
        extra = frame.groupby(["Characteristic", "Level"], sort=False).agg(
            p=("p", lambda s: next((v for v in s if v), "")), Data=("Data", "first"))
        wide = wide.join(extra).reset_index().rename(columns={"p": "p-value"})
        return table(wide.fillna(""))

    def baseline_section(self):
        """The baseline table, behind a drop-down (it is long, and read when needed)."""
        n = len(self.study.table("baseline", as_typed=False))
        if not n:
            return self.baseline_table()
        return html_block(details(f"Show the baseline characteristics ({n} rows as printed)", self.baseline_table().data))

    def reconstruction_section(self):
        """Printed against reconstructed values, and what could not be rebuilt, behind a drop-down."""
        return html_block(details("Show the reconstruction check: printed values beside the rebuilt data's",
                                  self.reconstruction_table().data + self.reconstruction_notes().data))

    def subgroup_section(self):
        """The subgroup and model ratios of the forest plot, behind a drop-down."""
        return html_block(details(f"Show the {len(self.ratios)} subgroup and model ratios with their data rows",
                                  self.subgroup_table().data)) if not self.ratios.empty else self.subgroup_table()

    def response_summary(self):
        """One row per response quantity (endpoint, arm, population): the recomputed rate with its
        exact CI from the most detailed place that prints a count, what the paper printed, and
        every place it is printed; the full detail of each place behind a drop-down."""
        rates = self.rates
        if rates.empty:
            return paragraph("The source document prints no response counts with a denominator.")
        order = {e: i for i, e in enumerate(("ORR", "DCR", "CR", "PR", "SD", "PD", "NE"))}
        rank = {"table": 0, "body": 1, "supplement": 2, "figure_legend": 3, "abstract": 4}
        rows = []
        keys = ["endpoint", "qualifier", "arm", "population"]
        for (endpoint, qualifier, arm, population), group in rates.groupby(keys, sort=False):
            ranked = group.assign(_has=group["percent"].isna(), _rank=group["source_type"].map(rank).fillna(9))
            best = ranked.sort_values(["_has", "_rank", "row"]).iloc[0]
            if pd.isna(best["percent"]):
                result = f"count not printed; n = {best['denominator']}"
            else:
                implied = " (count implied by the printed %)" if best["count_origin"] == "implied" else ""
                result = (f"{best['count']}/{best['denominator']} = {best['percent']:.1f}% "
                          f"(exact 95% CI {format_ci(best['exact_low'], best['exact_high'])}){implied}")
            printed = " / ".join(dict.fromkeys(f"{v}%" for v in group["printed_percent"] if v))
            cis = " / ".join(dict.fromkeys(c for c in group["printed_ci"] if c))
            rows.append({
                "_order": (order.get(endpoint, 9), endpoint, qualifier),
                "Quantity": endpoint + (f" ({humanise(qualifier)})" if qualifier else ""),
                "Arm": self._arm_label(arm), "Population": self._population_label(population),
                "Recomputed": result,
                "Printed": printed + (f" (CI {cis})" if cis else ""),
                "Data": row_links(self.study_id, "outcomes.csv", ", ".join(map(str, group["row"]))),
            })
        frame = pd.DataFrame(rows).sort_values("_order", kind="stable").drop(columns="_order")
        frame, caption = shared_columns(frame, ["Arm", "Population"])
        return html_block(table(frame, caption=caption), details(f"Every place a response number is printed ({len(rates)} rows), "
                                                "with the CI methods that reproduce it",
                                                self.response_table().data))

    def response_table(self):
        """Printed response numbers beside the recomputed ones."""
        rates = self.rates
        if rates.empty:
            return paragraph("The source document prints no response counts with a denominator.")
        shown = pd.DataFrame({
            "Arm": rates["arm"].map(self._arm_label), "Population": rates["population"].map(self._population_label),
            "Endpoint": rates["endpoint"] + rates["qualifier"].map(lambda q: f" ({humanise(q)})" if q else ""),
            "Count / n": [(f"not printed / {n}" if _blank(c) else f"{c}/{n}") + (" (implied)" if o == "implied" else "")
                          for c, n, o in zip(rates["count"], rates["denominator"], rates["count_origin"])],
            "Printed %": rates["printed_percent"],
            "Recomputed %": rates["percent"].map(format_percent),
            "Printed CI": rates["printed_ci"],
            "Exact 95% CI": [format_ci(a, b) for a, b in zip(rates["exact_low"], rates["exact_high"])],
            "Stated method": rates["stated_method"].map(
                lambda m: METHOD_LABELS.get(m, self._code_label("outcomes", "ci_method_stated", m))),
            "Stated-method CI": [format_ci(a, b) for a, b in zip(rates["stated_low"], rates["stated_high"])],
            "Reproduced by": rates["reproduced_by"],
            "Source": rates["source"],
            "Data": [self._link("outcomes.csv", r, q) for r, q in zip(rates["row"], rates["quote"])],
        })
        return table(shown)

    def survival_summary(self):
        """Per endpoint, arm and population: the printed median, landmark rates and events (one
        row each, with every place that prints them), and every distinct printed hazard ratio;
        each place in full behind a drop-down."""
        summary = printed_survival(self.study)
        if summary.empty:
            return paragraph("The source document prints no survival summaries.")
        rows = []
        arms = summary[summary["comparison"] == ""]
        for (endpoint, arm, population), group in arms.groupby(["endpoint", "arm", "population"], sort=False):
            medians = group[group["measure"] == "median"]
            with_ci = medians[medians["ci"] != ""]
            median = (with_ci if not with_ci.empty else medians)
            landmarks = group[group["measure"] == "landmark"].drop_duplicates(["timepoint_months", "value", "ci"])
            events = group[group["measure"] == "events"]["value"].drop_duplicates()
            rows.append({
                "Endpoint": endpoint, "Arm": self._arm_label(arm), "Population": self._population_label(population),
                "Median": "" if median.empty else f"{median.iloc[0]['value']}"
                                                  + (f" ({median.iloc[0]['ci']})" if median.iloc[0]["ci"] else ""),
                "Landmark rates": "; ".join(f"{r['timepoint_months']} months: {r['value']}"
                                            + (f" ({r['ci']})" if r["ci"] else "") for r in landmarks.to_dict("records")),
                "Events": ", ".join(events),
                "Data": row_links(self.study_id, "outcomes.csv", ", ".join(map(str, group["row"]))),
            })
        frame, caption = shared_columns(pd.DataFrame(rows), ["Arm", "Population"])
        parts = [table(frame, caption=caption, empty="No median, landmark rate or event count is printed.")]
        ratios = summary[summary["comparison"] != ""]
        if not ratios.empty:
            shown = []
            for (endpoint, comparison, value, ci, model), group in ratios.groupby(
                    ["endpoint", "comparison", "value", "ci", "model"], sort=False):
                treated, control = comparison.split(" vs ")
                shown.append({"Endpoint": endpoint,
                              "Comparison": f"{self._arm_label(treated)} vs {self._arm_label(control)}",
                              "Hazard ratio": f"{value}" + (f" ({ci})" if ci else ""),
                              "p": ", ".join(dict.fromkeys(v for v in group["p_value"] if v)),
                              "Model": model or "not stated",
                              "Data": row_links(self.study_id, "outcomes.csv", ", ".join(map(str, group["row"])))})
            parts.append(table(pd.DataFrame(shown), caption="Hazard ratios as printed"))
        parts.append(details(f"Every place a survival number is printed ({len(summary)} rows)",
                             self.survival_table().data))
        return html_block(*parts)

    def survival_table(self):
        """Survival summaries as printed."""
        summary = printed_survival(self.study)
        if summary.empty:
            return paragraph("The source document prints no survival summaries.")
        shown = pd.DataFrame({
            "Endpoint": summary["endpoint"],
            "Arm": [self._arm_label(a) + (f" vs {self._arm_label(c.split(' vs ')[1])}" if c else "")
                    for a, c in zip(summary["arm"], summary["comparison"])],
            "Population": summary["population"].map(self._population_label),
            "Measure": summary["measure"].map(lambda m: self._code_label("outcomes", "measure", m)),
            "Time (months)": summary["timepoint_months"], "Value": summary["value"], "CI": summary["ci"],
            "Events": summary["events"], "p": summary["p_value"], "Model": summary["model"],
            "Source": summary["source"],
            "Data": [self._link("outcomes.csv", r, q) for r, q in zip(summary["row"], summary["quote"])],
        })
        return table(shown)

    def _marked(self, figure):
        """A figure of this study, marked when the study is not in the main analyses."""
        if figure is not None and not self.status.in_main:
            mark_figure(figure, f"{self.study.name}: {self.status.badge}, not in the review's main analyses")
        return figure

    def km_figures(self) -> list:
        """Reconstructed Kaplan-Meier curves, one figure per population and endpoint."""
        labels = {a: self._arm_label(a) for a in self.study.arms}
        groups = {(self._population_label(p), e): arms for (p, e), arms in self.reconstructions.items()}
        return [self._marked(f) for f in km_figures(groups, labels)]

    def reconstruction_table(self):
        """Printed against reconstructed: events, median (CI), landmark rates."""
        if not self.reconstructions:
            return paragraph("Nothing could be reconstructed: " + self._not_reconstructed_text())
        rows = []
        for (population, endpoint), arms in self.reconstructions.items():
            for arm in arms:
                printed = arm.inputs.printed
                rows.append({
                    "Endpoint": endpoint, "Population": self._population_label(population),
                    "Arm": self._arm_label(arm.inputs.arm),
                    "Rebuilt from": "digitised curve" if arm.inputs.curve is not None else "printed summaries",
                    "Patients": printed.n,
                    "Events printed": "" if printed.events is None else printed.events,
                    "Events reconstructed": int(arm.result.data["event"].sum()),
                    "Median printed (95% CI)": "" if printed.median is None else (
                        f"{printed.median:g}" + (f" ({arm.inputs.median_ci_printed})"
                                                 if arm.inputs.median_ci_printed else "")),
                    "Median reconstructed (95% CI)": _median_text(arm.median, arm.median_ci),
                    "Landmarks printed → reconstructed (%)": "; ".join(
                        f"{t:g} mo: {p:g} → {r:.1f}" for t, p, r in arm.landmarks),
                    "Not used": "; ".join(arm.inputs.conflicts + arm.result.set_aside),
                    "Data rows": row_links(self.study_id, "outcomes.csv", ", ".join(map(str, arm.inputs.rows))),
                })
        return table(pd.DataFrame(rows))

    @cached_property
    def comparisons(self) -> list[dict]:
        """Anlotinib arm against control arm, per reconstructed population and endpoint:
        Cox HR (CI) and log-rank p from the reconstructed data, with the printed HR rows."""
        found = []
        printed_ratios = self.study.table("outcomes", as_typed=False)
        printed_ratios = printed_ratios[printed_ratios["measure"] == "hazard_ratio"]
        for (population, endpoint), arms in self.reconstructions.items():
            by_arm = {a.inputs.arm: a for a in arms}
            treated = [a for a in self.anlotinib_arms() if a in by_arm]
            controls = [a for a in by_arm if a not in self.anlotinib_arms()]
            for arm in treated:
                for control in controls:
                    printed = printed_ratios[(printed_ratios["endpoint"] == endpoint)
                                             & (printed_ratios["population"] == population)
                                             & (printed_ratios["arm"] == arm)
                                             & (printed_ratios["comparator_arm"] == control)]
                    found.append({"endpoint": endpoint, "population": population, "arm": arm,
                                  "control": control, **compare_arms(by_arm[arm], by_arm[control]),
                                  "method": by_arm[arm].inputs.method if by_arm[arm].inputs.method
                                  == by_arm[control].inputs.method else "mixed reconstruction methods",
                                  "printed": [r for r in printed.to_dict("records") if r["ci_low"]]})
        return found

    def comparison_table(self):
        """For two-arm groups: Cox HR and log-rank p from reconstructed data beside the printed HRs."""
        rows = [{
            "Endpoint": c["endpoint"], "Population": self._population_label(c["population"]),
            "Comparison": f"{self._arm_label(c['arm'])} vs {self._arm_label(c['control'])}",
            "Cox HR, reconstructed (95% CI)": f"{c['hazard_ratio']:.2f} ({c['ci_low']:.2f}–{c['ci_high']:.2f})",
            "Log-rank p, reconstructed": format_p(c["logrank_p"], prefix=""),
            "HR printed (95% CI)": "; ".join(
                f"{r['estimate']} ({r['ci_low']}–{r['ci_high']})"
                + (" adjusted" if r["adjusted"] == "yes" else "") + f" [outcomes.csv row {r['row']}]"
                for r in c["printed"]) or "not printed",
        } for c in self.comparisons]
        if not rows:
            return paragraph("No two-arm comparison can be reconstructed for this study.")
        return table(pd.DataFrame(rows))

    def reconstruction_notes(self):
        """What could not be reconstructed, and why."""
        text = self._not_reconstructed_text()
        return paragraph(text) if text else paragraph("Every arm and endpoint with a printed median or "
                                                      "landmark rate was reconstructed.")

    def _not_reconstructed_text(self) -> str:
        missing = [i for i in self.survival_inputs if i.missing]
        if not self.survival_inputs:
            return "the report prints no median or landmark survival rate."
        return " ".join(f"{i.endpoint} ({self._arm_label(i.arm)}, {self._population_label(i.population).lower()}): "
                        "not reconstructed, "
                        f"because {i.missing}." for i in missing)

    def ae_figure(self):
        """Bar chart of AE rates per arm (any grade and grade >= 3); None when nothing to draw."""
        rates = self.adverse_event_rates
        if rates[rates["group"] != "any"].empty:
            return None
        return self._marked(ae_rate_figure(rates, {a: self._arm_label(a) for a in self.study.arms}))

    def ae_summary(self):
        """One row per harmonised term and arm: any grade and grade >= 3, each as count/n (%)
        with the rows it comes from; the full detail (basis, source) behind a drop-down."""
        rates = self.adverse_event_rates
        if rates.empty:
            return paragraph("The source document prints no adverse-event rates.")

        def cell(band_rows: pd.DataFrame) -> str:
            if band_rows.empty:
                return "not printed"
            r = band_rows.iloc[0]
            value = f"{format_percent(r['percent'])}%"
            return (f"{r['count']}/{r['denominator']} ({value})" if not _blank(r["count"])
                    else f"{value} (printed; no count)")
        rows = []
        for (term, arm, category), group in rates.groupby(["term", "arm", "category"], sort=False):
            rows.append({"Term": term, "Arm": self._arm_label(arm), "Counted": category,
                         "Any grade": cell(group[group["band"] == "any grade"]),
                         "Grade ≥3": cell(group[group["band"] == GRADE_3_PLUS]),
                         "Data": row_links(self.study_id, "adverse_events.csv", ", ".join(group["rows"]))})
        frame = pd.DataFrame(rows)
        frame = frame.assign(_any=frame["Term"] != "Any adverse event").sort_values(["_any", "Term"], kind="stable")
        frame, caption = shared_columns(frame.drop(columns="_any"), ["Arm", "Counted"])
        return html_block(table(frame, caption=caption),
                          details("How each rate is read from the printed grade bands, and where it is printed",
                                  self.ae_table().data))

    def ae_table(self):
        """AE rates per harmonised term, arm and band, with the rows they come from."""
        rates = self.adverse_event_rates
        if rates.empty:
            return paragraph("The source document prints no adverse-event rates.")
        shown = pd.DataFrame({
            "Term": rates["term"], "Class effect": rates["class_effect"].map({True: "yes", False: ""}),
            "Category": rates["category"], "Arm": rates["arm"].map(self._arm_label),
            "Band": rates["band"],
            "Count / n": [("" if _blank(c) else f"{c}") + ("" if _blank(n) else f"/{n}")
                          for c, n in zip(rates["count"], rates["denominator"])],
            "Recomputed %": rates["percent"].map(format_percent), "Printed %": rates["printed_percent"],
            "Basis": rates["basis"], "Source": rates["source"],
            "Data rows": [row_links(self.study_id, "adverse_events.csv", r) for r in rates["rows"]],
        })
        return table(shown)

    def corrections_table(self):
        """Numbers a published correction changed: the first value and the corrected one, each
        linked to its data row, with the correction's date and source."""
        corrections = self.study.tables.corrections()
        if not corrections:
            return paragraph("No correction of this report has been recorded.")
        rows = []
        for table_name, old, new, erratum in corrections:
            raw = self.study.tables.raw(table_name).set_index("row")
            rows.append({"Published": erratum["date"], "Correction": Rich(f"*{erratum['source']}*: “{erratum['quote']}”"),
                         "First printed": Joined((Rich(raw.loc[old, "quote"]), self._link(f"{table_name}.csv", old))),
                         "Now": Joined((Rich(raw.loc[new, "quote"]), self._link(f"{table_name}.csv", new)))})
        return table(pd.DataFrame(rows), "Corrections: pages and analyses use the corrected value")

    def deaths_table(self):
        """Deaths from adverse events (grade 5) as printed, each linked to its data row."""
        deaths = grade5_events(self.study)
        if deaths.empty:
            return paragraph("The report says nothing about grade 5 (fatal) adverse events.")
        shown = pd.DataFrame({
            "Arm": deaths["arm"].map(self._arm_label),
            "Events": [self._code_label("adverse_events", "category", c) for c in deaths["category"]],
            "Term": deaths["term"].map(lambda t: "Any adverse event" if t == "Any" else t),
            "Deaths, as printed": deaths["deaths"], "Patients": deaths["denominator"],
            "Printed in": deaths["source"],
            "Data": [self._link("adverse_events.csv", r) for r in deaths["row"]],
        })
        return table(shown, "Deaths from adverse events (grade 5), as the report prints them")

    def subgroup_figure(self):
        """Forest plot of printed subgroup and model hazard ratios; None when there are none."""
        if self.ratios.empty:
            return None
        ratios = self.ratios.assign(population=self.ratios["population"].map(self._population_label))
        return self._marked(subgroup_forest_figure(ratios))

    def subgroup_table(self):
        """The ratios of the forest plot, with their data rows."""
        r = self.ratios
        if r.empty:
            return paragraph("The source document prints no subgroup or model hazard ratios with both "
                             "confidence limits.")
        shown = pd.DataFrame({
            "Endpoint": r["endpoint"], "Analysis": r["analysis"], "Population": r["population"].map(self._population_label),
            "Subgroup / covariate": r["label"], "Ratio": r["estimate"],
            "95% CI": [f"{a:g}–{b:g}" for a, b in zip(r["ci_low"], r["ci_high"])], "p": r["p_value"],
            "Source": r["source"],
            "Data": [self._link("subgroups.csv", row, q) for row, q in zip(r["row"], r["quote"])],
        })
        return table(shown)

    def audit_summary(self):
        """The curator's findings with both sides, the computed mismatches, each linked to its
        data rows; the notes behind a drop-down."""
        curated = self.audit[self.audit["rule"] == CURATOR_RULE]
        computed = self.audit[self.audit["rule"] != CURATOR_RULE]
        mismatches = computed[computed["verdict"] == MISMATCH]
        notes = computed[computed["verdict"] == INFO]
        parts = []
        if not curated.empty:
            parts.append(self.curator_findings_table(curated))
        parts.append(self._audit_view(mismatches) if not mismatches.empty else
                     paragraph("Every computed check of this study agrees with what the paper printed."))
        if not notes.empty:
            parts.append(details(f"Notes of the audit ({len(notes)}): facts, not errors", self._audit_view(notes).data))
        return html_block(*parts)

    def audit_table(self):
        """The audit's findings that are not ``ok``, each linked to its data row."""
        return self._audit_view(self.audit[self.audit["verdict"] != OK])

    def curator_findings_table(self, curated: pd.DataFrame | None = None):
        """The curator's findings: kind and grade, the explanation, and both sides as printed,
        each with its data rows."""
        if curated is None:
            curated = self.audit[self.audit["rule"] == CURATOR_RULE]
        if curated.empty:
            return paragraph("The curator recorded no inconsistency beyond the computed checks.")
        records = finding_rows(curated, {self.study_id: self.study})
        shown = pd.DataFrame({
            "Finding": [Link(f"{r['finding_id']}", data_view_href(self.study_id, "findings.csv", int(n)))
                        for n, r in zip(curated["row"], records)],
            "Kind (how sure)": [f"{self._code_label('findings', 'kind', k)} ({self._code_label('findings', 'grade', g)})"
                                for k, g in zip(curated["kind"], curated["grade"])],
            **finding_columns(curated["study_id"], records),
        })
        return table(shown, "Inconsistencies the curator found in reading the paper")

    def _audit_view(self, findings: pd.DataFrame):
        if findings.empty:
            return paragraph("Every check of this study agrees with what the paper printed.")
        links = [Joined((finding_link(self.study_id, t, r), ref_links(self.study_id, o) if o else ""))
                 for t, r, o in zip(findings["table"], findings["row"], findings["other_rows"])]
        shown = pd.DataFrame({
            "Rule": findings["rule"].map(RULE_LABELS),
            "Finding": [humanise(f"{q}: {d}" if d else q, self.study)
                        for q, d in zip(findings["quantity"], findings["detail"])],
            "Printed → recomputed": [humanise(f"{p} → {r}", self.study)
                                     for p, r in zip(findings["printed"], findings["recomputed"])],
            "Data": links,
        })
        return table(shown)

    def risk_of_bias_table(self):
        """Domain-by-domain judgement with rationale and supporting quotes."""
        if self.judgement is None:
            return paragraph("This study has not yet been appraised for risk of bias.")
        frame = domain_table(self.judgement, self.rob_tools)
        tool = self.rob_tools[self.judgement["tool"]]
        judgements = {str(k): level_label(tool, k) for k in frame["judgement"]}
        reader = pd.DataFrame({"Domain": frame["domain"], "Judgement": frame["judgement"].map(lambda j: judgements[str(j)]),
                               "Rationale": [Rich(r) for r in frame["rationale"]]})
        support = pd.DataFrame({"Domain": frame["domain"], "Supporting text": [Rich(t) for t in frame["support"]]})
        return html_block(table(reader), details("The sentences of the paper each judgement rests on",
                                                 table(support[support["Supporting text"].map(lambda r: bool(r.text))]).data))

    def write_results(self, path: str | Path) -> pd.DataFrame:
        """Write this page's statistics for the results table; returns them."""
        results = stack_rows([study_results(self.study, self.vocabulary),
                              reconstruction_results(self.study_id, self.reconstructions, self.comparisons)])
        write_results(results, Path(path))
        return results


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _median_text(median: float, ci: tuple[float, float]) -> str:
    def months(value: float) -> str:
        return "NR" if not math.isfinite(value) else f"{value:.2f}"

    return f"{months(median)} ({months(ci[0])}–{months(ci[1])})"


def _baseline_value(row: dict) -> str:
    statistic = row["statistic"]
    if statistic == "n_percent":
        count, percent = row["count"], row["percent"]
        return f"{count} ({percent}%)" if percent else count
    value, low, high, sd = row["value"], row["value_low"], row["value_high"], row["sd"]
    if statistic in ("median_range", "median_iqr") and low:
        return f"{value} ({low}–{high})"
    if statistic == "mean_sd" and sd:
        return f"{value} ± {sd}"
    return value or row["count"]
