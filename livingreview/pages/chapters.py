"""The pooling chapters: response, comparative evidence, survival, safety, context, and risk
of bias, integrity and certainty. Statistics come from :mod:`livingreview.statistics.synthesis`; this
module chooses the studies (the integrity decisions), lays out tables and figures, and writes
every statistic to the chapter's results file."""

from __future__ import annotations

import html
import math
from functools import cached_property
from pathlib import Path

import pandas as pd
from scipy import special

from ..statistics import synthesis
from ..curated.studies import read_csv_text, stack_rows
from ..statistics.certainty import load_judgements
from ..curated.dictionary import load_dictionary
from .display import (Joined, Link, Rich, StudyLink, data_link, degrees_of_freedom, details, doi_link,
                      format_p, glue_facts, html_block, key_message, paragraph, row_links, study_link, table,
                      tables_by)
from ..curated.integrity import (EXCLUDE, MAIN, SENSITIVITY_ONLY, analysis_set, left_out_of_main,
                        load_checks, load_screen, main_analysis_studies, screen_table,
                        sensitivity_analysis_studies, study_status)
from ..curated.integrity import decision as integrity_decision
from ..statistics.meta import GLMM
from ..statistics.reconstruct import compare_arms, survival_inputs
from ..results.table import CERTAINTY_LEVELS, CERTAINTY_STATISTIC, RESULT_COLUMNS, write_results
from ..curated.risk_of_bias import level_label, load_judgement, load_tools
from ..statistics.safety import ANY_GRADE
from ..curated.review import design_label
from .evidence_audit import SynthesisPage
from ..statistics.wording import rate_is_uninformative

PERCENT = "{:.1f}"
LANDMARK_MONTHS = 12.0


def _pct(value: float) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else PERCENT.format(value)


def _interval(low: float, high: float, digits: int = 1) -> str:
    return f"{low:.{digits}f}–{high:.{digits}f}"


def odds_ratio_source(ratio: dict, matched: bool) -> str:
    """How an odds ratio from counts was computed, for a table's source column: the counts, the
    method shown (exact where a cell is small, with the Wald one beside it), and whether it
    ignores a matching."""
    text = (f"computed from counts ({ratio['events_arm']}/{ratio['total_arm']} vs "
            f"{ratio['events_control']}/{ratio['total_control']}), ")
    if ratio["small"]:
        text += (f"exact (Fisher), a cell is below {synthesis.SMALL_CELL}; Wald {ratio['estimate']:.2f} "
                 f"({ratio['ci_low']:.2f}–{ratio['ci_high']:.2f})")
    else:
        text += synthesis.WALD_OR
    if matched:
        text += "; ignores the matching"
    return text


def _short_source(source: str) -> str:
    """'printed, adjusted (multivariable Cox)' -> 'printed, adjusted', for a forest plot's label."""
    if source.startswith("computed from counts"):
        return "from counts, exact" if "exact (Fisher)" in source else "from counts"
    if source.startswith("Cox model on reconstructed"):
        return "reconstructed data"
    return source.split(" (")[0]


def _lower_first(text: str) -> str:
    """'First-line treatment of ... ESCC' -> 'first-line treatment of ... ESCC' (mid-sentence)."""
    return text[:1].lower() + text[1:]


