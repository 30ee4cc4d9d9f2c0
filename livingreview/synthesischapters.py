"""The pooling chapters: response, comparative evidence, survival, safety, context, and risk
of bias, integrity and certainty. Statistics come from :mod:`livingreview.synthesis`; this
module chooses the studies (the integrity decisions), lays out tables and figures, and writes
every statistic to the chapter's results file."""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path

import pandas as pd
from scipy import special

from . import paths, synthesis
from .data import read_csv_text, read_yaml
from .dictionary import load_dictionary
from .display import Link, data_link, glue_facts, paragraph, table
from .integrity import (EXCLUDE, SENSITIVITY_EXCLUDE, load_checks, load_screen, main_analysis_studies,
                        screen_table, sensitivity_studies)
from .integrity import decision as integrity_decision
from .meta import GLMM
from .reconstruct import compare_arms, survival_inputs
from .results import CERTAINTY_LEVELS, CERTAINTY_STATISTIC, RESULT_COLUMNS, write_results
from .risk_of_bias import load_judgement, load_tools
from .safety import ANY_GRADE
from .synthesispage import SynthesisPage

PERCENT = "{:.1f}"
GRADE_DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
OUTCOME_LABELS = {"ORR": "Objective response rate", "DCR": "Disease control rate",
                  "OS at 12 months": "Overall survival at 12 months", "PFS at 12 months": "PFS at 12 months",
                  "grade3": "Grade ≥3 adverse events", "ORR odds ratio": "ORR, anlotinib vs control (odds ratio)",
                  "PFS hazard ratio": "PFS, anlotinib vs control (hazard ratio)",
                  "OS hazard ratio": "OS, anlotinib vs control (hazard ratio)"}
LANDMARK_MONTHS = 12.0


def _pct(value: float) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else PERCENT.format(value)


