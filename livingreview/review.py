"""The review as a whole: its question (data/review.yaml) and the studies it includes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import paths
from .data import Study, read_yaml

DESIGN_LABELS = {
    "single_arm_trial": "Prospective single-arm trial",
    "nonrandomised_controlled_trial": "Non-randomised controlled trial",
    "retrospective_cohort": "Retrospective cohort",
    "retrospective_comparative": "Retrospective comparative cohort",
}


def load_review(data_dir: Path = paths.DATA_DIR) -> dict:
    """The review question, PICO, eligibility criteria and setting labels."""
    return read_yaml(Path(data_dir) / paths.REVIEW_FILE_NAME)


def design_label(study: Study) -> str:
    """Readable design of a study."""
    kind = study.meta["design"]["type"]
    return DESIGN_LABELS.get(kind, kind.replace("_", " ").capitalize())


def study_size(study: Study) -> int:
    """Patients in the study: the largest whole-study population, else the sum over arms of
    each arm's largest population."""
    populations = study.meta["populations"]
    whole = [p["n"] for p in populations if p["arm"] == "all"]
    if whole:
        return max(whole)
    per_arm: dict[str, int] = {}
    for p in populations:
        per_arm[p["arm"]] = max(per_arm.get(p["arm"], 0), p["n"])
    return sum(per_arm.values())


def overview(studies: list[Study], review: dict) -> pd.DataFrame:
    """One row per study: id, label, design, setting, arms, patients, report type."""
    settings = review.get("setting_groups", {})
    return pd.DataFrame([{
        "study_id": s.study_id,
        "label": s.meta["label"],
        "design": design_label(s),
        "setting": settings.get(s.meta["setting_group"], s.meta["setting_group"]),
        "arms": len(s.meta["arms"]),
        "anlotinib_arms": sum(bool(a.get("anlotinib")) for a in s.meta["arms"]),
        "patients": study_size(s),
        "report": "full text" if s.meta["full_text_available"] else "abstract only",
    } for s in studies])


def flow_stages(studies: list[Study], review: dict) -> list[tuple[str, list[tuple[str, int]]]]:
    """Stages of the flow diagram of included studies, counted from the data."""
    table = overview(studies, review)
    reports = [("Full-text articles", int((table["report"] == "full text").sum())),
               ("Conference abstracts", int((table["report"] == "abstract only").sum()))]
    designs = list(table.groupby("design", sort=True).size().items())
    settings = list(table.groupby("setting", sort=True).size().items())
    from .integrity import EXCLUDED, MAIN, SENSITIVITY, analysis_set

    sets = [analysis_set(s) for s in studies]
    analyses = [("Main analyses", sets.count(MAIN)), ("Sensitivity analyses only", sets.count(SENSITIVITY)),
                ("Excluded after the integrity screen", sets.count(EXCLUDED))]
    return [
        ("Reports included", [(label, n) for label, n in reports if n]),
        ("Designs", [(label, int(n)) for label, n in designs]),
        ("Settings", [(label, int(n)) for label, n in settings]),
        ("Analyses", [(label, n) for label, n in analyses if n]),
        ("Patients", [("Patients in the included studies", int(table["patients"].sum()))]),
    ]
