"""The response chapter: objective response (ORR) and disease control (DCR) of the
arms given the intervention, each arm's rate with its exact CI, the pools within settings, the
difference between settings and leave-one-out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...analysis.records import analysis_id
from ...curated.integrity import MAIN, left_out_of_main
from ...results.table import RESULT_COLUMNS, write_results
from ...statistics.arms import response_denominator
from ...statistics.pooling import ALL_SETTINGS, LEAVE_ONE_OUT_MIN_STUDIES, short_model_label, subgroup_difference
from ..display import data_link, glue_facts, table, tables_by
from .formatting import between_settings_text, interval, pct, pool_sentence, pooling_rule_facts
from .pooled import PooledRatesChapter
from .result_rows import pooled_result_rows, result_row


class ResponseChapter(PooledRatesChapter):
    """ORR and DCR: the arms' rates, their pools within settings and the sensitivity analyses."""

    def response_key_message(self):
        return self.key_message(("ORR", "DCR"))

    def response_facts(self) -> dict[str, object]:
        left_out = left_out_of_main(self.studies)
        facts: dict[str, object] = {
            **pooling_rule_facts(self.pooling_rules),
            "resp_n_studies": len(self.main_studies),
            "loo_min_studies": LEAVE_ONE_OUT_MIN_STUDIES,
            "resp_left_out": ("; ".join(f"{self.names[s.study_id]} ({s.badge})" for s in left_out)
                              if left_out else "none")}
        for endpoint in ("ORR", "DCR"):
            key = endpoint.lower()
            facts[f"{key}_by_setting"] = self._settings_sentence(endpoint)
            facts[f"{key}_all_settings"] = pool_sentence(self.response_pools[endpoint], ALL_SETTINGS,
                                                         self.names, self.response_rates[endpoint]) or "not estimable"
            test = subgroup_difference(self.response_rates[endpoint], self.order)
            facts[f"{key}_between_settings"] = between_settings_text(test)
        return facts

    def glue_response_facts(self) -> None:
        glue_facts(self.intervention_facts() | self.response_facts())

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
            "Counts over": [response_denominator(self._study(s)) for s in rates["study_id"]],
            "Rate % (exact 95% CI)": [f"{pct(r)} ({interval(lo, hi)})" for r, lo, hi in
                                      zip(rates["percent"], rates["exact_low"], rates["exact_high"])],
            "Printed %": rates["printed"],
            "Data": [data_link(s, f, r, q) for s, f, r, q in
                     zip(rates["study_id"], rates["data_file"], rates["data_row"], rates["quote"])],
        })
        return tables_by(shown, "Setting", empty=f"No study reports {endpoint} with a count.")

    def response_pooled_table(self, endpoint: str):
        return self.pooled_table_view(self.response_pools[endpoint])

    def response_forest(self, endpoint: str):
        name = {"ORR": "Objective response", "DCR": "Disease control"}.get(endpoint, endpoint)
        return self.rate_forest(self.response_rates[endpoint], self.response_pools[endpoint],
                                f"{name} ({endpoint}) of {self.intervention.name}-containing arms",
                                xlabel=f"Patients with {name.lower()} (%)")

    def leave_one_out_view(self, endpoint: str):
        frame = self.response_leave_one_out[endpoint]
        shown = pd.DataFrame({
            "Pool": [self.setting_label(g) for g in frame["group"]],
            "Left out": [self.names.get(s, s) for s in frame["left_out"]],
            "Model": [short_model_label(m) for m in frame["model"]],
            "Pooled (%)": frame["estimate"].map(pct),
            "95% interval": [f"{kind} {interval(lo, hi)}" for lo, hi, kind in
                             zip(frame["ci_low"], frame["ci_high"], frame["interval"])],
            "I² (%)": frame["i2"].map(lambda v: f"{v:.1f}"),
        })
        return table(shown, empty=f"No pool has {LEAVE_ONE_OUT_MIN_STUDIES} or more studies, so "
                                  "leave-one-out does not apply.")

    def write_response_results(self, path: str | Path) -> None:
        rows = []
        for endpoint, pools in self.response_pools.items():
            rows += pooled_result_rows("synthesis/response", pools, f"{self.intervention_arms_label}, efficacy population")
            for p in self.response_leave_one_out[endpoint].to_dict("records"):
                rows.append(result_row("synthesis/response", p["group"], f"without {p['left_out']}", endpoint,
                                       "pooled_percent", p["estimate"], p["ci_low"], p["ci_high"],
                                       f"{p['model']}, leave-one-out; studies: {p['studies']}",
                                       analysis_id=analysis_id(endpoint, p["group"], MAIN, f"without {p['left_out']}")))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))