def _interval(low: float, high: float, digits: int = 1) -> str:
    return f"{low:.{digits}f}–{high:.{digits}f}"


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
    def excluded_studies(self) -> list[str]:
        return [s.study_id for s in self.studies if integrity_decision(s) == EXCLUDE]

    def exclusion_note(self):
        if not self.excluded_studies:
            return paragraph("Every included study enters the analyses below.")
        return paragraph("Left out of every pooled and comparative analysis after the integrity screen: "
                         + ", ".join(self.excluded_studies) + " (see the chapter 'Risk of bias, integrity and "
                         "certainty'); their pages keep their data as printed.", css_class="lr-warning")

    def _study_link(self, study_id: str) -> Link:
        return Link(study_id, f"../studies/{study_id}.html")

    @staticmethod
    def _result(scope: str, arm: str, population: str, endpoint: str, statistic: str, estimate: float,
                low: float = math.nan, high: float = math.nan, method: str = "", printed: str = "",
                data_file: str = "", data_row: str = "") -> dict:
        return {"scope": scope, "arm": arm, "population": population, "endpoint": endpoint,
                "statistic": statistic, "estimate": estimate, "ci_low": low, "ci_high": high, "method": method,
                "printed": printed, "data_file": data_file, "data_row": data_row}

    # ------------------------------------------------------------------ response

    @cached_property
    def response_rates(self) -> dict[str, pd.DataFrame]:
        return {e: synthesis.arm_rates(self.main_studies, e) for e in ("ORR", "DCR")}

    @cached_property
    def response_pools(self) -> dict[str, pd.DataFrame]:
        return {e: synthesis.pooled_table(r, e, self.order) for e, r in self.response_rates.items()}

    def _pool_sentence(self, pools: pd.DataFrame, group: str) -> str:
        chosen = pools[(pools["group"] == group) & (pools["model"] == GLMM)]
        if chosen.empty:
            return ""
        p = chosen.iloc[0]
        return (f"{_pct(p['estimate'])}% (95% CI {_interval(p['ci_low'], p['ci_high'])}; prediction interval "
                f"{_interval(p['pi_low'], p['pi_high'])}; {p['k']} studies, {p['patients']} patients)")

    def _settings_sentence(self, endpoint: str) -> str:
        pools = self.response_pools[endpoint]
        rates = self.response_rates[endpoint]
        parts = []
        for group, members in synthesis.setting_groups(rates, self.order):
            if group == synthesis.ALL_SETTINGS:
                continue
            label = _lower_first(self.setting_label(group))
            if len(members) >= synthesis.MIN_POOLED_STUDIES:
                parts.append(f"{label}: {self._pool_sentence(pools, group)}")
            else:
                r = members.iloc[0]
                parts.append(f"{label}: one study only ({r['study_id']}, {r['events']}/{r['total']}, "
                             f"{_pct(r['percent'])}%), not pooled")
        return "; ".join(parts) if parts else "no study reports it"

    def response_facts(self) -> dict[str, object]:
        facts: dict[str, object] = {"resp_n_studies": len(self.main_studies),
                                    "resp_n_excluded": len(self.excluded_studies)}
        for endpoint in ("ORR", "DCR"):
            key = endpoint.lower()
            facts[f"{key}_by_setting"] = self._settings_sentence(endpoint)
            facts[f"{key}_all_settings"] = self._pool_sentence(self.response_pools[endpoint],
                                                               synthesis.ALL_SETTINGS) or "not estimable"
            test = synthesis.subgroup_difference(self.response_rates[endpoint], self.order)
            facts[f"{key}_between_settings"] = (
                "not testable (fewer than two settings with a pooled estimate)" if test is None else
                f"Q = {test['q']:.1f} on {test['df']} degrees of freedom, p = {test['p']:.2g}")
        return facts

    def glue_response_facts(self) -> None:
        glue_facts(self.response_facts())

    def rate_table(self, endpoint: str):
        """Each study arm's count, denominator and exact CI, linked to its data row."""
        rates = self.response_rates[endpoint]
        shown = pd.DataFrame({
            "Setting": [self.setting_label(g) for g in rates["setting_group"]],
            "Study": [self._study_link(s) for s in rates["study_id"]], "Arm": rates["arm_label"],
            "Population": rates["population"], "Responders": rates["events"], "Patients": rates["total"],
            "Count": rates["count_origin"], "Rate (%)": rates["percent"].map(_pct),
            "Exact 95% CI": [_interval(lo, hi) for lo, hi in zip(rates["exact_low"], rates["exact_high"])],
            "Printed (%)": rates["printed"],
            "Data": [data_link(s, f, r, q) for s, f, r, q in
                     zip(rates["study_id"], rates["data_file"], rates["data_row"], rates["quote"])],
        })
        return table(shown, empty=f"No study reports {endpoint} with a count.")

    def pooled_table_view(self, pools: pd.DataFrame):
        shown = pd.DataFrame({
            "Setting": [self.setting_label(g) for g in pools["group"]], "Model": pools["model"],
            "Studies": pools["k"], "Patients": pools["patients"],
            "Pooled (%)": pools["estimate"].map(_pct),
            "95% CI": [_interval(lo, hi) for lo, hi in zip(pools["ci_low"], pools["ci_high"])],
            "95% prediction interval": [_interval(lo, hi) for lo, hi in zip(pools["pi_low"], pools["pi_high"])],
            "tau²": pools["tau2"].map(lambda v: f"{v:.3f}"), "I² (%)": pools["i2"].map(lambda v: f"{v:.1f}"),
        })
        return table(shown, empty="No setting has two or more studies to pool.")

    def response_pooled_table(self, endpoint: str):
        return self.pooled_table_view(self.response_pools[endpoint])

    def forest_rows(self, rates: pd.DataFrame, pools: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for group, members in synthesis.setting_groups(rates, self.order):
            if group == synthesis.ALL_SETTINGS:
                continue
            rows.append({"label": self.setting_label(group), "kind": "heading"})
            for r in members.to_dict("records"):
                rows.append({"label": f"{r['study_id']} ({r['events']}/{r['total']})", "kind": "study",
                             "estimate": r["percent"], "ci_low": r["exact_low"], "ci_high": r["exact_high"],
                             "total": r["total"]})
            pooled = pools[(pools["group"] == group) & (pools["model"] == GLMM)]
            for p in pooled.to_dict("records"):
                rows.append({"label": "Pooled (GLMM)", "kind": "pooled", **{k: p[k] for k in
                             ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")}})
        return pd.DataFrame(rows)

    def rate_forest(self, rates: pd.DataFrame, pools: pd.DataFrame, title: str):
        from .plotting import rate_forest_figure

        return rate_forest_figure(self.forest_rows(rates, pools), width=8, row_height=0.4, margin=1, title=title)

    def response_forest(self, endpoint: str):
        return self.rate_forest(self.response_rates[endpoint], self.response_pools[endpoint],
                                f"{endpoint} of anlotinib-containing arms: exact 95% CIs, pooled within setting "
                                "(diamond: 95% CI; dashed: 95% prediction interval)")

    def leave_one_out_view(self, endpoint: str):
        frame = synthesis.leave_one_out_table(self.response_rates[endpoint], endpoint, self.order)
        shown = pd.DataFrame({
            "Pool": [self.setting_label(g) for g in frame["group"]], "Left out": frame["left_out"],
            "Pooled (%)": frame["estimate"].map(_pct),
            "95% CI": [_interval(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"])],
            "I² (%)": frame["i2"].map(lambda v: f"{v:.1f}"),
        })
        return table(shown, empty="No pool has three or more studies, so leave-one-out does not apply.")

    def _pooled_results(self, scope: str, pools: pd.DataFrame, population: str) -> list[dict]:
        rows = []
        for p in pools.to_dict("records"):
            base = {"scope": scope, "arm": p["group"], "population": population, "endpoint": p["endpoint"],
                    "method": f"{p['model']}; studies: {p['studies']}", "printed": "",
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

    def _integrity_label(self, study_id: str) -> str:
        study = next(s for s in self.studies if s.study_id == study_id)
        return {EXCLUDE: "excluded (integrity)", SENSITIVITY_EXCLUDE: "flagged (integrity)"}.get(
            integrity_decision(study), "")

    @cached_property
    def comparison_rows(self) -> pd.DataFrame:
        """Every between-arm estimate: OR for ORR from counts, printed HRs, reconstructed HRs."""
        rows = []
        for r in self.odds_ratios.to_dict("records"):
            rows.append({"study_id": r["study_id"], "endpoint": "ORR", "measure": "odds ratio",
                         "source": f"computed from counts ({r['events_arm']}/{r['total_arm']} vs "
                                   f"{r['events_control']}/{r['total_control']}), Wald CI",
                         "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
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
        return frame.sort_values(["endpoint", "study_id"], kind="stable").reset_index(drop=True)

    def comparison_table(self):
        frame = self.comparison_rows
        if frame.empty:
            return paragraph("No study compares an anlotinib arm with a control arm.")
        shown = pd.DataFrame({
            "Endpoint": frame["endpoint"], "Study": [self._study_link(s) for s in frame["study_id"]],
            "Population": frame["population"], "Measure": frame["measure"], "Source": frame["source"],
            "Estimate (CI)": [f"{e:.2f} ({lo:.2f}–{hi:.2f}, {lvl}%)" for e, lo, hi, lvl in
                              zip(frame["estimate"], frame["ci_low"], frame["ci_high"], frame["ci_level"])],
            "outcomes.csv rows": frame["data_rows"], "Integrity": frame["integrity"],
        })
        return table(shown)

    def comparison_forest(self):
        import matplotlib.pyplot as plt

        from .plotting import plot_forest

        frame = self.comparison_rows
        fig, ax = plt.subplots(figsize=(8, 0.35 * max(len(frame), 3) + 1.2))
        if frame.empty:
            ax.set_axis_off()
            return fig
        frame = frame.assign(label=[f"{s} {e} {m}: {src}" + (f" [{i}]" if i else "") for s, e, m, src, i in
                                    zip(frame["study_id"], frame["endpoint"], frame["measure"], frame["source"],
                                        frame["integrity"])])
        plot_forest(frame, ax=ax, xlabel="Ratio, anlotinib arm vs control (log scale; < 1 favours anlotinib "
                                         "for HR, > 1 for OR)")
        ax.set_title("Between-arm estimates, not pooled (different settings and designs)", loc="left", fontsize=10)
        fig.tight_layout()
        return fig

    def comparative_facts(self) -> dict[str, object]:
        frame = self.comparison_rows
        main = frame[frame["integrity"] != "excluded (integrity)"] if not frame.empty else frame
        return {"comp_n_studies": int(frame["study_id"].nunique()) if not frame.empty else 0,
                "comp_n_main": int(main["study_id"].nunique()) if not main.empty else 0,
                "comp_studies": ", ".join(sorted(frame["study_id"].unique())) if not frame.empty else "none"}

    def glue_comparative_facts(self) -> None:
        glue_facts(self.comparative_facts())

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

        from .plotting import plot_km_overlay

        curves = [(f"{s.study_id}: {synthesis.arm_label(s, a.inputs.arm)}", self.setting_label(s.meta["setting_group"]),
                   a) for s, a in self.survival_arms
                  if a.inputs.endpoint == endpoint and a.inputs.arm in synthesis.anlotinib_arms(s)]
        fig, ax = plt.subplots(figsize=(8.5, 4.8))
        if not curves:
            ax.set_axis_off()
            return fig
        plot_km_overlay(curves, ax=ax)
        ax.set_title(f"{endpoint} of anlotinib-containing arms, line style by setting", loc="left", fontsize=10)
        fig.tight_layout()
        return fig

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
                rows.append({
                    "Setting": self.setting_label(study.meta["setting_group"]),
                    "Study": self._study_link(study.study_id), "Arm": synthesis.arm_label(study, inputs.arm),
                    "Endpoint": inputs.endpoint, "Patients": printed.n,
                    "Median printed (months)": "" if printed.median is None else
                    f"{printed.median:g}" + (f" ({inputs.median_ci_printed})" if inputs.median_ci_printed else ""),
                    "Landmarks printed": "; ".join(f"{t:g} mo: {v:g}%" for t, v in printed.landmarks),
                    "Median reconstructed": "" if arm is None or math.isnan(arm.median) else f"{arm.median:.1f}",
                    "Reconstruction": "rebuilt" if arm is not None else inputs.missing,
                    "outcomes.csv rows": ", ".join(map(str, inputs.rows)),
                })
        return table(pd.DataFrame(rows), empty="No study prints survival summaries.")

    @cached_property
    def landmark_tables(self) -> dict[str, pd.DataFrame]:
        return {e: synthesis.landmark_table(self.survival_arms, e, LANDMARK_MONTHS) for e in ("OS", "PFS")}

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
        for r in frame.to_dict("records"):
            rows.append({"Setting": self.setting_label(r["setting_group"]), "Study": self._study_link(r["study_id"]),
                         "Arm": r["arm_label"], f"{LANDMARK_MONTHS:g}-month rate, reconstructed (%)": _pct(r["percent"]),
                         "SE (%)": _pct(r["se_percent"]), "Printed (%)": r["printed"] or "not printed"})
        for group, pooled, members in self.landmark_pools(endpoint):
            shown = pooled.transformed(special.expit)
            rows.append({"Setting": self.setting_label(group), "Study": "Pooled (REML, Hartung-Knapp)",
                         "Arm": f"{pooled.k} studies",
                         f"{LANDMARK_MONTHS:g}-month rate, reconstructed (%)":
                             f"{100 * shown['estimate']:.1f} (95% CI {100 * shown['ci_low']:.1f}–"
                             f"{100 * shown['ci_high']:.1f}; PI {100 * shown['pi_low']:.1f}–{100 * shown['pi_high']:.1f})",
                         "SE (%)": "", "Printed (%)": f"I² {pooled.i2:.1f}%, tau² {pooled.tau2:.3f}"})
        return table(pd.DataFrame(rows), empty="No reconstruction reaches this landmark.")

    def survival_facts(self) -> dict[str, object]:
        facts = {"surv_n_arms": len(self.survival_arms), "landmark_months": f"{LANDMARK_MONTHS:g}"}
        for endpoint in ("OS", "PFS"):
            parts = []
            for group, pooled, members in self.landmark_pools(endpoint):
                shown = pooled.transformed(special.expit)
                parts.append(f"{_lower_first(self.setting_label(group))}: {100 * shown['estimate']:.1f}% (95% CI "
                             f"{100 * shown['ci_low']:.1f}–{100 * shown['ci_high']:.1f}; {pooled.k} studies)")
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
        return synthesis.pooled_table(self.grade3, "grade ≥3 adverse events", self.order)

    def heatmap(self, band: str):
        import matplotlib.pyplot as plt

        from .plotting import plot_ae_heatmap

        matrix = synthesis.heatmap_matrix(self.safety_rates, band)
        fig, ax = plt.subplots(figsize=(9, 0.22 * max(len(matrix), 4) + 1.5))
        if matrix.empty:
            ax.set_axis_off()
            return fig
        plot_ae_heatmap(matrix, ax=ax)
        ax.set_title(f"Adverse events, {band}: patients (%) per harmonised term; grey = not printed",
                     loc="left", fontsize=10)
        fig.tight_layout()
        return fig

    def grade3_table(self):
        rates = self.grade3
        shown = pd.DataFrame({
            "Setting": [self.setting_label(g) for g in rates["setting_group"]],
            "Study": [self._study_link(s) for s in rates["study_id"]], "Arm": rates["arm_label"],
            "Events counted": rates["category"], "Patients with grade ≥3": rates["events"],
            "Patients": rates["total"], "Count": rates["count_origin"], "Rate (%)": rates["percent"].map(_pct),
            "Exact 95% CI": [_interval(lo, hi) for lo, hi in zip(rates["exact_low"], rates["exact_high"])],
            "adverse_events.csv rows": rates["data_row"],
        })
        return table(shown, empty="No study prints the share of patients with any grade ≥3 event.")

    def grade3_pooled_table(self):
        return self.pooled_table_view(self.grade3_pools)

    def grade3_forest(self):
        return self.rate_forest(self.grade3, self.grade3_pools, "Any grade ≥3 adverse event, anlotinib-containing arms")

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
            sentence = self._pool_sentence(self.grade3_pools, group)
            if sentence:
                parts.append(f"{_lower_first(self.setting_label(group))}: {sentence}")
            else:
                r = members.iloc[0]
                parts.append(f"{_lower_first(self.setting_label(group))}: one study only ({r['study_id']}, "
                             f"{_pct(r['percent'])}%)")
        terms = synthesis.heatmap_matrix(self.safety_rates, ANY_GRADE)
        return {"safety_n_studies": int(self.safety_rates["study_id"].nunique()) if not self.safety_rates.empty else 0,
                "safety_n_terms": len(terms), "grade3_by_setting": "; ".join(parts) or "not estimable",
                "grade3_categories": ", ".join(sorted(set(self.grade3["category"]))) or "none"}

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

    def benchmark_table(self, setting_group: str):
        frame = self.benchmarks
        if frame.empty:
            return paragraph("No benchmark table is curated.")
        frame = frame[frame["setting_group"] == setting_group]
        def value(r):
            if r["status"] == "unconfirmed":
                return "unconfirmed (no value)"
            unit = {"percent": "%", "months": " mo", "ratio": ""}[r["unit"]]
            ci = f" ({r['ci_low']}–{r['ci_high']}, {r['ci_level'] or '95'}% CI)" if r["ci_low"] else ""
            return f"{r['estimate']}{unit}{ci}"
        shown = pd.DataFrame({
            "Trial": frame["trial"], "Arm": frame["arm"], "n": frame["n"], "Endpoint": frame["endpoint"],
            "Measure": frame["measure"], "Value": [value(r) for r in frame.to_dict("records")],
            "Status": frame["status"].str.replace("_", " "), "Population": frame["population"],
            "Source": [Link(r["source"] or "source", r["source_url"], r["quote"]) if r["source_url"] else
                       (r["source"] or "") for r in frame.to_dict("records")],
        })
        return table(shown, empty="No benchmark for this setting.")

    def context_facts(self) -> dict[str, object]:
        frame = self.benchmarks
        counts = frame["status"].value_counts() if not frame.empty else pd.Series(dtype=int)
        return {"bench_n_trials": int(frame["trial"].nunique()) if not frame.empty else 0,
                "bench_n_rows": len(frame), "bench_n_confirmed": int(counts.get("confirmed", 0)),
                "bench_n_secondary": int(counts.get("secondary", 0)),
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
            for d in judgement["domains"]:
                rows.append({"tool": tool["name"], "study_id": study.study_id,
                             "domain": labels[d["domain"]], "judgement": str(d["judgement"])})
            rows.append({"tool": tool["name"], "study_id": study.study_id, "domain": "Overall",
                         "judgement": str(judgement["overall"]["judgement"])})
        return pd.DataFrame(rows)

    def traffic_light(self):
        import matplotlib.pyplot as plt

        from .plotting import plot_traffic_light

        frame = self.traffic_light_frame()
        if frame.empty:
            return None
        tools = list(dict.fromkeys(frame["tool"]))
        fig, axes = plt.subplots(len(tools), 1, squeeze=False,
                                 figsize=(9, sum(0.5 * frame.loc[frame["tool"] == t, "study_id"].nunique() + 2.6
                                                 for t in tools)))
        for ax, tool in zip(axes[:, 0], tools):
            plot_traffic_light(frame[frame["tool"] == tool], ax=ax)
            ax.set_title(f"Risk of bias: {tool}", loc="left", fontsize=10)
        fig.tight_layout()
        return fig

    @cached_property
    def integrity_checks(self) -> dict[str, dict]:
        return load_checks(self.data_dir)

    def integrity_table(self):
        frame = screen_table(self.studies, self.integrity_checks)
        frame["study_id"] = [self._study_link(s) for s in frame["study_id"]]
        return table(frame.rename(columns={"study_id": "Study", "decision": "Decision"}))

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
                        "Finding": check["summary"] if i == 0 else "",
                        "Evidence": (Link(e.get("doi") or e["url"], e["url"], e["quote"]) if "url" in e
                                     else f"{e['source']}: “{e['quote']}”"),
                        "Quoted": e["quote"] if "url" in e else "",
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
        """Pooled ORR, DCR and grade >=3 per setting: main analysis, without flagged studies,
        and with the excluded studies put back."""
        frames = []
        variants = [("main analysis", self.main_studies), ("without flagged studies", sensitivity_studies(self.studies)),
                    ("with excluded studies", self.studies)]
        for variant, studies in variants:
            for endpoint in ("ORR", "DCR"):
                rates = synthesis.arm_rates(studies, endpoint)
                frames.append(synthesis.pooled_table(rates, endpoint, self.order).assign(variant=variant))
            rates = synthesis.grade3_rates(studies, self.vocabulary)
            frames.append(synthesis.pooled_table(rates, "grade ≥3 adverse events", self.order).assign(variant=variant))
        frame = pd.concat(frames, ignore_index=True)
        return frame[frame["model"] == GLMM].reset_index(drop=True)

    def sensitivity_table(self):
        frame = self.sensitivity_pools
        shown = pd.DataFrame({
            "Endpoint": frame["endpoint"], "Setting": [self.setting_label(g) for g in frame["group"]],
            "Analysis": frame["variant"], "Studies": frame["studies"],
            "Pooled (%)": frame["estimate"].map(_pct),
            "95% CI": [_interval(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"])],
            "I² (%)": frame["i2"].map(lambda v: f"{v:.1f}"),
        }).sort_values(["Endpoint", "Setting", "Analysis"], kind="stable")
        return table(shown, empty="Nothing to pool.")

    @cached_property
    def certainty(self) -> list[dict]:
        path = self.data_dir / paths.CERTAINTY_FILE_NAME
        return read_yaml(path)["outcomes"] if path.exists() else []

    def _current_studies(self, outcome: str, group: str) -> list[str]:
        if outcome in ("ORR", "DCR"):
            rates = self.response_rates[outcome]
        elif outcome == "grade3":
            rates = self.grade3
        elif outcome.endswith("at 12 months"):
            rates = self.landmark_tables[outcome.split(" ")[0]]
        else:
            frame = self.comparison_rows
            endpoint = outcome.split(" ")[0]
            kept = frame[(frame["endpoint"] == endpoint) & (frame["integrity"] != "excluded (integrity)")]
            return sorted(s for s in kept["study_id"].unique()
                          if next(x for x in self.studies if x.study_id == s).meta["setting_group"] == group)
        if rates.empty:
            return []
        return sorted(rates.loc[rates["setting_group"] == group, "study_id"].unique())

    def _estimate_text(self, outcome: str, group: str) -> str:
        if outcome in ("ORR", "DCR", "grade3"):
            pools = self.grade3_pools if outcome == "grade3" else self.response_pools[outcome]
            sentence = self._pool_sentence(pools, group)
            if sentence:
                return sentence
            rates = self.grade3 if outcome == "grade3" else self.response_rates[outcome]
            single = rates[rates["setting_group"] == group]
            return "" if single.empty else f"{_pct(single['percent'].iloc[0])}% (one study)"
        if outcome.endswith("at 12 months"):
            for g, pooled, _ in self.landmark_pools(outcome.split(" ")[0]):
                if g == group:
                    shown = pooled.transformed(special.expit)
                    return (f"{100 * shown['estimate']:.1f}% (95% CI {100 * shown['ci_low']:.1f}–"
                            f"{100 * shown['ci_high']:.1f}), reconstructed")
            return ""
        frame = self.comparison_rows
        endpoint, measure = outcome.split(" ")[0], " ".join(outcome.split(" ")[1:])
        chosen = frame[(frame["endpoint"] == endpoint) & (frame["measure"] == measure)
                       & (frame["integrity"] != "excluded (integrity)")]
        return "; ".join(f"{r['study_id']} {r['source'].split(' (')[0]}: {r['estimate']:.2f} "
                         f"({r['ci_low']:.2f}–{r['ci_high']:.2f})" for r in chosen.to_dict("records"))

    def certainty_levels(self) -> list[tuple[dict, str, list[str], bool]]:
        """Per judged outcome: (judgement, certainty level, studies the analysis now uses,
        whether the judgement was made on other studies)."""
        levels = []
        for item in self.certainty:
            downgrades = sum(item[d]["downgrade"] for d in GRADE_DOMAINS)
            start = CERTAINTY_LEVELS.index("high" if item["start"] == "high" else "low")
            current = self._current_studies(item["outcome"], item["setting_group"])
            levels.append((item, CERTAINTY_LEVELS[max(start - downgrades, 0)], current,
                           sorted(current) != sorted(item["studies"])))
        return levels

    def summary_of_findings(self):
        """GRADE summary of findings: the estimate now computed, the judgement per domain, and
        the certainty that follows; a judgement made on other studies than the analysis now
        uses is marked for revision."""
        rows = []
        for item, level, current, stale in self.certainty_levels():
            rows.append({
                "Outcome": OUTCOME_LABELS.get(item["outcome"], item["outcome"]),
                "Setting": self.setting_label(item["setting_group"]),
                "Studies": ", ".join(current) or "none",
                "Estimate": self._estimate_text(item["outcome"], item["setting_group"]),
                **{d.replace("_", " ").capitalize(): ("−" * item[d]["downgrade"] or "no") + f": {item[d]['reason']}"
                   for d in GRADE_DOMAINS},
                "Certainty": level + (" (judged on " + ", ".join(item["studies"]) + "; revisit)" if stale else ""),
            })
        return table(pd.DataFrame(rows), empty="No certainty judgements are recorded (data/certainty.yaml).")

    def bias_facts(self) -> dict[str, object]:
        decisions = [integrity_decision(s) for s in self.studies]
        return {"int_n_screened": sum(1 for s in self.studies if load_screen(s.folder) is not None),
                "int_n_excluded": decisions.count(EXCLUDE), "int_n_flagged": decisions.count(SENSITIVITY_EXCLUDE),
                "int_excluded": ", ".join(self.excluded_studies) or "none",
                "int_flagged": ", ".join(s.study_id for s in self.studies
                                         if integrity_decision(s) == SENSITIVITY_EXCLUDE) or "none",
                "rob_n_judged": sum(1 for s in self.studies if load_judgement(s.folder) is not None),
                "sof_n_outcomes": len(self.certainty)}

    def glue_bias_facts(self) -> None:
        glue_facts(self.bias_facts())

    def write_bias_results(self, path: str | Path) -> None:
        rows = self._pooled_results("synthesis/bias_integrity_certainty",
                                    self.sensitivity_pools.assign(group=self.sensitivity_pools["group"] + " | "
                                                                  + self.sensitivity_pools["variant"]),
                                    "anlotinib arms")
        for item, level, current, _ in self.certainty_levels():
            rows.append(self._result("synthesis/bias_integrity_certainty", item["setting_group"], "anlotinib arms",
                                     item["outcome"], CERTAINTY_STATISTIC, CERTAINTY_LEVELS.index(level) + 1,
                                     math.nan, math.nan,
                                     f"GRADE, judged in certainty.yaml; studies: {', '.join(current) or 'none'}"))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))
