"""What the chapters that pool arm rates within settings (response, safety) show alike: the
table of pools with the regimens and denominators they combine, and the forest plot of the
arms' rates beside their pooled estimate."""

from __future__ import annotations

import math

import pandas as pd

from ...statistics.arms import pooled_intervention_arms, regimen_label, response_denominator
from ...statistics.bayes import CREDIBLE
from ...statistics.pooling import (ALL_SETTINGS, PRIMARY, PRIOR_SENSITIVITY, SENSITIVITY_MODEL, definition_label,
                                  inverse_variance_weights, primary_pools, setting_groups, short_model_label)
from ...statistics.wording import rate_is_uninformative
from ..display import tables_by
from .base import Chapter
from .formatting import interval, pct


# What each row of a pools table is, as the table's Role column says it.
ROLE_LABELS = {PRIMARY: "the review's estimate", SENSITIVITY_MODEL: "sensitivity: another model",
               PRIOR_SENSITIVITY: "sensitivity: another prior"}


class PooledRatesChapter(Chapter):
    """A chapter that pools the intervention arms' rates within each setting."""

    def pooled_table_view(self, pools: pd.DataFrame):
        """Each setting's pools, one table per setting whose caption says what the pools combine
        (regimens; for response, what each study counts over), one row per model or prior."""
        response = pools["endpoint"].isin(["ORR", "DCR"]).any()
        captions = {}
        for group, rows in pools.groupby("group", sort=False):
            studies = ", ".join(dict.fromkeys(i for ids in rows["studies"] for i in str(ids).split(", ")))
            caption = f"{self.setting_label(group)} · Regimens pooled: {self._pool_regimens(studies)}"
            if response:
                caption += f" · Response counted over: {self._denominators(studies)}"
            captions[group] = caption
        shown = pd.DataFrame({
            "Setting": [captions[g] for g in pools["group"]],
            "Model (role)": [m[:1].upper() + m[1:].split(" (")[0] + (f", {definition_label(d)} only" if d else "")
                             + f" ({ROLE_LABELS[r]})"
                             for m, d, r in zip(pools["model"], pools["definition"], pools["role"])],
            "Studies (patients)": [f"{k} ({n})" for k, n in zip(pools["k"], pools["patients"])],
            "Pooled % (95% interval)": [(f"{pct(e)} ({kind} {interval(lo, hi)})" + (", too imprecise to inform"
                                                                                    if rate_is_uninformative(lo, hi)
                                                                                    else "")
                                         if math.isfinite(e) else f"not pooled: {note}")
                                        for e, lo, hi, note, kind in zip(pools["estimate"], pools["ci_low"],
                                                                         pools["ci_high"], pools["note"],
                                                                         pools["interval"])],
            "Prediction interval": [interval(lo, hi) if math.isfinite(lo) else "—"
                                    for lo, hi in zip(pools["pi_low"], pools["pi_high"])],
            "tau², I²": [f"{t:.3f}, {i:.1f}%" if math.isfinite(t) else "—" for t, i in zip(pools["tau2"], pools["i2"])],
        })
        return tables_by(shown, "Setting", empty="No setting has two or more studies to pool.")

    def _denominators(self, study_ids: str) -> str:
        """What the pooled studies' response rates count over; where they differ, each study's."""
        studies = [self._study(i) for i in str(study_ids).split(", ")]
        labels = {s.study_id: response_denominator(s) for s in studies}
        if len(set(labels.values())) == 1:
            return next(iter(labels.values()))
        return "differs: " + "; ".join(f"{self.names[i]}: {label}" for i, label in labels.items())

    def _pool_regimens(self, study_ids: str) -> str:
        """The regimens a pool combines, from its studies' intervention arms (partners in study.yaml)."""
        by_id = {s.study_id: s for s in self.studies}
        regimens = [regimen_label(by_id[i], arm) for i in str(study_ids).split(", ") if i in by_id
                    for arm in pooled_intervention_arms(by_id[i])]
        return "; ".join(dict.fromkeys(regimens))

    def forest_rows(self, rates: pd.DataFrame, pools: pd.DataFrame) -> pd.DataFrame:
        """The rows of a rate forest plot: per setting its heading, its studies, and its pool
        (a diamond) or a note that it is not pooled. Weights are shown only where a pool is
        made, since a weight is a study's share of a pool."""
        rows = []
        for group, members in setting_groups(rates, self.order):
            if group == ALL_SETTINGS:
                continue
            rows.append({"label": self.setting_label(group), "kind": "heading"})
            in_group = primary_pools(pools, group)
            pooled = in_group[in_group["estimate"].astype(float).notna()]
            # A weight is a study's share of an inverse-variance pool; a Bayesian pool has none to show.
            weighted = not pooled.empty and not pooled["interval"].eq(CREDIBLE).any()
            weights = inverse_variance_weights(members) if weighted else [None] * len(members)
            for r, weight in zip(members.to_dict("records"), weights):
                rows.append({"label": f"{self.names[r['study_id']]} ({r['events']}/{r['total']})", "kind": "study",
                             "estimate": r["percent"], "ci_low": r["exact_low"], "ci_high": r["exact_high"],
                             "total": r["total"], "weight": weight})
            for p in pooled.to_dict("records"):
                label = (f"Pooled ({short_model_label(p['model'])}"
                         + (f", {definition_label(p['definition'])})" if p["definition"] else ")"))
                rows.append({"label": label, "kind": "pooled", **{k: p[k] for k in
                             ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "interval")}})
            if pooled.empty and len(members) > 1:
                rows.append({"label": f"{len(members)} studies: not pooled", "kind": "note"})
        return pd.DataFrame(rows)

    def rate_forest(self, rates: pd.DataFrame, pools: pd.DataFrame, subject: str, xlabel: str = "Patients (%)"):
        """The forest plot of ``rates`` with the pools the analysis makes; its title says what
        is drawn: each study's exact CI, and a diamond only where a setting is pooled."""
        from ..plotting import rate_forest_figure

        rows = self.forest_rows(rates, pools)
        pooled = not rows.empty and (rows["kind"] == "pooled").any()
        bayesian = pooled and primary_pools(pools)["interval"].eq(CREDIBLE).any()
        method = (f"exact 95% CIs; pooled within a setting where the rules allow (diamond: 95% "
                  f"{'credible' if bayesian else 'confidence'} interval; dashed: 95% prediction interval)"
                  if pooled else "exact 95% CIs; no setting is pooled")
        return rate_forest_figure(rows, width=8, row_height=0.42, margin=1.3, title=f"{subject}: {method}",
                                  xlabel=xlabel)
