"""The review as a whole: its question (data/review.yaml) and the studies it includes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from .studies import Study, read_yaml

DESIGNS_FILE_NAME = "vocabulary/designs.yaml"


def load_designs(data_dir: Path = paths.DATA_DIR) -> dict[str, dict]:
    """The designs a study can have: id -> label, randomised, comparative, rob_tools."""
    return read_yaml(Path(data_dir) / DESIGNS_FILE_NAME) or {}


def load_review(data_dir: Path = paths.DATA_DIR) -> dict:
    """The review question, PICO, eligibility criteria and setting labels."""
    return read_yaml(Path(data_dir) / paths.REVIEW_FILE_NAME)


def design_label(study: Study) -> str:
    """Readable design of a study."""
    kind = study.meta["design"]["type"]
    design = load_designs(study.folder.parent.parent).get(kind, {})
    label = design.get("label", kind.replace("_", " ").capitalize())
    blinding = study.meta["design"].get("blinding")
    return f"{label}, {blinding.replace('_', '-')}" if blinding else label


def is_randomised(study: Study) -> bool:
    """Whether the study's patients were randomised to its arms (designs.yaml)."""
    return bool(load_designs(study.folder.parent.parent).get(study.meta["design"]["type"], {}).get("randomised"))


REPORT_TYPE_LABELS = {"journal_article": "journal article", "conference_abstract": "conference abstract",
                      "preprint": "preprint", "registry_record": "trial registry record",
                      "unidentified_article": "article, publication not identified"}


def report_label(meta: dict) -> str:
    """What a report is and whether its full text is held: "journal article", "journal article
    (abstract only)", "conference abstract" (study.yaml's report_type and full_text_available)."""
    kind = meta.get("report_type") or ("journal_article" if meta["full_text_available"] else "conference_abstract")
    label = REPORT_TYPE_LABELS.get(kind, kind.replace("_", " "))
    if not meta["full_text_available"] and kind != "conference_abstract":
        label += " (abstract only)"
    return label


def study_size(study: Study) -> int:
    """Patients in the study: the largest whole-study population, else the sum over arms of
    each arm's largest population."""
    return patients_in(study.meta)


def patients_in(meta: dict) -> int:
    """Patients in a study from its study.yaml metadata (see :func:`study_size`)."""
    populations = meta["populations"]
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
        "intervention_arms": sum(receives_intervention(a) for a in s.meta["arms"]),
        "patients": study_size(s),
        "report": report_label(s.meta),
        "full_text": bool(s.meta["full_text_available"]),
    } for s in studies])


def flow_stages(studies: list[Study], review: dict) -> list[tuple[str, list[tuple[str, int]]]]:
    """Stages of the flow diagram of included studies, counted from the data."""
    table = overview(studies, review)
    reports = [("Full text held", int(table["full_text"].sum())),
               ("Abstract only held", int((~table["full_text"]).sum()))]
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


@dataclass(frozen=True)
class Intervention:
    """What the review evaluates, as ``data/review.yaml`` names it (``intervention``): pages and
    sentences take its name from here, so that the code names no treatment."""

    name: str  # in running text: "the arms given <name>"
    label: str  # at the start of a sentence, in headings and figure titles

    @property
    def with_article(self) -> str:
        """The name after 'a' or 'an', as in 'an <name> arm' (by its first letter)."""
        return f"{'an' if self.name[:1].lower() in 'aeiou' else 'a'} {self.name}"

    def facts(self) -> dict[str, str]:
        """Its names for prose that glues them: {glue:text}`intervention`,
        {glue:text}`intervention_label` and {glue:text}`intervention_with_article`."""
        return {"intervention": self.name, "intervention_label": self.label,
                "intervention_with_article": self.with_article}


def intervention_in(review: dict) -> Intervention:
    """The intervention a loaded review.yaml names (its ``intervention``)."""
    return Intervention(str(review["intervention"]["name"]), str(review["intervention"]["label"]))


def load_intervention(data_dir: Path = paths.DATA_DIR) -> Intervention:
    """The review's intervention (``intervention`` of review.yaml)."""
    return intervention_in(load_review(data_dir))


def intervention_of(study: Study) -> Intervention:
    """The intervention of the review a study folder belongs to."""
    return load_intervention(study.folder.parent.parent)


def receives_intervention(arm: dict) -> bool:
    """Whether an arm of study.yaml is given the review's intervention (``receives_intervention``)."""
    return bool(arm.get("receives_intervention"))
