"""Validation of one study folder: study.yaml (schema, ids, dates on the calendar, plausible
values), its risk-of-bias and integrity files, every curated table, then what the tables say
together (row references, digitised curves).
"""

from __future__ import annotations

import datetime
from pathlib import Path

from .. import paths
from ..curated.dictionary import load_dictionary
from ..curated.integrity import INTEGRITY_FILE
from ..curated.risk_of_bias import RISK_OF_BIAS_FILE
from ..curated.studies import STUDY_FILE
from .curves import validate_curves
from .problems import Problem, enum_text
from .references import validate_references
from .tables import validate_table
from .yaml_files import load_yaml, optional_yaml, schema_problems

# The arm of a population or row that is the whole study rather than one arm.
ALL_ARMS = "all"


def validate_study(folder: Path, vocabulary_terms: list[str] | None,
                   rob_tools: dict[str, dict] | None = None,
                   integrity_checks: dict[str, dict] | None = None) -> list[Problem]:
    """All problems of one study folder."""
    meta, problems = validate_study_meta(folder)
    if rob_tools is not None:
        problems += validate_risk_of_bias(folder, rob_tools)
    if integrity_checks is not None:
        problems += validate_integrity(folder, integrity_checks)
    if meta is None:
        return problems
    arm_ids = [a["arm_id"] for a in meta["arms"]]
    references = {
        "arm": [*arm_ids, ALL_ARMS],
        "population": sorted({p["population_id"] for p in meta["populations"]}),
        "ae_term": vocabulary_terms,
    }
    pairs = {(p["arm"], p["population_id"]) for p in meta["populations"]}
    for spec in load_dictionary().study_tables.values():
        if not spec.required and not (folder / spec.file).exists():
            continue
        problems += validate_table(folder / spec.file, spec, references, pairs)
    if not problems:
        problems += validate_curves(folder)
        problems += validate_references(folder)
    return problems


def validate_study_meta(folder: Path) -> tuple[dict | None, list[Problem]]:
    """Problems of study.yaml (schema, ids); returns the metadata when it can be read."""
    path = folder / STUDY_FILE
    file = paths.relative_to_root(path)
    meta, problems = load_yaml(path)
    if meta is None:
        return None, problems
    problems += schema_problems(file, meta, paths.STUDY_SCHEMA_FILE)
    if problems:
        return None, problems
    if meta["study_id"] != folder.name:
        problems.append(Problem(file, None, "study_id", meta["study_id"],
                                f"the folder name '{folder.name}'"))
    arm_ids = [a["arm_id"] for a in meta["arms"]]
    for i, arm_id in enumerate(arm_ids):
        if arm_ids.index(arm_id) != i:
            problems.append(Problem(file, None, f"arms[{i}].arm_id", arm_id, "a unique arm id"))
    seen = set()
    for i, population in enumerate(meta["populations"]):
        key = (population["population_id"], population["arm"])
        if key in seen:
            problems.append(Problem(file, None, f"populations[{i}]", "/".join(key),
                                    "each population declared once per arm"))
        seen.add(key)
        if population["arm"] not in [*arm_ids, ALL_ARMS]:
            problems.append(Problem(file, None, f"populations[{i}].arm", population["arm"],
                                    f"an arm id ({', '.join(arm_ids)}) or '{ALL_ARMS}'"))
    declared = sorted({p["population_id"] for p in meta["populations"]})
    problems += _subset_problems(file, meta)
    for role, population_id in meta["analysis_populations"].items():
        if role in POPULATION_ROLES and population_id not in declared:
            problems.append(Problem(file, None, f"analysis_populations.{role}", population_id,
                                    f"a declared population ({', '.join(declared)})"))
    problems += _date_problems(file, meta)
    problems += _implausible(file, meta)
    return (meta if not problems else None), problems


def _subset_problems(file: str, meta: dict) -> list[Problem]:
    """A ``subset_of`` that names no population of the same arm, or a parent with fewer
    patients than the subset: the event bounds a reconstruction takes from the parent would
    then be wrong."""
    problems = []
    sizes = {(p["population_id"], p["arm"]): p["n"] for p in meta["populations"]}
    for i, population in enumerate(meta["populations"]):
        parent = (population.get("subset_of") or {}).get("population")
        if parent is None:
            continue
        key = (parent, population["arm"])
        if key not in sizes or parent == population["population_id"]:
            problems.append(Problem(file, None, f"populations[{i}].subset_of.population", parent,
                                    f"another population declared for arm '{population['arm']}'"))
        elif sizes[key] < population["n"]:
            problems.append(Problem(file, None, f"populations[{i}].subset_of.population", parent,
                                    f"a population of at least {population['n']} patients (it has {sizes[key]})"))
    return problems


