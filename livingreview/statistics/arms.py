"""Which arms and populations each study contributes to the statistics across studies.

Every study names, in ``study.yaml`` (``analysis_populations``), the population its main
efficacy, comparison and safety results refer to; the chapters read those rows only. Each arm
says whether it is given the review's intervention (``receives_intervention``) and with which
partner treatments (``partners``): that makes the intervention arms and the controls of a
comparison, and the arms of the intervention alone that the pools keep apart from combinations
unless the review allows pooling them (review.yaml ``pooling.combine_monotherapy``).
"""

from __future__ import annotations

from ..curated.review import intervention_of, load_review, receives_intervention
from ..curated.studies import Study

# Which arms of each study a rate table holds: those given the intervention, or the controls.
INTERVENTION, CONTROL = "intervention", "control"


def efficacy_population(study: Study) -> str:
    """The population a study's main efficacy results refer to (``analysis_populations.efficacy``)."""
    return study.meta["analysis_populations"]["efficacy"]


def comparison_population(study: Study) -> str:
    """The population a study compares its arms in (``analysis_populations.comparison``), else its
    efficacy population."""
    return study.meta["analysis_populations"].get("comparison") or efficacy_population(study)


def safety_population(study: Study) -> str | None:
    """The declared safety population, else the only population in the AE table (or None)."""
    declared = study.meta["analysis_populations"].get("safety")
    if declared:
        return declared
    found = study.tables["adverse_events"]["population"].unique()
    return found[0] if len(found) == 1 else None


def intervention_arms(study: Study) -> list[str]:
    """The arms given the review's intervention (``receives_intervention`` in study.yaml)."""
    return [a["arm_id"] for a in study.meta["arms"] if receives_intervention(a)]


def control_arms(study: Study) -> list[str]:
    """The arms not given the review's intervention."""
    return [a["arm_id"] for a in study.meta["arms"] if not receives_intervention(a)]


def is_monotherapy(study: Study, arm: str) -> bool:
    """Whether an arm gives the intervention alone (its ``partners`` list is empty)."""
    meta = study.arms.get(arm, {})
    return receives_intervention(meta) and not meta.get("partners")


# How an arm's partner treatments (``partners`` in study.yaml) are named.
PARTNER_LABELS = {"chemotherapy": "chemotherapy", "pd1_inhibitor": "PD-1 inhibitor", "radiotherapy": "radiotherapy"}


def regimen_label(study: Study, arm: str) -> str:
    """'<intervention> alone', '<intervention> + chemotherapy, PD-1 inhibitor', 'no <intervention>'."""
    meta = study.arms.get(arm, {})
    name = intervention_of(study).name
    if not receives_intervention(meta):
        return f"no {name}"
    partners = [PARTNER_LABELS.get(str(p), str(p).replace("_", " ")) for p in meta.get("partners") or []]
    return f"{name} + " + ", ".join(partners) if partners else f"{name} alone"


def combines_monotherapy(study: Study) -> bool:
    """Whether the review allows pooling the intervention alone with combinations (review.yaml
    pooling.combine_monotherapy; no, by default)."""
    return bool((load_review(study.folder.parent.parent).get("pooling") or {}).get("combine_monotherapy"))


def pooled_intervention_arms(study: Study) -> list[str]:
    """The intervention arms whose rates the pools use: every one, except arms of the
    intervention alone when the review keeps monotherapy apart from combinations."""
    return [a for a in intervention_arms(study) if not is_monotherapy(study, a) or combines_monotherapy(study)]


def monotherapy_left_out(studies: list[Study]) -> list[tuple[Study, str]]:
    """(study, arm) of every arm of the intervention alone that the pools leave out."""
    return [(s, a) for s in studies for a in intervention_arms(s) if a not in pooled_intervention_arms(s)]


DENOMINATOR_LABELS = {"all_treated": "all treated (not evaluable = no response)",
                      "evaluable": "evaluable patients only",
                      "not_stated": "not stated in the report"}


def response_denominator(study: Study) -> str:
    """What a study's response rates count over (``analysis_populations.response_denominator``),
    in words."""
    return DENOMINATOR_LABELS[study.meta["analysis_populations"].get("response_denominator", "not_stated")]


def is_matched(study: Study, population: str) -> bool:
    """True when ``population`` is a matched cohort (``matched: true`` in study.yaml)."""
    return any(p.get("matched") for p in study.meta["populations"] if p["population_id"] == population)


def two_arm_studies(studies: list[Study]) -> list[Study]:
    """The studies with an intervention arm and a control arm (from their metadata alone, so that
    a comparison reads no single-arm study's tables)."""
    return [s for s in studies if intervention_arms(s) and control_arms(s)]


def arm_label(study: Study, arm: str) -> str:
    """An arm's label as study.yaml gives it; the arm id for an arm it does not declare."""
    return study.arms[arm]["label"] if arm in study.arms else arm
