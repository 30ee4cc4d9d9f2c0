"""The review's findings: for each setting and each main outcome, the estimate, how many
studies and patients it rests on, its GRADE certainty and a plain-language sentence.

This is the layer a reader meets first: the front page's key findings, the summary-of-findings
tables and the key-message boxes of the chapters and study pages are all views of the
:class:`Finding` records defined here, which say their result, evidence, certainty and
sentence as pages show them (:mod:`livingreview.statistics.wording` words the sentence by
the certainty). :class:`livingreview.analysis.model.AnalysisModel` computes them
from the curated data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..statistics import wording
from ..statistics.bayes import CREDIBLE
from ..statistics.risk_measures import risk_difference_text, risk_ratio_text
from ..statistics.safety import GRADE3_ENDPOINT
from ..statistics.certainty import Judgement, certainty_text
from ..curated.integrity import EXCLUDED, MAIN, SENSITIVITY, StudyStatus

ARM_OUTCOMES = ("ORR", "DCR", "PFS", "OS", "grade3")
RATE_OUTCOMES = ("ORR", "DCR", "grade3")
MEDIAN_OUTCOMES = ("PFS", "OS")
COMPARISON_OUTCOMES = (("ORR", "odds ratio"), ("DCR", "odds ratio"), ("PFS", "hazard ratio"),
                       ("OS", "hazard ratio"), ("grade3", "odds ratio"))
LABELS = {"ORR": "Objective response", "DCR": "Disease control", "PFS": "Progression-free survival",
          "OS": "Overall survival", "grade3": "Grade ≥3 adverse events"}
MEASURE_LABELS = {"ORR": "patients responding", "DCR": "patients with disease control",
                  "PFS": "median, months", "OS": "median, months", "grade3": "patients with a grade ≥3 event"}
RATIO_ABBREVIATIONS = {"odds ratio": "OR", "hazard ratio": "HR"}
# Absolute effects of a hazard ratio are read at this time (months), from the control arm.
ABSOLUTE_MONTHS = 12.0
ABSOLUTE_EVENTS = {"ORR": "responders", "DCR": "patients with disease control",
                   "PFS": f"patients progressed or dead by {ABSOLUTE_MONTHS:g} months",
                   "OS": f"deaths by {ABSOLUTE_MONTHS:g} months", "grade3": "patients with a grade ≥3 event"}
NOT_REPORTED = "not reported"


# The analysis sets every rate is analysed in: the main analysis, then with the studies the
# integrity screen keeps for sensitivity analyses added, then with every study (excluded ones too).
ANALYSIS_SETS = {MAIN: "main analysis", SENSITIVITY: "with sensitivity-only studies",
                 EXCLUDED: "with excluded studies"}
# Outcomes that some tables name in words, by the id the findings use.
OUTCOME_KEYS = {GRADE3_ENDPOINT: "grade3"}


def analysis_id(outcome: str, setting_group: str, analysis_set: str = MAIN, *qualifiers: str) -> str:
    """The stable id of one analysis: 'orr.first_line_advanced.main',
    'pfs-hazard-ratio.first_line_advanced.main', 'orr.all_settings.main.inverse-variance'
    (a sensitivity model), 'orr.later_line_advanced.main.without-zhu2025' (leave-one-out). Every
    row of results.csv that an analysis computes carries it, so that one analysis shows one value
    wherever it appears."""
    def slug(text: str) -> str:
        return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-")

    return ".".join([slug(OUTCOME_KEYS.get(outcome, outcome)), setting_group, analysis_set,
                     *(slug(q) for q in qualifiers if q)])


def outcome_id(endpoint: str, measure: str = "") -> str:
    """The certainty-judgement id of an outcome: 'ORR', or 'PFS hazard ratio' for a comparison."""
    return f"{endpoint} {measure}" if measure else endpoint


def _finite(*values) -> bool:
    return all(v is not None and not (isinstance(v, float) and math.isnan(v)) for v in values)


@dataclass
class StudyValue:
    """One study's contribution to a finding, with the data row it comes from."""

    study_id: str
    name: str
    estimate: float
    ci_low: float
    ci_high: float
    patients: int
    text: str  # the value as shown ("76.1% (35/46)", "8.38 months (6.59–10.17)", "HR 0.39 (0.18–0.84)")
    data_file: str
    data_row: str
    regimen: str = ""
    detail: str = ""  # what the value is, when it needs saying ("adjusted, multivariable Cox")
    printed: str = ""  # the estimate as printed, where it is a printed value ("8.38")
    counts: str = ""  # the counts a computed ratio comes from ("27/30 vs 13/30")