class Chapters(SynthesisPage):
    """Cross-study chapters that pool or compare; see the module docstring."""

    # ------------------------------------------------------------------ shared

    @cached_property
    def order(self) -> list[str]:
        return list(self.review.get("setting_groups", {}))

    def setting_label(self, group: str) -> str:
        if group == synthesis.ALL_SETTINGS:
            return synthesis.ALL_SETTINGS_LABEL
        return self.review.get("setting_groups", {}).get(group, group)

    @cached_property
    def main_studies(self):
        return main_analysis_studies(self.studies)

    @cached_property
    def judgements(self):
        """The GRADE judgements of ``data/certainty.yaml``."""
        return load_judgements(self.data_dir)

    @cached_property
    def findings(self):
        """The review's findings per setting and outcome (:mod:`livingreview.statistics.findings`)."""
        from ..statistics.findings import ReviewFindings

        return ReviewFindings(self)

    @cached_property
    def _findings_by_outcomes(self) -> dict:
        return {}

    def findings_for(self, outcomes: tuple[str, ...]):
        """Only some outcomes' findings: a chapter about safety reads no response data."""
        from ..statistics.findings import ReviewFindings

        if outcomes not in self._findings_by_outcomes:
            self._findings_by_outcomes[outcomes] = ReviewFindings(self, outcomes)
        return self._findings_by_outcomes[outcomes]

    @cached_property
    def excluded_studies(self) -> list[str]:
        return [s.study_id for s in self.studies if integrity_decision(s) == EXCLUDE]

    def regimen_note(self):
        """The arms of anlotinib alone that the pools keep apart from combinations, if any."""
        from IPython.display import HTML

        left = synthesis.monotherapy_left_out(self.main_studies)
        if not left:
            return HTML("")
        arms = "; ".join(f"{s.name} ({synthesis.arm_label(s, a)})" for s, a in left)
        return paragraph(f"Anlotinib alone is not pooled with anlotinib combinations (review.yaml, pooling): "
                         f"{arms} is shown on its study page and in no pool below.")

    def exclusion_note(self):
        """The studies the main analyses below leave out, each with its status and reason."""
        from IPython.display import HTML

        from .findings import left_out_box_html

        return HTML(left_out_box_html(self.studies, self.names, "..", "Not in the main analyses below",
                                      "Every included study enters the analyses below."))

    def _study_link(self, study_id: str) -> StudyLink:
        """The study's name linked to its page, with its badge when it is not in the main analyses."""
        return study_link(self._study(study_id))

    @staticmethod
    def _result(scope: str, arm: str, population: str, endpoint: str, statistic: str, estimate: float,
                low: float = math.nan, high: float = math.nan, method: str = "", printed: str = "",
                data_file: str = "", data_row: str = "") -> dict:
        return {"scope": scope, "arm": arm, "population": population, "endpoint": endpoint,
                "statistic": statistic, "estimate": estimate, "ci_low": low, "ci_high": high, "method": method,
                "printed": printed, "data_file": data_file, "data_row": data_row}

    # ------------------------------------------------------------------ the reader's layer

    @cached_property
    def names(self) -> dict[str, str]:
        return {s.study_id: s.name for s in self.studies}

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

    def response_key_message(self):
        return self.key_message(("ORR", "DCR"))

    def comparative_key_message(self):
        comparative = synthesis.two_arm_studies(self.main_studies)
        lead = (f"{len(comparative)} {'study compares' if len(comparative) == 1 else 'studies compare'} the same "
                "regimen with and without anlotinib in the main analyses: "
                + ", ".join(f"{s.name} ({design_label(s).lower()})" for s in comparative) + "."
                if comparative else "No study in the main analyses compares a regimen with and without anlotinib.")
        return self.key_message(("ORR odds ratio", "PFS hazard ratio", "OS hazard ratio", "grade3 odds ratio"), lead)

    def survival_key_message(self):
        return self.key_message(("PFS", "OS"), "Median survival of the anlotinib-containing arms, as printed:")

    def safety_key_message(self):
        return self.key_message(("grade3", "grade3 odds ratio"))

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

    def context_key_message(self):
        frame = self.benchmarks
        confirmed = int((frame["status"] == "confirmed").sum()) if not frame.empty else 0
        trials = int(frame["trial"].nunique()) if not frame.empty else 0
        return key_message([f"{trials} randomised standard-of-care trials give the context: {confirmed} of their "
                            "numbers are confirmed in the trials' own publications. They are shown beside the "
                            "review's results, never pooled with them."])

    @staticmethod
    def certainty_legend():
        from IPython.display import HTML

        from .findings import certainty_legend_html

        return HTML(certainty_legend_html())

    def sof_facts(self) -> dict[str, object]:
        from ..statistics.findings import ARM_OUTCOMES, LABELS

        labels = [LABELS[o].lower() for o in ARM_OUTCOMES]
        return {"sof_outcomes": ", ".join(labels[:-1]) + " and " + labels[-1],
                "sof_n_main": len(self.main_studies)}

    def glue_sof_facts(self) -> None:
        glue_facts(self.sof_facts())

    def sof_key_message(self):
        sentences = [self.findings.summary_sentence(s) for s in self.findings.settings]
        return key_message(sentences + [self._left_out_sentence()])

    def write_sof_results(self, path: str | Path) -> None:
        """Every finding's estimate (and absolute effect), for results.csv."""
        rows = []
        for f in self.findings.all_findings():
            if not f.reported:
                continue
            studies = ", ".join(v.study_id for v in f.studies)
            method = f"{f.method}; studies: {studies}"
            if f.kind == "median":
                for v in f.studies:
                    rows.append(self._result("synthesis/summary_of_findings", f.setting_group, "anlotinib arms",
                                             f"{f.outcome} ({v.study_id})", "median_months", v.estimate, v.ci_low,
                                             v.ci_high, "as printed", v.printed, f"studies/{v.study_id}/{v.data_file}",
                                             v.data_row))
                continue
            statistic = {"rate": "percent", "ratio": f.measure.replace(" ", "_")}[f.kind]
            rows.append(self._result("synthesis/summary_of_findings", f.setting_group, "anlotinib arms", f.outcome,
                                     statistic, f.estimate, f.ci_low, f.ci_high, method))
            if f.absolute is not None:
                a = f.absolute
                rows.append(self._result("synthesis/summary_of_findings", f.setting_group, "anlotinib vs control",
                                         f.outcome, "per_1000_with_anlotinib", a.anlotinib, a.anlotinib_low,
                                         a.anlotinib_high, f"{method}; comparator risk: {a.basis}"))
                rows.append(self._result("synthesis/summary_of_findings", f.setting_group, "anlotinib vs control",
                                         f.outcome, "per_1000_with_comparator", a.control,
                                         method=f"comparator risk: {a.basis}"))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))

    # ------------------------------------------------------------------ response

    @cached_property
    def response_rates(self) -> dict[str, pd.DataFrame]:
        return {e: synthesis.arm_rates(self.main_studies, e) for e in ("ORR", "DCR")}

    @cached_property
    def response_pools(self) -> dict[str, pd.DataFrame]:
        return {e: synthesis.pooled_table(r, e, self.order) for e, r in self.response_rates.items()}

    def _pool_sentence(self, pools: pd.DataFrame, group: str, rates: pd.DataFrame | None = None) -> str:
        chosen = pools[(pools["group"] == group) & (pools["model"] == GLMM)]
        if chosen.empty:
            return ""
        p = chosen.iloc[0]
        if not math.isfinite(p["estimate"]):
            return self._not_pooled_sentence(pools, group, p, rates)
        if rate_is_uninformative(p["ci_low"], p["ci_high"]):
            return (f"too imprecise to inform (95% CI {_interval(p['ci_low'], p['ci_high'])}; {p['k']} studies, "
                    f"{p['patients']} patients)")
        return (f"{_pct(p['estimate'])}% (95% CI {_interval(p['ci_low'], p['ci_high'])}; prediction interval "
                f"{_interval(p['pi_low'], p['pi_high'])}; {p['k']} studies, {p['patients']} patients)")

    def _not_pooled_sentence(self, pools: pd.DataFrame, group: str, primary: pd.Series,
                             rates: pd.DataFrame | None) -> str:
        """'not pooled (reason): A 76.1% (35/46) and B 90.0% (27/30); common-effect summary,
        sensitivity only: 81.6% (95% CI ...)' for a pool without a random-effects estimate."""
        text = f"not pooled ({primary['note']})"
        if rates is not None:
            members = rates if group == synthesis.ALL_SETTINGS else rates[rates["setting_group"] == group]
            text += ": " + " and ".join(f"{self.names[r['study_id']]} {_pct(r['percent'])}% ({r['events']}/{r['total']})"
                                        for r in members.to_dict("records"))
        summary = pools[(pools["group"] == group) & pools["model"].str.startswith("common-effect")]
        for c in summary.to_dict("records"):
            only = f" of {synthesis.definition_label(c['definition'])}" if c["definition"] else ""
            text += (f"; common-effect summary{only}, sensitivity only: {_pct(c['estimate'])}% (95% CI "
                     f"{_interval(c['ci_low'], c['ci_high'])})")
        return text

    def _settings_sentence(self, endpoint: str) -> str:
        pools = self.response_pools[endpoint]
        rates = self.response_rates[endpoint]
        parts = []
        for group, members in synthesis.setting_groups(rates, self.order):
            if group == synthesis.ALL_SETTINGS:
                continue
            label = _lower_first(self.setting_label(group))
            if len(members) >= synthesis.MIN_POOLED_STUDIES:
                parts.append(f"{label}: {self._pool_sentence(pools, group, rates)}")
            else:
                r = members.iloc[0]
                parts.append(f"{label}: one study only ({self.names[r['study_id']]}, {r['events']}/{r['total']}, "
                             f"{_pct(r['percent'])}%), not pooled")
        return "; ".join(parts) if parts else "no study reports it"

    def response_facts(self) -> dict[str, object]:
        left_out = left_out_of_main(self.studies)
        facts: dict[str, object] = {
            "resp_n_studies": len(self.main_studies),
            "loo_min_studies": synthesis.LEAVE_ONE_OUT_MIN_STUDIES,
            "resp_left_out": ("; ".join(f"{self.names[s.study_id]} ({s.badge})" for s in left_out)
                              if left_out else "none")}
        for endpoint in ("ORR", "DCR"):
            key = endpoint.lower()
            facts[f"{key}_by_setting"] = self._settings_sentence(endpoint)
            facts[f"{key}_all_settings"] = self._pool_sentence(self.response_pools[endpoint], synthesis.ALL_SETTINGS,
                                                               self.response_rates[endpoint]) or "not estimable"
            test = synthesis.subgroup_difference(self.response_rates[endpoint], self.order)
            facts[f"{key}_between_settings"] = (
                "not testable (fewer than two settings with a pooled estimate)" if test is None else
                f"Q = {test['q']:.1f} on {degrees_of_freedom(test['df'])}, {format_p(test['p'])}")
        return facts

    def glue_response_facts(self) -> None:
        glue_facts(self.response_facts())

    def rate_table(self, endpoint: str):
        """Each study arm's count, denominator and exact CI, linked to its data row."""
        rates = self.response_rates[endpoint]
        shown = pd.DataFrame({
            "Setting": [self.setting_label(g) for g in rates["setting_group"]],
            "Study": [self._study_link(s) for s in rates["study_id"]],
            "Arm (population)": [f"{a} ({self.population_label(s, p).lower()})"
                                 for a, s, p in zip(rates["arm_label"], rates["study_id"], rates["population"])],
            "Responders / patients": [f"{e}/{t}" + (" (count implied)" if o == "implied" else "")
                                      for e, t, o in zip(rates["events"], rates["total"], rates["count_origin"])],
            "Counts over": [synthesis.response_denominator(self._study(s)) for s in rates["study_id"]],
            "Rate % (exact 95% CI)": [f"{_pct(r)} ({_interval(lo, hi)})" for r, lo, hi in
                                      zip(rates["percent"], rates["exact_low"], rates["exact_high"])],
            "Printed %": rates["printed"],
            "Data": [data_link(s, f, r, q) for s, f, r, q in
                     zip(rates["study_id"], rates["data_file"], rates["data_row"], rates["quote"])],
        })
        return tables_by(shown, "Setting", empty=f"No study reports {endpoint} with a count.")

    def pooled_table_view(self, pools: pd.DataFrame):
        shown = pd.DataFrame({
            "Setting": [self.setting_label(g) for g in pools["group"]],
            "Model": [m.split(" (")[0] + (f" ({synthesis.definition_label(d)} only)" if d else "")
                      for m, d in zip(pools["model"], pools["definition"])],
            "Studies (patients)": [f"{k} ({n})" for k, n in zip(pools["k"], pools["patients"])],
            "Regimens pooled": [self._pool_regimens(ids) for ids in pools["studies"]],
            "Pooled % (95% CI)": [(f"{_pct(e)} ({_interval(lo, hi)})" + (", too imprecise to inform"
                                                                         if rate_is_uninformative(lo, hi) else "")
                                   if math.isfinite(e) else f"not pooled: {note}")
                                  for e, lo, hi, note in zip(pools["estimate"], pools["ci_low"], pools["ci_high"],
                                                             pools["note"])],
            "Prediction interval": [_interval(lo, hi) if math.isfinite(lo) else "—"
                                    for lo, hi in zip(pools["pi_low"], pools["pi_high"])],
            "tau², I²": [f"{t:.3f}, {i:.1f}%" if math.isfinite(t) else "—" for t, i in zip(pools["tau2"], pools["i2"])],
        })
        if pools["endpoint"].isin(["ORR", "DCR"]).any():
            shown.insert(3, "Response counted over", [self._denominators(ids) for ids in pools["studies"]])
        return tables_by(shown, "Setting", empty="No setting has two or more studies to pool.")

    def _denominators(self, study_ids: str) -> str:
        """What the pooled studies' response rates count over; where they differ, each study's."""
        studies = [self._study(i) for i in str(study_ids).split(", ")]
        labels = {s.study_id: synthesis.response_denominator(s) for s in studies}
        if len(set(labels.values())) == 1:
            return next(iter(labels.values()))
        return "differs: " + "; ".join(f"{self.names[i]}: {label}" for i, label in labels.items())

    def _pool_regimens(self, study_ids: str) -> str:
        """The regimens a pool combines, from its studies' anlotinib arms (partners in study.yaml)."""
        by_id = {s.study_id: s for s in self.studies}
        regimens = [synthesis.regimen_label(by_id[i], arm) for i in str(study_ids).split(", ") if i in by_id
                    for arm in synthesis.pooled_anlotinib_arms(by_id[i])]
        return "; ".join(dict.fromkeys(regimens))

    def response_pooled_table(self, endpoint: str):
        return self.pooled_table_view(self.response_pools[endpoint])

    def forest_rows(self, rates: pd.DataFrame, pools: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for group, members in synthesis.setting_groups(rates, self.order):
            if group == synthesis.ALL_SETTINGS:
                continue
            rows.append({"label": self.setting_label(group), "kind": "heading"})
            weights = synthesis.inverse_variance_weights(members) if len(members) > 1 else [None] * len(members)
            for r, weight in zip(members.to_dict("records"), weights):
                rows.append({"label": f"{self.names[r['study_id']]} ({r['events']}/{r['total']})", "kind": "study",
                             "estimate": r["percent"], "ci_low": r["exact_low"], "ci_high": r["exact_high"],
                             "total": r["total"], "weight": weight})
            pooled = pools[(pools["group"] == group) & (pools["model"] == GLMM) & pools["estimate"].astype(float).notna()]
            for p in pooled.to_dict("records"):
                label = "Pooled (GLMM" + (f", {synthesis.definition_label(p['definition'])})" if p["definition"] else ")")
                rows.append({"label": label, "kind": "pooled", **{k: p[k] for k in
                             ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")}})
        return pd.DataFrame(rows)

    def rate_forest(self, rates: pd.DataFrame, pools: pd.DataFrame, title: str, xlabel: str = "Patients (%)"):
        from .plotting import rate_forest_figure

        return rate_forest_figure(self.forest_rows(rates, pools), width=8, row_height=0.42, margin=1.3, title=title,
                                  xlabel=xlabel)

    def response_forest(self, endpoint: str):
        name = {"ORR": "Objective response", "DCR": "Disease control"}.get(endpoint, endpoint)
        return self.rate_forest(self.response_rates[endpoint], self.response_pools[endpoint],
                                f"{name} ({endpoint}) of anlotinib-containing arms: exact 95% CIs, pooled within "
                                "setting (diamond: 95% CI; dashed: 95% prediction interval)",
                                xlabel=f"Patients with {name.lower()} (%)")

    def leave_one_out_view(self, endpoint: str):
        frame = synthesis.leave_one_out_table(self.response_rates[endpoint], endpoint, self.order)
        shown = pd.DataFrame({
            "Pool": [self.setting_label(g) for g in frame["group"]],
            "Left out": [self.names.get(s, s) for s in frame["left_out"]],
            "Pooled (%)": frame["estimate"].map(_pct),
            "95% CI": [_interval(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"])],
            "I² (%)": frame["i2"].map(lambda v: f"{v:.1f}"),
        })
        return table(shown, empty=f"No pool has {synthesis.LEAVE_ONE_OUT_MIN_STUDIES} or more studies, so "
                                  "leave-one-out does not apply.")

    def _pooled_results(self, scope: str, pools: pd.DataFrame, population: str) -> list[dict]:
        rows = []
        for p in pools.to_dict("records"):
            base = {"scope": scope, "arm": p["group"], "population": population, "endpoint": p["endpoint"],
                    "method": f"{p['model']}; studies: {p['studies']}" + (f"; not pooled: {p['note']}" if p["note"]
                                                                          else ""), "printed": "",
                    "data_file": "", "data_row": ""}
            rows.append({**base, "statistic": "pooled_percent", "estimate": p["estimate"], "ci_low": p["ci_low"],
                         "ci_high": p["ci_high"]})
            rows.append({**base, "statistic": "prediction_interval_percent", "estimate": math.nan,
                         "ci_low": p["pi_low"], "ci_high": p["pi_high"]})
            rows.append({**base, "statistic": "tau2_logit", "estimate": p["tau2"], "ci_low": math.nan,
                         "ci_high": math.nan})
            rows.append({**base, "statistic": "i2_percent", "estimate": p["i2"], "ci_low": math.nan,
                         "ci_high": math.nan})
        return rows

    def write_response_results(self, path: str | Path) -> None:
        rows = []
        for endpoint, pools in self.response_pools.items():
            rows += self._pooled_results("synthesis/response", pools, "anlotinib arms, efficacy population")
            loo = synthesis.leave_one_out_table(self.response_rates[endpoint], endpoint, self.order)
            for p in loo.to_dict("records"):
                rows.append(self._result("synthesis/response", p["group"], f"without {p['left_out']}", endpoint,
                                         "pooled_percent", p["estimate"], p["ci_low"], p["ci_high"],
                                         f"{p['model']}, leave-one-out; studies: {p['studies']}"))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))

    # ------------------------------------------------------------------ comparative

    @cached_property
    def odds_ratios(self) -> pd.DataFrame:
        return synthesis.response_odds_ratios(self.studies)

    @cached_property
    def printed_hazard_ratios(self) -> pd.DataFrame:
        return synthesis.printed_hazard_ratios(self.studies)

    @cached_property
    def reconstructed_hazard_ratios(self) -> pd.DataFrame:
        """Cox HRs from reconstructed data, anlotinib arm against control, comparison population."""
        rows = []
        comparative = synthesis.two_arm_studies(self.studies)
        arms = [pair for study in comparative for pair in self.arms_of(study)]
        for study in comparative:
            population = synthesis.comparison_population(study)
            mine = [a for s, a in arms if s.study_id == study.study_id and a.inputs.population == population]
            for endpoint in ("PFS", "OS"):
                by_arm = {a.inputs.arm: a for a in mine if a.inputs.endpoint == endpoint}
                for arm in synthesis.anlotinib_arms(study):
                    for control in synthesis.control_arms(study):
                        if arm in by_arm and control in by_arm:
                            rows.append({"study_id": study.study_id, "endpoint": endpoint, "arm": arm,
                                         "control": control, "population": population,
                                         **compare_arms(by_arm[arm], by_arm[control]),
                                         "data_rows": ", ".join(map(str, by_arm[arm].inputs.rows
                                                                    + by_arm[control].inputs.rows))})
        return pd.DataFrame(rows)

    def _study(self, study_id: str):
        return next(s for s in self.studies if s.study_id == study_id)

    def population_label(self, study_id: str, population: str) -> str:
        """A study's population by the short name its study.yaml gives it."""
        return next((p["label"] for p in self._study(study_id).meta["populations"]
                     if p["population_id"] == population), population)

    def _integrity_label(self, study_id: str) -> str:
        return study_status(self._study(study_id)).badge

    @cached_property
    def comparison_rows(self) -> pd.DataFrame:
        """Every between-arm estimate: OR for ORR from counts, printed HRs, reconstructed HRs."""
        rows = []
        for r in self.odds_ratios.to_dict("records"):
            estimate, low, high, method = synthesis.shown_odds_ratio(r)
            rows.append({"study_id": r["study_id"], "endpoint": "ORR", "measure": "odds ratio",
                         "source": odds_ratio_source(r, synthesis.is_matched(self._study(r["study_id"]),
                                                                             r["population"])),
                         "estimate": estimate, "ci_low": low, "ci_high": high,
                         "ci_level": "95", "data_rows": r["data_rows"], "population": r["population"]})
        for r in self.printed_hazard_ratios.to_dict("records"):
            kind = "adjusted" if r["adjusted"] else "unadjusted"
            rows.append({"study_id": r["study_id"], "endpoint": r["endpoint"], "measure": "hazard ratio",
                         "source": f"printed, {kind} ({r['model']})", "estimate": r["estimate"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "ci_level": r["ci_level"],
                         "data_rows": str(r["data_row"]), "population": r["population"]})
        for r in self.reconstructed_hazard_ratios.to_dict("records"):
            rows.append({"study_id": r["study_id"], "endpoint": r["endpoint"], "measure": "hazard ratio",
                         "source": "Cox model on reconstructed data", "estimate": r["hazard_ratio"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "ci_level": "95",
                         "data_rows": r["data_rows"], "population": r["population"]})
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        frame["integrity"] = [self._integrity_label(s) for s in frame["study_id"]]
        frame["analysis_set"] = [analysis_set(self._study(s)) for s in frame["study_id"]]
        return frame.sort_values(["endpoint", "study_id"], kind="stable").reset_index(drop=True)

    def comparison_table(self):
        frame = self.comparison_rows
        if frame.empty:
            return paragraph("No study compares an anlotinib arm with a control arm.")
        shown = pd.DataFrame({
            "Endpoint": frame["endpoint"], "Study": [self._study_link(s) for s in frame["study_id"]],
            "Population": [self.population_label(s, p) for s, p in zip(frame["study_id"], frame["population"])],
            "Measure": frame["measure"], "Source": frame["source"],
            "Estimate (CI)": [f"{e:.2f} ({lo:.2f}–{hi:.2f}, {lvl}%)" for e, lo, hi, lvl in
                              zip(frame["estimate"], frame["ci_low"], frame["ci_high"], frame["ci_level"])],
            "Data rows": [row_links(s, "outcomes.csv", r) for s, r in zip(frame["study_id"], frame["data_rows"])],
        })
        return table(shown)

    def comparison_forest(self):
        """Between-arm estimates in two panels, odds ratios and hazard ratios apart (each on its
        own log axis, with the direction of benefit on it); not pooled."""
        import matplotlib.pyplot as plt

        from .plotting import describe, forest_layout, plot_forest

        frame = self.comparison_rows
        if frame.empty:
            fig, ax = plt.subplots(figsize=(8, 1.5))
            ax.set_axis_off()
            return describe(fig, "No study compares an anlotinib arm with a control arm.")
        frame = frame.assign(label=[f"{self.names[s]}" + (f" ({i})" if i else "") + f" · {e} · {_short_source(src)}"
                                    for s, e, src, i in zip(frame["study_id"], frame["endpoint"], frame["source"],
                                                            frame["integrity"])],
                             status=frame["integrity"])
        panels = [(m, frame[frame["measure"] == m]) for m in ("odds ratio", "hazard ratio")
                  if (frame["measure"] == m).any()]
        fig, pairs = forest_layout([0.42 * len(rows) + 1.4 for _, rows in panels])
        directions = {"odds ratio": "Odds ratio of response (log scale):\nabove 1 favours the anlotinib arm",
                      "hazard ratio": "Hazard ratio (log scale):\nbelow 1 favours the anlotinib arm"}
        for (ax, text_ax), (measure, rows) in zip(pairs, panels):
            plot_forest(rows.reset_index(drop=True), ax=ax, xlabel=directions[measure], text_ax=text_ax,
                        value_header=f"{'OR' if measure == 'odds ratio' else 'HR'} (95% CI)")
            ax.set_title(f"{measure.capitalize()}s (not pooled)", loc="left")
        return describe(fig, "Forest plots of the between-arm estimates, odds ratios and hazard ratios in separate "
                             "panels, not pooled: " + "; ".join(
                                 f"{r['label']}: {r['estimate']:.2f} ({r['ci_low']:.2f}–{r['ci_high']:.2f})"
                                 for r in frame.to_dict("records")) + ".")

    def comparative_facts(self) -> dict[str, object]:
        frame = self.comparison_rows
        main = frame[frame["analysis_set"] == MAIN] if not frame.empty else frame
        return {"comp_n_studies": int(frame["study_id"].nunique()) if not frame.empty else 0,
                "comp_n_main": int(main["study_id"].nunique()) if not main.empty else 0,
                "comp_studies": ", ".join(self.names[s] + (f" ({self._integrity_label(s)})"
                                                           if self._integrity_label(s) else "")
                                          for s in sorted(frame["study_id"].unique())) if not frame.empty else "none"}

    def _comparative_studies(self) -> list:
        frame = self.comparison_rows
        ids = sorted(frame["study_id"].unique()) if not frame.empty else []
        return [s for s in self.studies if s.study_id in ids]

    def comparative_differences(self) -> str:
        """Why the comparative studies are not pooled, from their settings and designs."""
        from ..curated.review import design_label

        studies = self._comparative_studies()
        if len(studies) < 2:
            return "With one comparative study there is nothing to pool."
        settings = list(dict.fromkeys(self.setting_label(s.meta["setting_group"]) for s in studies))
        designs = list(dict.fromkeys(design_label(s) for s in studies))
        parts = []
        if len(settings) > 1:
            parts.append("setting (" + "; ".join(_lower_first(x) for x in settings) + ")")
        if len(designs) > 1:
            parts.append("design (" + "; ".join(_lower_first(x) for x in designs) + ")")
        if not parts:
            return "They share setting and design but are too few to pool with any confidence."
        return "The studies are not pooled: they differ in " + " and ".join(parts) + "."

    def allocation_list(self):
        """How patients came to be in each arm of every comparative study: its design, the
        allocation as the report states it (study.yaml), and the risk-of-bias rationale on
        confounding or randomisation."""
        from .display import status_badge_html
        from ..curated.review import design_label, is_randomised

        studies = self._comparative_studies()
        if not studies:
            return paragraph("No study compares an anlotinib arm with a control arm.")
        items = []
        for study in studies:
            allocation = (study.meta.get("design") or {}).get("allocation") or "Allocation not stated in the report."
            judgement = load_judgement(study.folder) or {}
            bias = next((d for d in judgement.get("domains", []) if d["domain"] in ("confounding", "randomisation")), None)
            text = " ".join(str(allocation).split())
            if bias:
                text += f" Risk of bias ({bias['domain']}): {' '.join(str(bias['rationale']).split())}"
            badge = status_badge_html(study_status(study))
            items.append(f"<li><strong>{html.escape(study.name)}</strong>{' ' + badge if badge else ''} "
                         f"<strong>({html.escape(_lower_first(design_label(study)))}).</strong> "
                         f"{Rich(text).to_html()}</li>")
        randomised = [s.name for s in studies if is_randomised(s)]
        observational = [s.name for s in studies if not is_randomised(s)]
        closing = []
        if observational:
            closing.append(f"Without randomisation ({', '.join(observational)}) the ratios estimate association, "
                           "not the effect of adding anlotinib.")
        if randomised:
            closing.append(f"With randomisation ({', '.join(randomised)}) they estimate the effect of being assigned "
                           "the anlotinib arm, within that trial's risk of bias.")
        return html_block(f"<ul>{''.join(items)}</ul>", paragraph(" ".join(closing)))

    def glue_comparative_facts(self) -> None:
        glue_facts(self.comparative_facts() | {"comp_not_pooled": self.comparative_differences()})

    def write_comparative_results(self, path: str | Path) -> None:
        rows = []
        for r in self.comparison_rows.to_dict("records"):
            statistic = "odds_ratio" if r["measure"] == "odds ratio" else "hazard_ratio"
            rows.append(self._result("synthesis/comparative", "anlotinib vs control", r["population"],
                                     f"{r['endpoint']} ({r['study_id']})", statistic, r["estimate"], r["ci_low"],
                                     r["ci_high"], r["source"] + (f"; {r['integrity']}" if r["integrity"] else ""),
                                     data_file=f"studies/{r['study_id']}/outcomes.csv", data_row=r["data_rows"]))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))

    # ------------------------------------------------------------------ survival

    @cached_property
    def _arms_by_study(self) -> dict[str, list]:
        return {}

    def arms_of(self, study) -> list:
        """One study's reconstructed arms, reconstructed once per page and only when asked (a
        comparison then reads no single-arm study's outcomes)."""
        if study.study_id not in self._arms_by_study:
            self._arms_by_study[study.study_id] = synthesis.reconstructed_arms([study])
        return self._arms_by_study[study.study_id]

    @cached_property
    def reconstructed_arms(self):
        """Every study's reconstructed arms (comparisons show excluded studies, labelled)."""
        return [pair for study in self.studies for pair in self.arms_of(study)]

    @cached_property
    def survival_arms(self):
        """The reconstructed arms of the studies in the main analyses."""
        kept = {s.study_id for s in self.main_studies}
        return [(s, a) for s, a in self.reconstructed_arms if s.study_id in kept]

    def survival_overlay(self, endpoint: str):
        import matplotlib.pyplot as plt

        from .plotting import describe, km_overlay_height, plot_km_overlay

        curves = [(f"{s.name}: {synthesis.arm_label(s, a.inputs.arm)}", self.setting_label(s.meta["setting_group"]),
                   a) for s, a in self.survival_arms
                  if a.inputs.endpoint == endpoint and a.inputs.arm in synthesis.anlotinib_arms(s)]
        fig, ax = plt.subplots(figsize=(8, km_overlay_height(len(curves))))
        if not curves:
            ax.set_axis_off()
            return describe(fig, f"No {endpoint} curve of an anlotinib-containing arm can be reconstructed.")
        plot_km_overlay(curves, ax=ax)
        ax.set_title(f"{endpoint} of anlotinib-containing arms, line style by setting", loc="left")
        fig.tight_layout()
        return describe(fig, f"Reconstructed Kaplan-Meier curves of {endpoint} for the anlotinib-containing arms "
                             "(rebuilt from published summaries, not patient records): " + "; ".join(
                                 f"{label} ({setting}), median "
                                 + ("not reached" if not math.isfinite(arm.median) else f"{arm.median:.1f} months")
                                 for label, setting, arm in curves) + ".")

    def survival_summary_table(self):
        """Per arm and endpoint: printed median (CI) and landmarks beside the reconstruction's."""
        rows = []
        reconstructed = {(s.study_id, a.inputs.arm, a.inputs.endpoint): a for s, a in self.survival_arms}
        for study in self.main_studies:
            population = synthesis.efficacy_population(study)
            for inputs in survival_inputs(study):
                if inputs.population != population:
                    continue
                arm = reconstructed.get((study.study_id, inputs.arm, inputs.endpoint))
                printed = inputs.printed
                rebuilt = (f"not rebuilt: {inputs.missing}" if arm is None else
                           "not reached" if math.isnan(arm.median) else f"{arm.median:.1f}")
                rows.append({
                    "Setting": self.setting_label(study.meta["setting_group"]),
                    "Study": self._study_link(study.study_id),
                    "Arm, endpoint": f"{synthesis.arm_label(study, inputs.arm)}, {inputs.endpoint} ({printed.n} patients)",
                    "Median printed (months)": "" if printed.median is None else
                    f"{printed.median:g}" + (f" ({inputs.median_ci_printed})" if inputs.median_ci_printed else ""),
                    "Landmarks printed": "; ".join(f"{t:g} mo: {v:g}%" for t, v in printed.landmarks),
                    "Median rebuilt": rebuilt,
                    "Data": row_links(study.study_id, "outcomes.csv", ", ".join(map(str, inputs.rows))),
                })
        return tables_by(pd.DataFrame(rows), "Setting", empty="No study prints survival summaries.")

    @cached_property
    def landmark_tables(self) -> dict[str, pd.DataFrame]:
        return {e: synthesis.landmark_table(self.survival_arms, e, LANDMARK_MONTHS, self.main_studies)
                for e in ("OS", "PFS")}

    def landmark_pools(self, endpoint: str) -> list[tuple[str, object, pd.DataFrame]]:
        frame = self.landmark_tables[endpoint]
        found = []
        if frame.empty:
            return found
        for group, members in synthesis.setting_groups(frame, self.order):
            if group == synthesis.ALL_SETTINGS:
                continue
            pooled = synthesis.pool_landmarks(members)
            if pooled is not None:
                found.append((group, pooled, members))
        return found

    def landmark_view(self, endpoint: str):
        frame = self.landmark_tables[endpoint]
        rows = []
        used = f"{LANDMARK_MONTHS:g}-month rate used (%)"
        for r in frame.to_dict("records"):
            rows.append({"Setting": self.setting_label(r["setting_group"]), "Study": self._study_link(r["study_id"]),
                         "Arm": r["arm_label"], used: f"{_pct(r['percent'])} (SE {_pct(r['se_percent'])})",
                         "Source": r["source"],
                         "Printed (%)": (r["printed"] + (f" ({r['printed_ci']})" if r["printed_ci"] else ""))
                         or "not printed",
                         "Reconstructed (%)": _pct(r["reconstructed_percent"]) or "not rebuilt",
                         "Data rows": row_links(r["study_id"], "outcomes.csv", r["data_rows"])})
        for group, pooled, members in self.landmark_pools(endpoint):
            shown = pooled.transformed(special.expit)
            value = f"{100 * shown['estimate']:.1f} (95% CI {100 * shown['ci_low']:.1f}–{100 * shown['ci_high']:.1f}"
            if pooled.note:  # two studies: a common-effect summary, not a random-effects pool
                label, value, detail = ("Common-effect summary (sensitivity only)", value + ")",
                                        f"not pooled: {pooled.note}")
            else:
                label, value, detail = ("Pooled (REML, Hartung-Knapp)",
                                        value + f"; PI {100 * shown['pi_low']:.1f}–{100 * shown['pi_high']:.1f})",
                                        f"I² {pooled.i2:.1f}%, tau² {pooled.tau2:.3f}")
            rows.append({"Setting": self.setting_label(group), "Study": label, "Arm": f"{pooled.k} studies",
                         used: value, "Source": detail, "Printed (%)": "", "Reconstructed (%)": "", "Data rows": ""})
        frame = pd.DataFrame(rows)
        if not frame.empty:
            frame = frame.sort_values("Setting", key=lambda c: c.map({self.setting_label(g): i for i, g in
                                                                      enumerate(self.order)}), kind="stable")
        return tables_by(frame, "Setting", empty="No reconstruction reaches this landmark.")

    def survival_facts(self) -> dict[str, object]:
        facts = {"surv_n_arms": len(self.survival_arms), "landmark_months": f"{LANDMARK_MONTHS:g}"}
        for endpoint in ("OS", "PFS"):
            parts = []
            for group, pooled, members in self.landmark_pools(endpoint):
                shown = pooled.transformed(special.expit)
                estimate = (f"{100 * shown['estimate']:.1f}% (95% CI {100 * shown['ci_low']:.1f}–"
                            f"{100 * shown['ci_high']:.1f}; {pooled.k} studies)")
                if pooled.note:
                    estimate = (f"not pooled ({pooled.note}): " + " and ".join(
                        f"{self.names[r['study_id']]} {_pct(r['percent'])}% ({synthesis.SOURCE_SHORT[r['source']]})"
                        for r in members.to_dict("records")) + f"; common-effect summary, sensitivity only: {estimate}")
                parts.append(f"{_lower_first(self.setting_label(group))}: {estimate}")
            facts[f"{endpoint.lower()}_landmark_pooled"] = "; ".join(parts) or "not estimable in any setting"
        return facts

    def glue_survival_facts(self) -> None:
        glue_facts(self.survival_facts())

    def write_survival_results(self, path: str | Path) -> None:
        rows = []
        for endpoint, frame in self.landmark_tables.items():
            for r in frame.to_dict("records"):
                rows.append(self._result("synthesis/survival", r["arm"], r["population"], endpoint,
                                         f"landmark_percent_{LANDMARK_MONTHS:g}_months ({r['study_id']})",
                                         r["percent"], method=f"Kaplan-Meier, {r['method']}", printed=r["printed"],
                                         data_file=f"studies/{r['study_id']}/outcomes.csv", data_row=r["data_rows"]))
            for group, pooled, members in self.landmark_pools(endpoint):
                shown = pooled.transformed(special.expit)
                base = {"method": f"{pooled.model} on logit reconstructed KM; studies: {', '.join(pooled.labels)}"}
                rows.append(self._result("synthesis/survival", group, "anlotinib arms", endpoint,
                                         f"pooled_landmark_percent_{LANDMARK_MONTHS:g}_months", 100 * shown["estimate"],
                                         100 * shown["ci_low"], 100 * shown["ci_high"], **base))
                rows.append(self._result("synthesis/survival", group, "anlotinib arms", endpoint,
                                         "prediction_interval_percent", math.nan, 100 * shown["pi_low"],
                                         100 * shown["pi_high"], **base))
                rows.append(self._result("synthesis/survival", group, "anlotinib arms", endpoint, "tau2_logit",
                                         pooled.tau2, **base))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))

    # ------------------------------------------------------------------ safety

    @cached_property
    def safety_rates(self) -> pd.DataFrame:
        return synthesis.safety_rates(self.main_studies, self.vocabulary)

    @cached_property
    def grade3(self) -> pd.DataFrame:
        return synthesis.grade3_rates(self.main_studies, self.vocabulary)

    @cached_property
    def grade3_pools(self) -> pd.DataFrame:
        return synthesis.pooled_table(self.grade3, "grade ≥3 adverse events", self.order, by_definition=True)

    def heatmap(self, band: str):
        import matplotlib.pyplot as plt

        from .plotting import describe, plot_ae_heatmap

        matrix = synthesis.heatmap_matrix(self.safety_rates, band)
        fig, ax = plt.subplots(figsize=(8, 0.3 * max(len(matrix), 4) + 1.8))
        if matrix.empty:
            ax.set_axis_off()
            return describe(fig, f"No study of the main analyses prints {band} adverse events by term.")
        matrix = matrix.rename(columns=lambda c: self._arm_column_label(c))
        plot_ae_heatmap(matrix, ax=ax)
        ax.set_title(f"Adverse events, {band}: patients (%) per term; grey = not printed", loc="left")
        fig.tight_layout()
        top = matrix.max(axis=1).sort_values(ascending=False).head(8)
        return describe(fig, f"Heatmap of {band} adverse events: {len(matrix)} harmonised terms (rows) by study arm "
                             f"(columns: {', '.join(matrix.columns)}); grey cells are terms a study does not print. "
                             "Highest rates: " + "; ".join(
                                 f"{term} {matrix.loc[term].max():.0f}% ({matrix.loc[term].idxmax()})"
                                 for term in top.index) + ".")

    def _arm_column_label(self, column: str) -> str:
        """'li2022: anlotinib plus TP' -> 'Li 2022: anlotinib plus TP'."""
        study_id, _, arm = column.partition(": ")
        return f"{self.names.get(study_id, study_id)}: {arm}" if arm else column

    def grade3_table(self):
        rates = self.grade3
        shown = pd.DataFrame({
            "Setting": [self.setting_label(g) for g in rates["setting_group"]],
            "Study": [self._study_link(s) for s in rates["study_id"]], "Arm": rates["arm_label"],
            "Events counted": rates["category"],
            "Patients with grade ≥3": [f"{e}/{t}" + (" (count implied)" if o == "implied" else "")
                                       for e, t, o in zip(rates["events"], rates["total"], rates["count_origin"])],
            "Counts over": [synthesis.response_denominator(self._study(s)) for s in rates["study_id"]],
            "Rate % (exact 95% CI)": [f"{_pct(r)} ({_interval(lo, hi)})" for r, lo, hi in
                                      zip(rates["percent"], rates["exact_low"], rates["exact_high"])],
            "Data": [row_links(s, "adverse_events.csv", r) for s, r in zip(rates["study_id"], rates["data_row"])],
        })
        return tables_by(shown, "Setting", empty="No study prints the share of patients with any grade ≥3 event.")

    def grade3_pooled_table(self):
        return self.pooled_table_view(self.grade3_pools)

    def grade3_forest(self):
        return self.rate_forest(self.grade3, self.grade3_pools, "Any grade ≥3 adverse event, anlotinib-containing arms",
                                xlabel="Patients with a grade ≥3 adverse event (%)")

    def deaths_table(self):
        """Every study's deaths from adverse events (grade 5), as printed, per arm; a study that
        says nothing about grade 5 is named as such."""
        from ..statistics.safety import grade5_events

        rows, silent = [], []
        for study in self.studies:
            deaths = grade5_events(study)
            if deaths.empty:
                silent.append(study.name)
                continue
            for d in deaths.to_dict("records"):
                arm = study.arms.get(d["arm"], {}).get("label", "All patients")
                rows.append({
                    "Study": study_link(study),
                    "Arm": arm, "Term": "Any adverse event" if d["term"] == "Any" else d["term"],
                    "Deaths, as printed": d["deaths"], "Patients": d["denominator"],
                    "Data": data_link(study.study_id, "adverse_events.csv", int(d["row"]))})
        parts = [table(pd.DataFrame(rows), "Deaths from adverse events (grade 5), as each report prints them",
                       empty="No study reports grade 5 events.")]
        if silent:
            parts.append(paragraph("Not reported (the report says nothing about grade 5 events): "
                                   + ", ".join(silent) + "."))
        return html_block(*parts)

    def class_effect_table(self):
        rates = synthesis.class_effects(self.safety_rates)
        if rates.empty:
            return paragraph("No study prints a class-effect term.")
        pivot = rates.assign(value=[f"{_pct(p)}%" + ("" if pd.notna(c) else " (printed %)") for p, c in
                                    zip(rates["percent"], rates["count"])])
        pivot = pivot.pivot_table(index=["term", "band"], columns=pivot["study_id"] + ": " + pivot["arm_label"],
                                  values="value", aggfunc="first", fill_value="not printed")
        return table(pivot.reset_index().rename(columns={"term": "Term", "band": "Band"}))

    def safety_facts(self) -> dict[str, object]:
        parts = []
        for group, members in synthesis.setting_groups(self.grade3, self.order):
            if group == synthesis.ALL_SETTINGS:
                continue
            sentence = self._pool_sentence(self.grade3_pools, group, self.grade3)
            if sentence:
                parts.append(f"{_lower_first(self.setting_label(group))}: {sentence}")
            else:
                r = members.iloc[0]
                parts.append(f"{_lower_first(self.setting_label(group))}: one study only ({self.names[r['study_id']]}, "
                             f"{_pct(r['percent'])}%)")
        terms = synthesis.heatmap_matrix(self.safety_rates, ANY_GRADE)
        return {"safety_n_studies": int(self.safety_rates["study_id"].nunique()) if not self.safety_rates.empty else 0,
                "safety_n_terms": len(terms), "grade3_by_setting": "; ".join(parts) or "not estimable",
                "grade3_categories": ", ".join(synthesis.definition_label(c) for c in sorted(set(self.grade3["category"])))
                or "none"}

    def glue_safety_facts(self) -> None:
        glue_facts(self.safety_facts())

    def write_safety_results(self, path: str | Path) -> None:
        rows = self._pooled_results("synthesis/safety", self.grade3_pools, "anlotinib arms, safety population")
        for r in self.grade3.to_dict("records"):
            rows.append(self._result("synthesis/safety", r["arm"], r["population"],
                                     f"any grade ≥3 {r['category']} ({r['study_id']})", "percent", r["percent"],
                                     r["exact_low"], r["exact_high"], f"{r['count_origin']} count/denominator, "
                                     "Clopper-Pearson CI", r["printed"], f"studies/{r['study_id']}/adverse_events.csv",
                                     r["data_row"]))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))

    # ------------------------------------------------------------------ context

    @cached_property
    def benchmarks(self) -> pd.DataFrame:
        spec = load_dictionary().vocabularies["benchmarks"]
        path = self.data_dir / spec.file
        return read_csv_text(path) if path.exists() else pd.DataFrame()

    @staticmethod
    def benchmark_link(row: dict) -> Link | str:
        """The publication a benchmark is cited to: its DOI link, else its PubMed record, else the
        citation as text."""
        citation = row["citation"]
        short = citation.split(". ")[0] if len(citation) > 60 else citation
        if row["doi"]:
            return Link(short, doi_link(row["doi"]).href, citation)
        if row["pmid"]:
            return Link(short, f"https://pubmed.ncbi.nlm.nih.gov/{row['pmid']}/", citation)
        return citation

    def benchmark_table(self, setting_group: str):
        frame = self.benchmarks
        if frame.empty:
            return paragraph("No benchmark table is curated.")
        frame = frame[frame["setting_group"] == setting_group]
        spec = load_dictionary().vocabularies["benchmarks"]
        status_column = next(c for c in spec.columns if c.name == "status")
        endpoint_column = next(c for c in spec.columns if c.name == "endpoint")
        measure_column = next(c for c in spec.columns if c.name == "measure")

        def value(r):
            if r["status"] == "unconfirmed":
                return "not confirmed (no value shown)"
            unit = {"percent": "%", "months": " months", "ratio": ""}[r["unit"]]
            ci = f" ({r['ci_low']}–{r['ci_high']}, {r['ci_level'] or '95'}% CI)" if r["ci_low"] else ""
            return f"{r['estimate']}{unit}{ci}"
        records = frame.to_dict("records")
        shown = pd.DataFrame({
            "Trial": frame["trial"],
            "Arm (population)": [f"{r['arm']}" + (f", n = {r['n']}" if r["n"] else "") + f" ({r['population']})"
                                 for r in records],
            "Endpoint": [f"{endpoint_column.label(r['endpoint'])}, {measure_column.label(r['measure'])}"
                         for r in records],
            "Value": [value(r) + ("" if r["status"] == "confirmed" else f" ({status_column.label(r['status'])})")
                      for r in records],
            "Publication": [self.benchmark_link(r) for r in records],
        })
        quotes = pd.DataFrame({"Trial": frame["trial"], "Number": shown["Value"],
                               "Where, as printed": [Rich(f"{r['source']}: “{r['quote']}”") if r["quote"]
                                                     else Rich(r["note"]) for r in records]})
        if shown.empty:
            return paragraph("No benchmark for this setting.")
        return html_block(tables_by(shown, "Trial"),
                          details("The words of each publication that print these numbers", table(quotes).data))

    def context_facts(self) -> dict[str, object]:
        frame = self.benchmarks
        counts = frame["status"].value_counts() if not frame.empty else pd.Series(dtype=int)
        return {"bench_n_trials": int(frame["trial"].nunique()) if not frame.empty else 0,
                "bench_n_rows": len(frame), "bench_n_confirmed": int(counts.get("confirmed", 0)),
                "bench_n_cited": int(counts.get("cited_by_included_paper", 0)),
                "bench_n_unconfirmed": int(counts.get("unconfirmed", 0)),
                "orr_by_setting": self._settings_sentence("ORR")}

    def glue_context_facts(self) -> None:
        glue_facts(self.context_facts())

    # ------------------------------------------------------------------ bias, integrity, certainty

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

        from .plotting import describe, plot_traffic_light

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
        """Pooled ORR, DCR and grade >=3 per setting: the main analysis, with the studies kept
        for sensitivity analyses added, and with every study (the excluded ones too)."""
        frames = []
        variants = [("main analysis", self.main_studies),
                    ("with sensitivity-only studies", sensitivity_analysis_studies(self.studies)),
                    ("with excluded studies", self.studies)]
        for variant, studies in variants:
            for endpoint in ("ORR", "DCR"):
                rates = synthesis.arm_rates(studies, endpoint)
                frames.append(synthesis.pooled_table(rates, endpoint, self.order).assign(variant=variant))
            rates = synthesis.grade3_rates(studies, self.vocabulary)
            frames.append(synthesis.pooled_table(rates, "grade ≥3 adverse events", self.order,
                                                 by_definition=True).assign(variant=variant))
        frame = stack_rows(frames)
        return frame[frame["model"] == GLMM].reset_index(drop=True)

    def sensitivity_table(self):
        frame = self.sensitivity_pools
        shown = pd.DataFrame({
            "Pool": [f"{e}, {self.setting_label(g)}" for e, g in zip(frame["endpoint"], frame["group"])],
            "Analysis": frame["variant"],
            "Studies": [", ".join(self.names.get(s, s) for s in studies.split(", ")) for studies in frame["studies"]],
            "Pooled % (95% CI)": [f"{_pct(e)} ({_interval(lo, hi)})" for e, lo, hi in
                                  zip(frame["estimate"], frame["ci_low"], frame["ci_high"])],
            "I² (%)": frame["i2"].map(lambda v: f"{v:.1f}"),
            "Populations": [self._cohort_note(studies, e) for studies, e in zip(frame["studies"], frame["endpoint"])],
        }).sort_values(["Pool", "Analysis"], kind="stable")
        return tables_by(shown, "Pool", empty="Nothing to pool.")

    def _cohort_note(self, study_ids: str, endpoint: str) -> str:
        """Where a pool takes a study's rows from another cohort than its response rates (its
        unmatched safety cohort beside its matched efficacy cohort), the pool says so."""
        if endpoint != "grade ≥3 adverse events":
            return ""
        notes = []
        for study_id in str(study_ids).split(", "):
            study = self._study(study_id)
            safety, efficacy = synthesis.safety_population(study), synthesis.efficacy_population(study)
            if safety and synthesis.is_matched(study, efficacy) and not synthesis.is_matched(study, safety):
                notes.append(f"{self.names[study_id]}: adverse events from the "
                             f"{self.population_label(study_id, safety).lower()}, not from the "
                             f"{self.population_label(study_id, efficacy).lower()} its response rates come from")
        return "; ".join(notes)

    def grade_judgements(self):
        """Each graded finding's judgement per GRADE domain, with the estimate now computed; a
        judgement made on other studies than the analysis now uses is marked for revision."""
        from ..statistics.certainty import DOMAIN_LABELS, DOMAINS

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

    def summary_of_findings_tables(self):
        """Every setting's summary-of-findings tables (:func:`livingreview.pages.findings.summary_of_findings_html`),
        each under a heading a link can point to."""
        from IPython.display import HTML

        from .findings import _anchor, summary_of_findings_html

        names = {s.study_id: s.name for s in self.studies}
        parts = [f'<section class="lr-sof-setting"><h2 id="{_anchor(s.setting)}">{html.escape(s.setting)}</h2>'
                 f"{summary_of_findings_html(s, names, '..')}</section>" for s in self.findings.settings]
        return HTML("".join(parts))

    def ungraded_findings(self) -> list:
        """Reported findings without a certainty judgement (the SoF shows them as not graded)."""
        return [f for f in self.findings.all_findings() if f.reported and f.judgement is None]

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
        glue_facts(self.bias_facts())

    def write_bias_results(self, path: str | Path) -> None:
        rows = self._pooled_results("synthesis/bias_integrity_certainty",
                                    self.sensitivity_pools.assign(group=self.sensitivity_pools["group"] + " | "
                                                                  + self.sensitivity_pools["variant"]),
                                    "anlotinib arms")
        for finding in self.findings.all_findings():
            if finding.level is None:
                continue
            rows.append(self._result("synthesis/bias_integrity_certainty", finding.setting_group, "anlotinib arms",
                                     finding.outcome, CERTAINTY_STATISTIC, CERTAINTY_LEVELS.index(finding.level) + 1,
                                     math.nan, math.nan,
                                     f"GRADE, judged in certainty.yaml; studies: "
                                     f"{', '.join(v.study_id for v in finding.studies) or 'none'}"))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))
