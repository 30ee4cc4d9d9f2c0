"""The review's findings computed from the curated data: for each setting and each main outcome,
the :class:`livingreview.analysis.records.Finding` a reader meets first.

Everything is computed with the statistics the chapters use (pools of arm rates, odds ratios,
printed hazard ratios and landmark rates), from the studies of the main analyses only
(:func:`livingreview.curated.integrity.main_analysis_studies`); studies kept for sensitivity
analyses are reported beside the main estimate, never inside it.

Two kinds of finding per setting:

- **with the intervention** (every setting with a study): the objective response, disease
  control and grade >=3 adverse-event rates of the arms given the intervention (pooled by the binomial-normal
  model when two or more studies report them, else the one study's rate with its exact CI), and
  median progression-free and overall survival as printed (never pooled);
- **the intervention against the same regimen without it** (settings with a comparative study): odds
  ratios of the rates from the printed counts and printed hazard ratios (the adjusted one when a
  paper prints both), with the absolute effect per 1,000 patients that the control arm implies
  (Cochrane Handbook, chapter 14: risk with the comparator, and the corresponding risk with the
  intervention from the relative effect).
"""

from __future__ import annotations

import math
from functools import cached_property

import pandas as pd

from ..curated.integrity import StudyStatus, analysis_set, MAIN, SENSITIVITY, study_status
from ..curated.review import design_label, intervention_of, load_intervention, receives_intervention, study_size
from ..statistics.arms import (PARTNER_LABELS, control_arms, efficacy_population, is_matched,
                               pooled_intervention_arms, two_arm_studies)
from ..statistics.certainty import find_judgement
from ..statistics.landmarks import landmark_estimate, printed_landmark
from ..statistics.odds_ratios import grade3_odds_ratios, response_odds_ratios, shown_odds_ratio
from ..statistics.pooling import MIN_POOLED_STUDIES, definition_label, primary_pools
from ..statistics.printed_frame import SOURCE_RANK
from ..statistics.risk_measures import risk_difference, risk_ratio
from ..statistics.safety import ANY_EVENT_TERM, GRADE_3_PLUS, band_note, safety_rates
from .records import (ABSOLUTE_EVENTS, ABSOLUTE_MONTHS, ARM_OUTCOMES, COMPARISON_OUTCOMES, LABELS,
                      MEDIAN_OUTCOMES, Absolute, Finding, SettingFindings, StudyValue, outcome_id)


# What a control arm without partner treatments received, by the study's design.control.
CONTROL_LABELS = {"placebo": "placebo", "best_supportive_care": "best supportive care"}


def regimen_label(arm: dict, intervention: str, control: str = "") -> str:
    """'<intervention> + PD-1 inhibitor + chemotherapy' from an arm's partners; a control arm
    with no partner treatment is named by the study's ``design.control`` (placebo, best
    supportive care), else 'no treatment'."""
    partners = [PARTNER_LABELS[p] for p in arm.get("partners", [])]
    given = " + ".join(([intervention] if receives_intervention(arm) else []) + partners)
    return given or CONTROL_LABELS.get(control, "no treatment")


def intervention_regimens(study) -> str:
    """The regimens of the study's intervention arms that the analyses use ('<intervention> +
    chemotherapy'); an arm of the intervention alone only where the review pools it with
    combinations (:func:`livingreview.statistics.arms.pooled_intervention_arms`)."""
    name = intervention_of(study).name
    return " | ".join(regimen_label(study.arms[a], name) for a in pooled_intervention_arms(study))


def arm_n(study, arm: str, population: str) -> int | None:
    """Patients of ``arm`` in ``population``, as study.yaml declares them."""
    for p in study.meta["populations"]:
        if p["population_id"] == population and p["arm"] == arm:
            return int(p["n"])
    return None


