"""The survival chapter: Kaplan-Meier curves of the arms given the intervention, reconstructed
from the published summaries, the printed medians beside the reconstruction's, and the
landmark survival rates pooled within settings."""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path

import pandas as pd
from scipy import special

from ...analysis.records import analysis_id
from ...curated.integrity import MAIN
from ...results.table import RESULT_COLUMNS, write_results
from ...statistics.arms import arm_label, efficacy_population, intervention_arms
from ...statistics.landmarks import (PRINTED_RATE, PRINTED_WITH_CI, RECONSTRUCTED, SOURCE_SHORT, landmark_table,
                                     pool_landmarks)
from ...statistics.pooling import ALL_SETTINGS, setting_groups, short_model_label
from ...statistics.reconstruct import survival_inputs
from ..display import glue_facts, lower_first, row_links, tables_by
from .base import Chapter
from .formatting import pct
from .result_rows import result_row

LANDMARK_MONTHS = 12.0


def landmark_method(source: str, method: str) -> str:
    """How a landmark rate in a pool was obtained, by its true source: a rate the paper prints
    is labelled as printed (with where its SE comes from), and only a rate read off the
    reconstructed data is labelled as a Kaplan-Meier estimate of them. ``source`` is the
    landmark table's, ``method`` the reconstruction's (empty for an arm not reconstructed)."""
    if source == PRINTED_WITH_CI:
        return "as printed (rate and CI; SE from the printed CI)"
    if source == PRINTED_RATE:
        return f"as printed (rate); SE from the Kaplan-Meier estimate of data {method}"
    if source == RECONSTRUCTED:
        return f"Kaplan-Meier, {method}"
    raise ValueError(f"unknown landmark source: {source!r}")


def pooled_landmark_method(model: str) -> str:
    """The pool's model and what it pools: each study's rate as printed where the paper prints
    it, else read off the reconstructed data (each study's own row says which). The text
    names no study, so that adding one moves the pool rather than replacing it (What changed
    tells statistics apart by their method)."""
    return (f"{model} on logit {LANDMARK_MONTHS:g}-month rates (printed where printed, else Kaplan-Meier of "
            "reconstructed data)")