# The keys of analysis_populations that name a declared population.
POPULATION_ROLES = ("efficacy", "comparison", "safety")


def _implausible(file: str, meta: dict) -> list[Problem]:
    """Values of study.yaml beyond the data dictionary's plausibility bounds."""
    bounds = load_dictionary().plausibility
    problems = []
    most_patients = bounds.get("patients_per_population")
    for i, population in enumerate(meta["populations"]):
        if most_patients is not None and population["n"] > most_patients:
            problems.append(Problem(file, None, f"populations[{i}].n", str(population["n"]),
                                    f"at most {most_patients:,} patients (the data dictionary's plausibility "
                                    "bound: larger is a typing error, or a registry that is not a study of "
                                    "this review)"))
    longest = bounds.get("follow_up_months")
    for key, value in (meta.get("median_follow_up") or {}).items():
        if key in ("months", "low", "high") and longest is not None and value > longest:
            problems.append(Problem(file, None, f"median_follow_up.{key}", str(value),
                                    f"at most {longest:g} months of follow-up (the data dictionary's "
                                    "plausibility bound: larger is a typing error, e.g. days for months)"))
    return problems


# Where study.yaml holds dates as printed (as precise as printed: 2021, 2021-03 or 2021-03-15).
DATE_KEYS = [("enrolment_period", "start"), ("enrolment_period", "end"), ("data_cutoff", "date"),
             ("dates", "received"), ("dates", "revised"), ("dates", "accepted"), ("dates", "published")]


def _date_problems(file: str, meta: dict) -> list[Problem]:
    """Dates that match the printed-date pattern but are not on the calendar (2019-13-45)."""
    problems = []
    for section, key in DATE_KEYS:
        value = str((meta.get(section) or {}).get(key) or "")
        parts = value.split("-")
        if len(parts) < 2:
            continue
        try:
            datetime.date(int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) > 2 else 1)
        except ValueError as exc:
            problems.append(Problem(file, None, f"{section}.{key}", value, f"a date on the calendar ({exc})"))
    return problems


def validate_risk_of_bias(folder: Path, tools: dict[str, dict]) -> list[Problem]:
    """Problems of a study's risk_of_bias.yaml (absent file: not appraised, no problem)."""
    path = folder / RISK_OF_BIAS_FILE
    judgement, problems = optional_yaml(path, paths.RISK_OF_BIAS_SCHEMA_FILE)
    if judgement is None:
        return problems
    file = paths.relative_to_root(path)
    tool = tools.get(judgement["tool"])
    if tool is None:
        return [Problem(file, None, "tool", judgement["tool"], enum_text(tuple(tools)))]
    domain_ids = [d["id"] for d in tool["domains"]]
    judged = [d["domain"] for d in judgement["domains"]]
    if judged != domain_ids:
        problems.append(Problem(file, None, "domains", ", ".join(judged),
                                f"every {tool['name']} domain once, in order: {', '.join(domain_ids)}"))
    for i, domain in enumerate(judgement["domains"]):
        if str(domain["judgement"]) not in tool["judgements"]:
            problems.append(Problem(file, None, f"domains[{i}].judgement", str(domain["judgement"]),
                                    enum_text(tuple(tool["judgements"]))))
    overall = str(judgement["overall"]["judgement"])
    if overall not in tool["overall_judgements"]:
        problems.append(Problem(file, None, "overall.judgement", overall,
                                enum_text(tuple(tool["overall_judgements"]))))
    return problems


def validate_integrity(folder: Path, checks: dict[str, dict]) -> list[Problem]:
    """Problems of a study's integrity.yaml (absent file: not screened, no problem)."""
    path = folder / INTEGRITY_FILE
    screen, problems = optional_yaml(path, paths.INTEGRITY_SCHEMA_FILE)
    if screen is None:
        return problems
    file = paths.relative_to_root(path)
    if screen["study_id"] != folder.name:
        problems.append(Problem(file, None, "study_id", screen["study_id"], f"the folder name '{folder.name}'"))
    answered = [c["check"] for c in screen["checks"]]
    if sorted(answered) != sorted(checks) or len(set(answered)) != len(answered):
        problems.append(Problem(file, None, "checks", ", ".join(answered),
                                f"every check once: {', '.join(checks)}"))
    return problems