def printed_median(study, arm: str, endpoint: str, population: str) -> StudyValue | None:
    """The arm's printed median of ``endpoint``: the place that prints a CI, the most detailed
    place first (as the survival reconstruction ranks them); None when none is printed."""
    outcomes = study.table("outcomes", as_typed=False)
    rows = outcomes[(outcomes["endpoint"] == endpoint) & (outcomes["measure"] == "median")
                    & (outcomes["arm"] == arm) & (outcomes["population"] == population)
                    & (outcomes["qualifier"] == "") & outcomes["estimate"].ne("")]
    if rows.empty:
        return None
    rows = rows.assign(_ci=rows["ci_low"].eq(""), _rank=rows["source_type"].map(SOURCE_RANK).fillna(9))
    row = rows.sort_values(["_ci", "_rank", "row"]).iloc[0]
    ci = f" (95% CI {row['ci_low']}–{row['ci_high']})" if row["ci_low"] and row["ci_high"] else ""
    low = float(row["ci_low"]) if row["ci_low"] else math.nan
    high = float(row["ci_high"]) if row["ci_high"] else math.nan
    return StudyValue(study.study_id, study.name, float(row["estimate"]), low, high,
                      arm_n(study, arm, population) or 0, f"{row['estimate']} months{ci}", "outcomes.csv",
                      str(row["row"]), intervention_regimens(study), printed=row["estimate"])


def preferred_hazard_ratio(study, ratios: pd.DataFrame, endpoint: str) -> tuple[StudyValue, dict] | None:
    """The hazard ratio of ``endpoint`` a summary shows for a two-arm study, from its printed
    ratios (:func:`livingreview.statistics.survival.printed_hazard_ratios`): the adjusted one when the paper
    prints one, as Cochrane prefers for non-randomised studies (Handbook, chapter 24), else the
    first printed; with the others the paper prints, and the row chosen."""
    own = ratios[(ratios["study_id"] == study.study_id) & (ratios["endpoint"] == endpoint)] if not ratios.empty \
        else ratios
    if own.empty:
        return None
    ranked = own.assign(_adj=~own["adjusted"].astype(bool)).sort_values(["_adj", "data_row"], kind="stable")
    chosen = ranked.iloc[0].to_dict()
    n = sum(arm_n(study, a, chosen["population"]) or 0 for a in (chosen["arm"], chosen["control"]))
    kind = ("adjusted" if chosen["adjusted"] else "unadjusted") + (f", {chosen['model']}" if chosen["model"] else "")
    value = StudyValue(study.study_id, study.name, chosen["estimate"], chosen["ci_low"], chosen["ci_high"], n,
                       f"HR {chosen['printed']} (95% CI {chosen['ci_low']:g}–{chosen['ci_high']:g})",
                       "outcomes.csv", str(chosen["data_row"]), detail=kind, printed=str(chosen["printed"]))
    others = [f"{'adjusted' if r['adjusted'] else 'unadjusted'}{', ' + r['model'] if r['model'] else ''}: "
              f"HR {r['printed']} ({r['ci_low']:g}–{r['ci_high']:g})"
              for r in ranked.iloc[1:].to_dict("records")
              if (r["estimate"], r["ci_low"], r["ci_high"]) != (chosen["estimate"], chosen["ci_low"], chosen["ci_high"])]
    return value, {"study": study, "chosen": chosen, "others": list(dict.fromkeys(others))}


def _band(rate: dict) -> str:
    """'; grade 3–4, grade 5 deaths not included' after a count whose band is not what its
    outcome says (a grade 3–4 rate among grade ≥3 ones); '' otherwise."""
    note = band_note(rate.get("band_counted", ""))
    return f"; {note}" if note else ""