class SurvivalChapter(Chapter):
    """PFS and OS: reconstructed curves, printed and rebuilt medians, pooled landmark rates."""

    def survival_key_message(self):
        return self.key_message(("PFS", "OS"), f"Median survival of the {self.intervention.name}-containing arms, as printed:")

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

        from ..plotting import describe, km_overlay_height, plot_km_overlay

        curves = [(f"{s.name}: {arm_label(s, a.inputs.arm)}", self.setting_label(s.meta["setting_group"]),
                   a) for s, a in self.survival_arms
                  if a.inputs.endpoint == endpoint and a.inputs.arm in intervention_arms(s)]
        fig, ax = plt.subplots(figsize=(8, km_overlay_height(len(curves))))
        if not curves:
            ax.set_axis_off()
            return describe(fig, f"No {endpoint} curve of {self.intervention.with_article}-containing arm can be reconstructed.")
        plot_km_overlay(curves, ax=ax)
        ax.set_title(f"{endpoint} of {self.intervention.name}-containing arms, line style by setting", loc="left")
        fig.tight_layout()
        return describe(fig, f"Reconstructed Kaplan-Meier curves of {endpoint} for the {self.intervention.name}-containing arms "
                             "(rebuilt from published summaries, not patient records): " + "; ".join(
                                 f"{label} ({setting}), median "
                                 + ("not reached" if not math.isfinite(arm.median) else f"{arm.median:.1f} months")
                                 for label, setting, arm in curves) + ".")

    def survival_summary_table(self):
        """Per arm and endpoint: printed median (CI) and landmarks beside the reconstruction's."""
        rows = []
        reconstructed = {(s.study_id, a.inputs.arm, a.inputs.endpoint): a for s, a in self.survival_arms}
        for study in self.main_studies:
            population = efficacy_population(study)
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
                    "Arm, endpoint": f"{arm_label(study, inputs.arm)}, {inputs.endpoint} ({printed.n} patients)",
                    "Median printed (months)": "" if printed.median is None else
                    f"{printed.median:g}" + (f" ({inputs.median_ci_printed})" if inputs.median_ci_printed else ""),
                    "Landmarks printed": "; ".join(f"{t:g} mo: {v:g}%" for t, v in printed.landmarks),
                    "Median rebuilt": rebuilt,
                    "Data": row_links(study.study_id, "outcomes.csv", ", ".join(map(str, inputs.rows))),
                })
        return tables_by(pd.DataFrame(rows), "Setting", empty="No study prints survival summaries.")

    @cached_property
    def landmark_tables(self) -> dict[str, pd.DataFrame]:
        return {e: landmark_table(self.survival_arms, e, LANDMARK_MONTHS, self.main_studies)
                for e in ("OS", "PFS")}

    def landmark_pools(self, endpoint: str) -> list[tuple[str, object, pd.DataFrame]]:
        frame = self.landmark_tables[endpoint]
        found = []
        if frame.empty:
            return found
        for group, members in setting_groups(frame, self.order):
            if group == ALL_SETTINGS:
                continue
            pooled = pool_landmarks(members, self.pooling_rules, self.names)
            if pooled is not None:
                found.append((group, pooled, members))
        return found

    def landmark_view(self, endpoint: str):
        frame = self.landmark_tables[endpoint]
        rows = []
        used = f"{LANDMARK_MONTHS:g}-month rate used (%)"
        for r in frame.to_dict("records"):
            rows.append({"Setting": self.setting_label(r["setting_group"]), "Study": self._study_link(r["study_id"]),
                         "Arm": r["arm_label"], used: f"{pct(r['percent'])} (SE {pct(r['se_percent'])})",
                         "Source": r["source"],
                         "Printed (%)": (r["printed"] + (f" ({r['printed_ci']})" if r["printed_ci"] else ""))
                         or "not printed",
                         "Reconstructed (%)": pct(r["reconstructed_percent"]) or "not rebuilt",
                         "Data rows": row_links(r["study_id"], "outcomes.csv", r["data_rows"])})
        for group, pooled, members in self.landmark_pools(endpoint):
            shown = pooled.transformed(special.expit)
            if not pooled.estimable:  # side by side, no summary number, and why
                label, value, detail = "Not pooled", f"not pooled: {pooled.note}", ""
            else:
                label, value, detail = (f"Pooled ({short_model_label(pooled.model)})",
                                        f"{100 * shown['estimate']:.1f} (95% {pooled.interval} "
                                        f"{100 * shown['ci_low']:.1f}–"
                                        f"{100 * shown['ci_high']:.1f}; PI {100 * shown['pi_low']:.1f}–"
                                        f"{100 * shown['pi_high']:.1f})",
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
                if not pooled.estimable:
                    estimate = f"not pooled ({pooled.note}): " + " and ".join(
                        f"{self.names[r['study_id']]} {pct(r['percent'])}% ({SOURCE_SHORT[r['source']]})"
                        for r in members.to_dict("records"))
                else:
                    shown = pooled.transformed(special.expit)
                    estimate = (f"{100 * shown['estimate']:.1f}% (95% {pooled.interval} {100 * shown['ci_low']:.1f}–"
                                f"{100 * shown['ci_high']:.1f}; {pooled.k} studies)")
                parts.append(f"{lower_first(self.setting_label(group))}: {estimate}")
            facts[f"{endpoint.lower()}_landmark_pooled"] = "; ".join(parts) or "not estimable in any setting"
        return facts

    def glue_survival_facts(self) -> None:
        glue_facts(self.intervention_facts() | self.survival_facts())

    def write_survival_results(self, path: str | Path) -> None:
        rows = []
        for endpoint, frame in self.landmark_tables.items():
            for r in frame.to_dict("records"):
                rows.append(result_row("synthesis/survival", r["arm"], r["population"], endpoint,
                                       f"landmark_percent_{LANDMARK_MONTHS:g}_months ({r['study_id']})",
                                       r["percent"], method=landmark_method(r["source"], r["method"]),
                                       printed=r["printed"],
                                       data_file=f"studies/{r['study_id']}/outcomes.csv", data_row=r["data_rows"]))
            for group, pooled, members in self.landmark_pools(endpoint):
                shown = pooled.transformed(special.expit)
                base = {"method": f"{pooled_landmark_method(pooled.model)}; studies: {', '.join(pooled.labels)}"
                                  + (f"; not pooled: {pooled.note}" if pooled.note else ""),
                        "analysis_id": analysis_id(f"{endpoint} {LANDMARK_MONTHS:g}-month rate", group, MAIN)}
                rows.append(result_row("synthesis/survival", group, self.intervention_arms_label, endpoint,
                                       f"pooled_landmark_percent_{LANDMARK_MONTHS:g}_months", 100 * shown["estimate"],
                                       100 * shown["ci_low"], 100 * shown["ci_high"], **base))
                rows.append(result_row("synthesis/survival", group, self.intervention_arms_label, endpoint,
                                       "prediction_interval_percent", math.nan, 100 * shown["pi_low"],
                                       100 * shown["pi_high"], **base))
                rows.append(result_row("synthesis/survival", group, self.intervention_arms_label, endpoint, "tau2_logit",
                                       pooled.tau2, **base))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))