@dataclass
class Absolute:
    """Risk per 1,000 with the comparator and with the intervention (Cochrane SoF layout)."""

    event: str
    control: float
    treated: float  # with the intervention
    treated_low: float
    treated_high: float
    basis: str
    intervention: str  # its name, as review.yaml gives it

    @staticmethod
    def _signed(value: float) -> str:
        return f"{abs(round(value))} {'more' if value >= 0 else 'fewer'}"

    @property
    def difference_text(self) -> str:
        """'467 more per 1,000 (257 more to 540 more)'."""
        low, high = sorted((self.treated_low - self.control, self.treated_high - self.control))
        return f"{self._signed(self.treated - self.control)} per 1,000 ({self._signed(low)} to {self._signed(high)})"

    @property
    def treated_range_text(self) -> str:
        """'900 per 1,000 (691 to 973)': the risk with the intervention and its CI."""
        low, high = sorted((self.treated_low, self.treated_high))
        return f"{round(self.treated)} per 1,000 ({round(low)} to {round(high)})"

    @property
    def control_text(self) -> str:
        return f"{round(self.control)} per 1,000"

    @property
    def treated_text(self) -> str:
        return f"{round(self.treated)} per 1,000"

    @property
    def text(self) -> str:
        return (f"{self.event}: {self.control_text} with the comparator, {self.treated_text} with {self.intervention}, "
                f"{self.difference_text}")


