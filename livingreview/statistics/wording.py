"""Plain-language statements of a finding, worded by its GRADE certainty.

The wording follows GRADE's guidance on informative statements (Santesso N et al. GRADE
guidelines 26: informative statements to communicate the findings of systematic reviews of
interventions. J Clin Epidemiol 2020;119:126-135, doi 10.1016/j.jclinepi.2019.10.014,
PMID 31711912): the certainty sets the verb ("reduces" for high, "likely reduces" for
moderate, "may reduce" for low) and very low certainty says so ("may reduce …, but the
evidence is very uncertain"). A result too imprecise to inform says that instead, whatever
its certainty, and an outcome with no certainty judgement says it is not graded.

Single-arm evidence has no comparator, so its statements describe what happened with the
regimens containing the intervention ("about 76 in 100 patients may respond") rather than an
effect. Every statement names the intervention as ``data/review.yaml`` does.
"""

from __future__ import annotations

HIGH, MODERATE, LOW, VERY_LOW = "high", "moderate", "low", "very low"
VERY_UNCERTAIN = ", but the evidence is very uncertain"
NOT_GRADED_CLAUSE = " (the certainty of this evidence is not graded)"
# A rate whose 95% CI spans at least this many percentage points says almost nothing.
UNINFORMATIVE_RATE_SPAN = 75.0
# A ratio whose CI reaches both below this and above its inverse spans both a halving and a
# doubling of the odds or hazard: it cannot tell benefit from harm.
UNINFORMATIVE_RATIO_LOW = 0.5
# A ratio this close to 1 is "little to no difference" (no minimal important difference is set).
NO_DIFFERENCE_BAND = (0.95, 1.05)

# Arm-level outcomes: what a patient given the regimen does ("about N in 100 patients ...").
RATE_VERBS = {  # certainty -> (verb as stated with that certainty)
    "ORR": {HIGH: "respond", MODERATE: "probably respond", LOW: "may respond", VERY_LOW: "may respond"},
    "DCR": {HIGH: "have their disease controlled", MODERATE: "probably have their disease controlled",
            LOW: "may have their disease controlled", VERY_LOW: "may have their disease controlled"},
    "grade3": {HIGH: "have a grade ≥3 adverse event", MODERATE: "probably have a grade ≥3 adverse event",
               LOW: "may have a grade ≥3 adverse event", VERY_LOW: "may have a grade ≥3 adverse event"},
}
RATE_GLOSS = {"ORR": " (complete or partial response)", "DCR": " (response or stable disease)", "grade3": ""}
MEDIAN_NOUNS = {"PFS": "median progression-free survival", "OS": "median overall survival"}
MEDIAN_VERBS = {HIGH: "is", MODERATE: "is probably", LOW: "may be", VERY_LOW: "may be"}
# Comparisons: (what rises when the ratio is above 1, what falls when it is below 1, the outcome).
EFFECT_PHRASES = {
    "ORR": ("increase the chance of response", "reduce the chance of response", "response"),
    "DCR": ("increase the chance of disease control", "reduce the chance of disease control", "disease control"),
    "PFS": ("shorten progression-free survival", "prolong progression-free survival", "progression-free survival"),
    "OS": ("shorten overall survival", "prolong overall survival", "overall survival"),
    "grade3": ("increase grade ≥3 adverse events", "reduce grade ≥3 adverse events", "grade ≥3 adverse events"),
}


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def rate_is_uninformative(ci_low: float, ci_high: float) -> bool:
    """True when a rate's 95% CI (percent) spans nearly the whole range."""
    return ci_high - ci_low >= UNINFORMATIVE_RATE_SPAN


def ratio_is_uninformative(ci_low: float, ci_high: float) -> bool:
    """True when a ratio's CI spans both a halving and a doubling."""
    return ci_low < UNINFORMATIVE_RATIO_LOW and ci_high > 1 / UNINFORMATIVE_RATIO_LOW


def _certainty_tail(level: str | None) -> str:
    if level is None:
        return NOT_GRADED_CLAUSE
    return VERY_UNCERTAIN if level == VERY_LOW else ""


def rate_statement(outcome: str, percent: float, ci_low: float, ci_high: float, level: str | None,
                   intervention: str) -> str:
    """'About 82 in 100 patients given <intervention>-containing regimens may respond (complete or
    partial response), but the evidence is very uncertain.' (the page names the setting)."""
    if rate_is_uninformative(ci_low, ci_high):
        return (f"The evidence is too imprecise to say how many patients {RATE_VERBS[outcome][HIGH]} with "
                f"{intervention}-containing regimens: the 95% CI runs from {_number(ci_low, 1)}% to "
                f"{_number(ci_high, 1)}%.")
    verb = RATE_VERBS[outcome][level or LOW]
    return (f"About {round(percent)} in 100 patients given {intervention}-containing regimens "
            f"{verb}{RATE_GLOSS[outcome]}{_certainty_tail(level)}.")


def median_statement(outcome: str, medians: list[str], level: str | None, intervention: str) -> str:
    """'Median progression-free survival with <intervention>-containing regimens may be about 8.38
    months, but …' (one study), or '… between 8.38 and 16.03 months (not pooled) …'.
    ``medians`` are the medians as printed (their precision is kept)."""
    noun = MEDIAN_NOUNS[outcome]
    verb = MEDIAN_VERBS[level or LOW]
    if len(medians) == 1:
        value = f"about {medians[0]} months"
    else:
        ordered = sorted(medians, key=float)
        value = (f"between {ordered[0]} and {ordered[-1]} months (the medians of {len(medians)} studies, "
                 "not pooled)")
    return (f"{noun[0].upper()}{noun[1:]} with {intervention}-containing regimens {verb} "
            f"{value}{_certainty_tail(level)}.")


def effect_statement(outcome: str, ratio: float, ci_low: float, ci_high: float, level: str | None,
                     intervention: str) -> str:
    """'Adding <intervention> may prolong progression-free survival, but the evidence is very
    uncertain.' from a hazard or odds ratio (the intervention against the same regimen without it)."""
    rise, fall, noun = EFFECT_PHRASES[outcome]
    if ratio_is_uninformative(ci_low, ci_high):
        return (f"The evidence is too imprecise to tell whether adding {intervention} changes {noun}: the "
                f"95% CI of the ratio runs from {ci_low:.2f} to {ci_high:.2f}.")
    includes_null = ci_low <= 1 <= ci_high
    null_clause = " (the 95% CI includes no difference)" if includes_null else ""
    if NO_DIFFERENCE_BAND[0] <= ratio <= NO_DIFFERENCE_BAND[1]:
        if level == VERY_LOW:
            return f"The evidence is very uncertain about the effect of adding {intervention} on {noun}."
        verb = {HIGH: "results", MODERATE: "likely results", LOW: "may result", None: "may result"}[level]
        return f"Adding {intervention} {verb} in little to no difference in {noun}{null_clause}{_certainty_tail(level)}."
    phrase = rise if ratio > 1 else fall
    if level == HIGH:
        sentence = f"Adding {intervention} {_present(phrase)}"
    elif level == MODERATE:
        sentence = f"Adding {intervention} likely {_present(phrase)}"
    else:
        sentence = f"Adding {intervention} may {phrase}"
    return f"{sentence}{null_clause}{_certainty_tail(level)}."


def _present(phrase: str) -> str:
    """'increase the chance of response' -> 'increases the chance of response'."""
    verb, _, rest = phrase.partition(" ")
    return f"{verb}s {rest}"