class AnalysisModel:
    """The findings of every setting, computed from a :class:`livingreview.pages.chapters.base.Chapter`
    (whose pooled estimates they reuse); with ``outcomes`` (ids such as 'grade3' or 'PFS hazard
    ratio'), only those, so a page that shows some outcomes reads only the data they need."""

    def __init__(self, chapters, outcomes: tuple[str, ...] | None = None):
        self.chapters = chapters
        self.outcomes = outcomes

    def _wanted(self, endpoint: str, measure: str = "") -> bool:
        return self.outcomes is None or outcome_id(endpoint, measure) in self.outcomes

    # ------------------------------------------------------------------ helpers

    @cached_property
    def _by_id(self) -> dict:
        return {s.study_id: s for s in self.chapters.studies}

    @cached_property
    def intervention(self) -> str:
        """The name of the review's intervention (review.yaml), as sentences use it."""
        return load_intervention(self.chapters.data_dir).name

    def _name(self, study_id: str) -> str:
        return self._by_id[study_id].name

    def _studies_in(self, setting_group: str, studies) -> list:
        return [s for s in studies if s.meta["setting_group"] == setting_group]

    def _partners(self, study_id: str) -> str:
        return intervention_regimens(self._by_id[study_id])

    @staticmethod
    def _arm_n(study, arm: str, population: str) -> int | None:
        return arm_n(study, arm, population)

    # ------------------------------------------------------------------ rates

    def _rate_values(self, rates: pd.DataFrame) -> list[StudyValue]:
        return [StudyValue(r["study_id"], self._name(r["study_id"]), r["percent"], r["exact_low"], r["exact_high"],
                           int(r["total"]), f"{r['percent']:.1f}% ({r['events']}/{r['total']}{_band(r)})", r["data_file"],
                           str(r["data_row"]), self._partners(r["study_id"]),
                           r["category"] and f"{r['category']}")
                for r in rates.to_dict("records")]

    def _main_rates(self, endpoint: str) -> pd.DataFrame:
        return self.chapters.grade3 if endpoint == "grade3" else self.chapters.response_rates[endpoint]

    def _main_pools(self, endpoint: str) -> pd.DataFrame:
        return self.chapters.grade3_pools if endpoint == "grade3" else self.chapters.response_pools[endpoint]

    @staticmethod
    def _primary(pools: pd.DataFrame, group: str) -> dict | None:
        chosen = primary_pools(pools, group)
        return None if chosen.empty else chosen.iloc[0].to_dict()

    def _rate_finding(self, group: str, endpoint: str) -> Finding:
        rates = self._main_rates(endpoint)
        members = rates[rates["setting_group"] == group]
        finding = Finding(group, self.chapters.setting_label(group), endpoint, "", self._rate_values(members))
        pooled = self._primary(self._main_pools(endpoint), group)
        if pooled is not None and not math.isfinite(pooled["estimate"]):
            finding.method = f"not pooled: {pooled['note']}"
        elif pooled is not None:
            finding.estimate, finding.ci_low, finding.ci_high = pooled["estimate"], pooled["ci_low"], pooled["ci_high"]
            finding.pi_low, finding.pi_high = pooled["pi_low"], pooled["pi_high"]
            finding.interval, finding.model = pooled["interval"], pooled["model"]
            finding.method = f"pooled by the {pooled['model'][:1].lower()}{pooled['model'][1:]}"
        elif len(members) == 1:
            only = finding.studies[0]
            finding.estimate, finding.ci_low, finding.ci_high = only.estimate, only.ci_low, only.ci_high
            finding.method = "one study; exact (Clopper-Pearson) CI"
        finding.sensitivity = self._rate_sensitivity(group, endpoint, members)
        if endpoint == "grade3" and members.empty:
            finding.reported_instead = self._single_event_grade3(group)
        if endpoint == "grade3" and members["category"].nunique() > 1:
            finding.notes.append("The studies count different events: " + "; ".join(
                f"{self._name(r['study_id'])}: {definition_label(r['category'])}"
                for r in members.to_dict("records")) + ".")
        return finding

    def _rate_sensitivity(self, group: str, endpoint: str, main: pd.DataFrame) -> str:
        """What adding the setting's sensitivity-only studies changes: the sensitivity analysis set's
        rates and pool (:meth:`ReviewData.rate_analysis`, the one the sensitivity tables show)."""
        rates, pools = self.chapters.rate_analysis(endpoint, SENSITIVITY)
        members = rates[rates["setting_group"] == group]
        added = members[~members["study_id"].isin(main["study_id"])]
        if added.empty:
            return ""
        names = ", ".join(self._name(s) for s in added["study_id"])
        if len(members) >= MIN_POOLED_STUDIES:
            pooled = self._primary(pools, group)
            if not math.isfinite(pooled["estimate"]):
                return (f"With {names} added (sensitivity analysis), {LABELS[endpoint].lower()} cannot be pooled: "
                        f"{pooled['note']}.")
            return (f"With {names} added (sensitivity analysis), {LABELS[endpoint].lower()}: "
                    f"{pooled['estimate']:.1f}% (95% {pooled['interval']} {pooled['ci_low']:.1f}–"
                    f"{pooled['ci_high']:.1f}; {len(members)} studies, {int(members['total'].sum())} patients).")
        r = added.iloc[0]
        return (f"{names} (sensitivity analyses only), {LABELS[endpoint].lower()}: {r['percent']:.1f}% "
                f"({r['events']}/{r['total']}{_band(r)}).")

    def _single_event_grade3(self, group: str) -> str:
        """'Zhu 2025 reports rates of single severe events only, not of any event (lymphopenia 6.9%,
        grade 3–4), shown in the safety chapter.' for a setting whose studies print no any-event
        grade >=3 rate (each rate says which grades it counts)."""
        studies = self._studies_in(group, self.chapters.main_studies)
        rates = safety_rates(studies, self.chapters.vocabulary) if studies else pd.DataFrame()
        if rates.empty:
            return ""
        used = {(s.study_id, arm) for s in studies for arm in pooled_intervention_arms(s)}  # the regimen rules
        single = rates[(rates["band"] == GRADE_3_PLUS) & (rates["term"] != ANY_EVENT_TERM)
                       & pd.Series([(sid, arm) in used for sid, arm in zip(rates["study_id"], rates["arm"])],
                                   index=rates.index, dtype=bool)]
        parts = []
        for study_id, rows in single.groupby("study_id", sort=False):
            terms = "; ".join(f"{t[:1].lower()}{t[1:]} {p:.1f}%, {band_note(b) or 'grade ≥3'}"
                              for t, p, b in zip(rows["term"], rows["percent"], rows.get("band_counted", [""] * len(rows)))
                              if pd.notna(p))
            parts.append(f"{self._name(study_id)} reports rates of single severe events only, not of any event "
                         f"({terms})")
        return ("; ".join(parts) + ", shown in the safety chapter.") if parts else ""

    # ------------------------------------------------------------------ medians

    def _medians(self, studies, endpoint: str) -> list[StudyValue]:
        values = []
        for study in studies:
            population = efficacy_population(study)
            for arm in pooled_intervention_arms(study):
                value = printed_median(study, arm, endpoint, population)
                if value is not None:
                    values.append(value)
        return values

    def _median_finding(self, group: str, endpoint: str) -> Finding:
        values = self._medians(self._studies_in(group, self.chapters.main_studies), endpoint)
        finding = Finding(group, self.chapters.setting_label(group), endpoint, "", values,
                          method="median as printed" if len(values) == 1 else "medians as printed, not pooled")
        if len(values) == 1:
            finding.estimate, finding.ci_low, finding.ci_high = values[0].estimate, values[0].ci_low, values[0].ci_high
        extra = [s for s in self._studies_in(group, self.chapters.studies) if analysis_set(s) == SENSITIVITY]
        added = self._medians(extra, endpoint)
        if added:
            finding.sensitivity = (f"Sensitivity analyses only, median {LABELS[endpoint].lower()}: "
                                   + "; ".join(f"{v.name} {v.text}" for v in added) + ".")
        return finding

    # ------------------------------------------------------------------ comparisons

    def _comparative(self, group: str) -> list:
        """The setting's two-arm studies whose intervention arm the rules let into the analyses
        (a trial of the intervention alone, where the review keeps monotherapy apart, is not)."""
        return [s for s in two_arm_studies(self._studies_in(group, self.chapters.main_studies))
                if pooled_intervention_arms(s)]

    def _odds_ratio_values(self, group: str, endpoint: str) -> list[tuple[StudyValue, dict]]:
        studies = self._comparative(group)
        if endpoint == "grade3":
            frame = grade3_odds_ratios(studies, self.chapters.vocabulary)
        else:
            frame = response_odds_ratios(studies, endpoint)
        values = []
        by_id = {s.study_id: s for s in studies}
        for r in frame.to_dict("records"):
            estimate, low, high, method = shown_odds_ratio(r)
            text = f"OR {estimate:.2f} (95% CI {low:.2f}–{high:.2f})"
            counts = f"{r['events_arm']}/{r['total_arm']} vs {r['events_control']}/{r['total_control']}"
            file = "adverse_events.csv" if endpoint == "grade3" else "outcomes.csv"
            detail = f"odds ratio from the counts, {method}"
            if is_matched(by_id[r["study_id"]], r["population"]):
                detail += "; it treats the matched arms as independent"
            values.append((StudyValue(r["study_id"], self._name(r["study_id"]), estimate, low, high,
                                      int(r["total_arm"] + r["total_control"]), text, file,
                                      str(r["data_rows"]), detail=detail, counts=counts), r))
        return values

    def _hazard_ratio_values(self, group: str, endpoint: str) -> list[tuple[StudyValue, dict]]:
        found = [preferred_hazard_ratio(study, self.chapters.printed_hazard_ratios, endpoint)
                 for study in self._comparative(group)]
        return [f for f in found if f is not None]

    def _control_survival(self, study, control: str, endpoint: str, population: str) -> tuple[float, str] | None:
        """The control arm's survival at :data:`ABSOLUTE_MONTHS`: printed if printed, else from its
        reconstruction; None when neither exists."""
        printed = printed_landmark(study, control, endpoint, ABSOLUTE_MONTHS, population)
        label = study.arms[control]["label"]
        if printed is not None:
            return printed["percent"] / 100, f"printed {ABSOLUTE_MONTHS:g}-month rate of the {label}"
        for s, arm in self.chapters.arms_of(study):
            if arm.inputs.arm == control and arm.inputs.endpoint == endpoint and arm.inputs.population == population:
                estimate = landmark_estimate(arm, ABSOLUTE_MONTHS)
                if estimate is not None:
                    return estimate["survival"], (f"{ABSOLUTE_MONTHS:g}-month rate of the {label}, from data "
                                                  "reconstructed from its printed summaries")
        return None

    def _comparison_finding(self, group: str, endpoint: str, measure: str) -> Finding:
        setting = self.chapters.setting_label(group)
        if measure == "odds ratio":
            pairs = self._odds_ratio_values(group, endpoint)
        else:
            pairs = self._hazard_ratio_values(group, endpoint)
        finding = Finding(group, setting, endpoint, measure, [v for v, _ in pairs])
        if len(pairs) != 1:
            return finding
        value, detail = pairs[0]
        finding.estimate, finding.ci_low, finding.ci_high = value.estimate, value.ci_low, value.ci_high
        finding.method = f"one study; {value.detail}"
        if measure == "hazard ratio":
            # Which ratio a summary uses, and why, said wherever it is shown.
            finding.method += ("; the adjusted ratio is used because a comparison without randomisation needs "
                               "adjustment for confounding (Cochrane Handbook, chapter 24)"
                               if value.detail.startswith("adjusted") else
                               "; unadjusted: the paper prints no adjusted ratio")
        else:
            finding.method += "; unadjusted (the paper's counts allow no adjustment)"
        if measure == "odds ratio":
            counts = (int(detail["events_arm"]), int(detail["total_arm"]), int(detail["events_control"]),
                      int(detail["total_control"]))
            finding.risk_ratio, finding.risk_difference = risk_ratio(*counts), risk_difference(*counts)
            p0 = detail["events_control"] / detail["total_control"]
            finding.absolute = Absolute(ABSOLUTE_EVENTS[endpoint], 1000 * p0,
                                        *(1000 * _risk_from_odds_ratio(p0, r) for r in
                                          (value.estimate, value.ci_low, value.ci_high)),
                                        f"control arm of {value.name} ({detail['events_control']}/"
                                        f"{detail['total_control']})", self.intervention)
        else:
            chosen = detail["chosen"]
            control = self._control_survival(detail["study"], chosen["control"], endpoint, chosen["population"])
            if control is not None:
                survival, basis = control
                finding.absolute = Absolute(ABSOLUTE_EVENTS[endpoint], 1000 * (1 - survival),
                                            *(1000 * (1 - survival ** r) for r in
                                              (value.estimate, value.ci_low, value.ci_high)), basis,
                                            self.intervention)
            if detail["others"]:
                finding.notes.append(f"{value.name} also prints " + "; ".join(detail["others"]) + ".")
        return finding

    # ------------------------------------------------------------------ all

    def _judge(self, finding: Finding) -> Finding:
        finding.intervention = self.intervention
        finding.judgement = find_judgement(self.chapters.judgements, finding.outcome, finding.setting_group)
        if finding.stale:
            finding.notes.append("The certainty was judged on " + ", ".join(self._name(s) for s in finding.judgement.studies
                                                                              if s in self._by_id)
                                 + "; the analysis now uses other studies, so the judgement must be revisited.")
        regimens = sorted({s.regimen for s in finding.studies if s.regimen})
        if len(regimens) > 1:
            finding.notes.append(f"The studies combine {self.intervention} with different partners: " + "; ".join(
                f"{s.name}: {s.regimen}" for s in finding.studies) + ".")
            if finding.judgement is not None and finding.judgement.domains["indirectness"]["downgrade"] == 0:
                finding.notes.append("Indirectness is not rated down although the regimens differ: the judgement "
                                     "must be revisited.")
        return finding

    def _left_out(self, group: str) -> list[StudyStatus]:
        return [study_status(s) for s in self._studies_in(group, self.chapters.studies) if analysis_set(s) != MAIN]

    @cached_property
    def settings(self) -> list[SettingFindings]:
        """Every setting that has a study (in the main analyses or not), in the review's order."""
        found = []
        groups = [g for g in self.chapters.order if self._studies_in(g, self.chapters.studies)]
        groups += sorted({s.meta["setting_group"] for s in self.chapters.studies} - set(groups))
        for group in groups:
            main = self._studies_in(group, self.chapters.main_studies)
            left_out = self._left_out(group)
            arm_findings, comparison_findings, comparisons = [], [], []
            if main:
                for endpoint in ARM_OUTCOMES:
                    if not self._wanted(endpoint):
                        continue
                    finding = (self._median_finding(group, endpoint) if endpoint in MEDIAN_OUTCOMES
                               else self._rate_finding(group, endpoint))
                    arm_findings.append(self._judge(finding))
                comparative = self._comparative(group)
                if comparative:
                    comparisons = [(" | ".join(regimen_label(s.arms[a], self.intervention)
                                               for a in pooled_intervention_arms(s)),
                                    " | ".join(regimen_label(s.arms[a], self.intervention,
                                                             (s.meta.get("design") or {}).get("control", ""))
                                               for a in control_arms(s)),
                                    s.name, design_label(s)) for s in comparative]
                    for endpoint, measure in COMPARISON_OUTCOMES:
                        if self._wanted(endpoint, measure):
                            comparison_findings.append(self._judge(self._comparison_finding(group, endpoint,
                                                                                            measure)))
            for finding in arm_findings + comparison_findings:
                finding.left_out = [s for s in left_out]
            found.append(SettingFindings(group, self.chapters.setting_label(group), arm_findings, comparison_findings,
                                         [s.study_id for s in main], left_out, comparisons, self.intervention,
                                         [s.name for s in main if not pooled_intervention_arms(s)]))
        return found

    def summary_sentence(self, setting: SettingFindings) -> str:
        """'<Setting>: 2 studies (76 patients) in the main analyses; 9 results graded, all of very
        low certainty.' or why the setting has no finding."""
        if not setting.main_studies:
            left = "; ".join(f"{self._name(s.study_id)} {s.badge}" for s in setting.left_out)
            return f"{setting.setting}: no study in the main analyses ({left})."
        patients = sum(study_size(self._by_id[s]) for s in setting.main_studies)
        k = len(setting.main_studies)
        levels = [f.level for f in setting.findings if f.level]
        counts = {level: levels.count(level) for level in dict.fromkeys(levels)}
        if not levels:
            graded = "no result is graded"
        elif len(counts) == 1:
            graded = f"{len(levels)} results graded, all of {levels[0]} certainty"
        else:
            graded = f"{len(levels)} results graded (" + ", ".join(f"{n} {level}" for level, n in counts.items()) + ")"
        apart = ""
        if setting.kept_apart:
            apart = (f" {' and '.join(setting.kept_apart)} {'gives' if len(setting.kept_apart) == 1 else 'give'} "
                     f"{self.intervention} alone, which the review keeps apart from its combinations, so "
                     f"{'it enters' if len(setting.kept_apart) == 1 else 'they enter'} no finding.")
        return (f"{setting.setting}: {k} {'study' if k == 1 else 'studies'} ({patients} patients) in the main "
                f"analyses; {graded}.{apart}")

    def setting(self, group: str) -> SettingFindings | None:
        return next((s for s in self.settings if s.setting_group == group), None)

    def all_findings(self) -> list[Finding]:
        return [f for s in self.settings for f in s.findings]


def _risk_from_odds_ratio(control_risk: float, odds_ratio: float) -> float:
    """The risk with the intervention that an odds ratio implies for a control risk."""
    return odds_ratio * control_risk / (1 - control_risk + odds_ratio * control_risk)
