"""Plain-language statements of a finding, worded by its GRADE certainty.

The wording follows GRADE's guidance on informative statements (Santesso N et al. GRADE
guidelines 26: informative statements to communicate the findings of systematic reviews of
interventions. J Clin Epidemiol 2020;119:126-135, doi 10.1016/j.jclinepi.2019.10.014,
PMID 31711912): the certainty sets the verb ("reduces" for high, "likely reduces" for
moderate, "may reduce" for low), a direction is claimed only when the interval excludes no
difference, and at very low certainty no direction is claimed ("the evidence is very uncertain
about the effect of …"). For single-arm rates, very low certainty adds "but the evidence is
very uncertain". A result too imprecise to inform says that instead, whatever
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
# A ratio CI within this band is "little to no difference": no minimal important difference is
# set for these outcomes, so the conventional 0.8-1.25 equivalence band stands in for one.
NO_DIFFERENCE_BAND = (0.8, 1.25)

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
                   intervention: str, interval: str = "CI") -> str:
    """'About 82 in 100 patients given <intervention>-containing regimens may respond (complete or
    partial response), but the evidence is very uncertain.' (the page names the setting).
    ``interval`` names what ci_low-ci_high is: a confidence ("CI") or credible ("CrI") interval."""
    if rate_is_uninformative(ci_low, ci_high):
        return (f"The evidence is too imprecise to say how many patients {RATE_VERBS[outcome][HIGH]} with "
                f"{intervention}-containing regimens: the 95% {interval} runs from {_number(ci_low, 1)}% to "
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


# Where a ratio's 95% CI lies, which decides what a statement may claim (Santesso et al. 2020):
BENEFIT_OR_HARM = "excludes no difference"  # the whole interval on one side of 1: a direction
NO_DIFFERENCE = "little or no difference"  # the interval includes 1 and stays within the band
EITHER_WAY = "includes both directions"  # the interval includes 1 and reaches beyond the band
# How the certainty words a direction (the effect phrase follows) and "little or no difference".
DIRECTION_VERBS = {HIGH: "{present}", MODERATE: "likely {present}", LOW: "may {phrase}"}
NO_DIFFERENCE_VERBS = {HIGH: "results", MODERATE: "likely results", LOW: "may result"}


def interval_location(ci_low: float, ci_high: float) -> str:
    """Where a ratio's CI lies: :data:`BENEFIT_OR_HARM` (it excludes 1), :data:`NO_DIFFERENCE`
    (it includes 1 and stays within :data:`NO_DIFFERENCE_BAND`) or :data:`EITHER_WAY`."""
    if ci_high < 1 or ci_low > 1:
        return BENEFIT_OR_HARM
    if NO_DIFFERENCE_BAND[0] <= ci_low and ci_high <= NO_DIFFERENCE_BAND[1]:
        return NO_DIFFERENCE
    return EITHER_WAY


def effect_statement(outcome: str, ratio: float, ci_low: float, ci_high: float, level: str | None,
                     intervention: str) -> str:
    """The statement of a hazard or odds ratio (the intervention against the same regimen without
    it), by its certainty and where its CI lies (GRADE guidance 26, Santesso et al. 2020):

    - very low certainty: "The evidence is very uncertain about the effect of adding X on Y",
      whatever the interval (no direction is claimed);
    - a CI spanning both a halving and a doubling: too imprecise to inform;
    - a CI that excludes 1: the direction, worded by the certainty ("reduces", "likely reduces",
      "may reduce");
    - a CI within :data:`NO_DIFFERENCE_BAND`: "little to no difference", worded by the certainty;
    - any other CI that includes 1: no claim either way, the interval named.
    An outcome with no certainty judgement is worded as low certainty and says it is not graded.
    """
    rise, fall, noun = EFFECT_PHRASES[outcome]
    if level == VERY_LOW:
        return f"The evidence is very uncertain about the effect of adding {intervention} on {noun}."
    if ratio_is_uninformative(ci_low, ci_high):
        return (f"The evidence is too imprecise to tell whether adding {intervention} changes {noun}: the "
                f"95% CI of the ratio runs from {ci_low:.2f} to {ci_high:.2f}.")
    tail = NOT_GRADED_CLAUSE if level is None else ""
    location = interval_location(ci_low, ci_high)
    if location == NO_DIFFERENCE:
        return f"Adding {intervention} {NO_DIFFERENCE_VERBS[level or LOW]} in little to no difference in {noun}{tail}."
    if location == EITHER_WAY:
        return (f"The evidence does not show whether adding {intervention} changes {noun}: the 95% CI of the "
                f"ratio ({ci_low:.2f} to {ci_high:.2f}) includes no difference and appreciable effects in both "
                f"directions{tail}.")
    phrase = rise if ratio > 1 else fall
    verb = DIRECTION_VERBS[level or LOW].format(present=_present(phrase), phrase=phrase)
    return f"Adding {intervention} {verb}{tail}."


def _present(phrase: str) -> str:
    """'increase the chance of response' -> 'increases the chance of response'."""
    verb, _, rest = phrase.partition(" ")
    return f"{verb}s {rest}"
