"""The review's eligibility criteria as checks on a study's curated metadata.

``data/review.yaml`` states the criteria in words (``inclusion_criteria``,
``exclusion_criteria``) and, under ``eligibility_checks``, those that the data can show. A
study folder under ``data/studies/`` is an included study, so it must pass every check;
a report that fails one is recorded as a full-text exclusion in ``search/screening.csv``
with its reason, and is in no analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..curated.review import patients_in, receives_intervention


@dataclass(frozen=True)
class Failure:
    """One criterion a study fails: where in study.yaml, and the criterion in words."""

    key: str
    value: str
    criterion: str


def eligibility_failures(meta: dict, review: dict) -> list[Failure]:
    """The criteria of ``review`` (its ``eligibility_checks``) that a study's metadata fails."""
    checks = review.get("eligibility_checks") or {}
    name = review["intervention"]["name"]
    failures = []
    if checks.get("intervention_combination"):
        given = [a for a in meta.get("arms", []) if receives_intervention(a)]
        if not [a for a in given if a.get("partners")]:
            failures.append(Failure(
                "arms", ", ".join(a["arm_id"] for a in given) or f"no arm given {name}",
                f"an arm combining {name} with another treatment (inclusion criterion; {name} alone is "
                f"excluded): an arm with receives_intervention: true and non-empty 'partners'"))
    minimum = checks.get("min_patients")
    if minimum is not None and patients_in(meta) < int(minimum):
        failures.append(Failure("populations", str(patients_in(meta)),
                                f"at least {minimum} patients (exclusion criterion: case reports and small "
                                "case series)"))
    designs = checks.get("designs")
    kind = (meta.get("design") or {}).get("type")
    if designs and kind not in designs:
        failures.append(Failure("design.type", str(kind), f"an eligible design ({', '.join(designs)})"))
    return failures