@dataclass
class Finding:
    """One outcome in one setting; see the module docstring."""

    setting_group: str
    setting: str
    endpoint: str
    measure: str  # '' for an arm-level outcome, 'odds ratio' or 'hazard ratio' for a comparison
    studies: list[StudyValue]
    method: str = ""
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    judgement: Judgement | None = None
    absolute: Absolute | None = None
    sensitivity: str = ""
    left_out: list[StudyStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    intervention: str = "the intervention"  # its name, as review.yaml gives it
    # Beside an odds ratio of one study: the risk ratio and the risk difference (percentage points)
    # from the same counts ({'estimate', 'ci_low', 'ci_high'}), which a clinician reads correctly.
    risk_ratio: dict | None = None
    risk_difference: dict | None = None
    # For an outcome no study reports as such, what the studies do report instead (a grade >=3
    # rate of single events, not of any event), so that "not reported" is not read as "none".
    reported_instead: str = ""
    # What ci_low-ci_high is ("CI", or "CrI" for a Bayesian pool's credible interval), the model
    # that pooled the studies, and where a new study's true value may lie (pooled findings).
    interval: str = "CI"
    model: str = ""
    pi_low: float = math.nan
    pi_high: float = math.nan

    @property
    def outcome(self) -> str:
        return outcome_id(self.endpoint, self.measure)

    @property
    def analysis_id(self) -> str:
        """The id of the analysis this finding reports (:func:`analysis_id`); also the anchor of
        its entry on the page that shows how each finding was computed."""
        return analysis_id(self.outcome, self.setting_group, MAIN)

    @property
    def rule(self) -> str:
        """Why the analysis model chose this method for these studies, in a sentence."""
        k = len(self.studies)
        if not self.reported:
            return ""
        if self.kind == "median":
            return "Medians of survival are never pooled: each is shown as its paper prints it."
        if self.kind == "ratio":
            return ("One comparative study reports it: its own ratio against its control arm." if k == 1 else
                    f"{k} comparative studies report it: their ratios are shown side by side, not pooled.")
        if self.pooled and self.bayesian:
            return (f"{k} studies report it: the review pools two to four studies of a setting with a Bayesian "
                    "random-effects model, because so few studies cannot estimate how much their true rates "
                    "differ and a weakly informative prior keeps that uncertainty in the interval.")
        if self.pooled:
            return f"{k} studies report it: the review pools five or more studies of a setting with the GLMM."
        if k == 1:
            return "One study reports it: its own rate, with its exact CI."
        return f"{k} studies report it; they are shown side by side ({self.method.removeprefix('not pooled: ')})."

    @property
    def computed_by(self) -> str:
        """How the value was computed and what it is checked against."""
        if not self.reported:
            return ""
        if self.kind == "median" or (self.kind == "ratio" and self.measure == "hazard ratio"):
            return "Taken as the paper prints it (no computation)."
        if self.kind == "ratio":
            return ("From the printed counts of both arms: the Wald CI, or, with a small cell, the conditional exact "
                    "odds ratio and CI that R's fisher.test gives (checked against it in the review's tests).")
        if self.pooled and self.bayesian:
            return (f"{self.model[:1].upper()}{self.model[1:]}: posterior median and 95% credible interval of the "
                    "pooled rate, and the 95% interval of the rate in a new study (posterior predictive), by "
                    "numerical integration; checked in the review's tests against published worked examples "
                    "of the R package bayesmeta and against a Markov chain Monte Carlo run.")
        if self.pooled:
            return ("Binomial-normal generalised linear mixed model (maximum likelihood, adaptive Gauss-Hermite "
                    "quadrature, 7 points), checked against R metafor 3.8.1 rma.glmm(measure = \"PLO\") to 1e-4 "
                    "in the review's tests.")
        return ("Each study's rate from its count and denominator, with the exact (Clopper-Pearson) CI, checked "
                "against SciPy's binomial test in the review's tests.")

    @property
    def bayesian(self) -> bool:
        """Whether the estimate is a Bayesian pool's (its interval a credible interval)."""
        return self.interval == CREDIBLE

    @property
    def kind(self) -> str:
        if self.measure:
            return "ratio"
        return "median" if self.endpoint in MEDIAN_OUTCOMES else "rate"

    @property
    def label(self) -> str:
        if not self.measure:
            return LABELS[self.endpoint]
        return f"{LABELS[self.endpoint]}: {self.intervention} vs control ({self.measure})"

    @property
    def phrase(self) -> str:
        """'objective response 81.9% (…)' or 'objective response vs control: OR 11.77 (…)' for prose."""
        name = LABELS[self.endpoint]
        name = name[:1].lower() + name[1:]
        return f"{name} vs control: {self.brief}" if self.measure else f"{name} {self.brief}"

    @property
    def reported(self) -> bool:
        return bool(self.studies)

    @property
    def pooled(self) -> bool:
        return _finite(self.estimate) and len(self.studies) > 1

    @property
    def patients(self) -> int:
        return sum(s.patients for s in self.studies)

    @property
    def level(self) -> str | None:
        return self.judgement.level if self.judgement is not None and self.reported else None

    @property
    def certainty(self) -> str:
        """'Very low ⊕◯◯◯', 'Not graded', or '' when nothing is reported."""
        return certainty_text(self.level) if self.reported else ""

    @property
    def stale(self) -> bool:
        """The judgement was made on other studies than the analysis now uses."""
        return (self.judgement is not None and self.reported
                and sorted(self.judgement.studies) != sorted(s.study_id for s in self.studies))

    @property
    def informative(self) -> bool:
        """False when the estimate's CI spans (nearly) every possible value."""
        if not _finite(self.estimate, self.ci_low, self.ci_high):
            return True
        if self.kind == "ratio":
            return not wording.ratio_is_uninformative(self.ci_low, self.ci_high)
        if self.kind == "rate":
            return not wording.rate_is_uninformative(self.ci_low, self.ci_high)
        return True

    @property
    def result(self) -> str:
        """The estimate with its CI as a table cell shows it; an odds ratio with the risk ratio
        beside it ('OR 11.24 (95% CI 2.61–70.53); RR 2.08 (95% CI 1.36–3.18)')."""
        return self._estimate + (f"; {self.risk_ratio_text}" if self.risk_ratio_text else "")

    @property
    def risk_ratio_text(self) -> str:
        """'RR 2.08 (95% CI 1.36–3.18)' beside an odds ratio of one study; '' otherwise."""
        rr = self.risk_ratio
        if not self.reported or rr is None or not _finite(rr["estimate"]):
            return ""
        return risk_ratio_text(rr)

    @property
    def risk_difference_text(self) -> str:
        """'Risk difference +46.7 percentage points (95% CI 23.2 to 63.9)'; '' without one."""
        if not self.reported or self.risk_difference is None:
            return ""
        text = risk_difference_text(self.risk_difference)
        return text[:1].upper() + text[1:]

    @property
    def _estimate(self) -> str:
        if not self.reported:
            return NOT_REPORTED
        if self.kind == "median":
            if len(self.studies) == 1:
                return self.studies[0].text
            return " and ".join(f"{s.text.split(' (')[0]} ({s.name})" for s in self.studies) + ", not pooled"
        if not _finite(self.estimate):
            # '76.1% (Li 2022, 35/46) and 90.0% (Xu 2025, 27/30), not pooled': values first, as medians
            shown = []
            for s in self.studies:
                value, _, rest = s.text.partition(" (")
                shown.append(f"{value} ({s.name}, {rest}" if rest else f"{value} ({s.name})")
            return " and ".join(shown) + ", not pooled"
        if self.kind == "rate":
            return f"{self.estimate:.1f}% (95% {self.interval} {self.ci_low:.1f}–{self.ci_high:.1f})"
        return f"{RATIO_ABBREVIATIONS[self.measure]} {self.estimate:.2f} (95% CI {self.ci_low:.2f}–{self.ci_high:.2f})"

    @property
    def evidence(self) -> str:
        """'2 studies, 76 patients'."""
        if not self.reported:
            return ""
        k = len(self.studies)
        return f"{k} {'study' if k == 1 else 'studies'}, {self.patients} patients"

    @property
    def brief(self) -> str:
        """'81.9% (95% CI 69.2–90.1; 2 studies, 76 patients; very low certainty)' for prose."""
        return self._brief("")

    @property
    def brief_with_reason(self) -> str:
        """:attr:`brief`, saying why a rate several studies report is not pooled: '76.1% (Li 2022,
        35/46) and 90.0% (Xu 2025, 27/30), not pooled because two studies cannot show … (2 studies,
        76 patients; very low certainty)'."""
        several = self.kind == "rate" and len(self.studies) > 1 and not self.pooled
        return self._brief(self.method.removeprefix("not pooled: ") if several else "")

    def _brief(self, not_pooled_because: str) -> str:
        if not self.reported:
            return NOT_REPORTED
        certainty = f"{self.level} certainty" if self.level else "certainty not graded"
        if not self.informative:
            return f"too imprecise to inform ({self.result}; {self.evidence})"
        result = self._estimate
        if result.endswith(")") and ("(95% CI" in result or "(95% CrI" in result):
            result = result[:-1] + f"; {self.evidence}; {certainty})"
        else:
            because = f" because {not_pooled_because}" if not_pooled_because else ""
            result = f"{result}{because} ({self.evidence}; {certainty})"
        return result + (f"; {self.risk_ratio_text}" if self.risk_ratio_text else "")

    @property
    def sentence(self) -> str:
        """The plain-language statement, worded by the certainty (:mod:`livingreview.statistics.wording`)."""
        if not self.reported:
            what = LABELS[self.endpoint].lower()
            if self.measure:
                return (f"No study in the main analyses compares {what} with and without {self.intervention} "
                        "in this setting.")
            if self.endpoint == "grade3":
                what = "the share of patients with any grade ≥3 adverse event"
            instead = f" {self.reported_instead}" if self.reported_instead else ""
            return f"No study in the main analyses reports {what} in this setting.{instead}"
        if self.kind == "rate" and not _finite(self.estimate):
            values = [s.estimate for s in self.studies if _finite(s.estimate)]
            spread = f", from {min(values):.0f}% to {max(values):.0f}% of patients" if values else ""
            return (f"{len(self.studies)} studies report {LABELS[self.endpoint].lower()}{spread}; they are shown "
                    f"side by side, not pooled ({self.method.removeprefix('not pooled: ')}).")
        if self.kind == "rate":
            return wording.rate_statement(self.endpoint, self.estimate, self.ci_low, self.ci_high, self.level,
                                          self.intervention, self.interval)
        if self.kind == "median":
            return wording.median_statement(self.endpoint, [s.printed for s in self.studies], self.level,
                                            self.intervention)
        if not _finite(self.estimate):
            return (f"{len(self.studies)} studies compare {LABELS[self.endpoint].lower()} with and without "
                    f"{self.intervention}; their ratios are shown, not pooled.")
        return wording.effect_statement(self.endpoint, self.estimate, self.ci_low, self.ci_high, self.level,
                                        self.intervention)


@dataclass
class SettingFindings:
    """Every finding of one setting, and the studies it rests on or leaves out."""

    setting_group: str
    setting: str
    arm_findings: list[Finding]
    comparison_findings: list[Finding]
    main_studies: list[str]
    left_out: list[StudyStatus]
    comparisons: list[tuple[str, str, str, str]] = field(default_factory=list)  # (intervention, comparator, study, design)
    intervention: str = "the intervention"  # its name, as review.yaml gives it
    # Main-analysis studies that give the intervention alone, kept apart from combinations by
    # the review's pooling rule (review.yaml pooling.combine_monotherapy): in no finding.
    kept_apart: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return self.arm_findings + self.comparison_findings

    @property
    def comparison(self) -> str:
        """'<intervention> + X vs X (Xu 2025)', '' when no study of the setting has a control arm."""
        return "; ".join(f"{i} vs {c} ({s})" for i, c, s, _ in self.comparisons)
