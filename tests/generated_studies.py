"""Random valid studies for the property-based tests (the ``hypothesis`` library).

A generated study starts from one of the fixture studies (a single-arm trial, or a
randomised two-arm trial) and changes what the data dictionary lets vary: its setting, the
size of each population, every count from 0 to its denominator (with the printed percentage
that goes with it), a median printed as "NR" (not reached), dates in any order the calendar
and the study allow, and which optional tables it has. The result passes validation by
construction; the tests assert that nothing downstream of validation then fails.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import yaml
from hypothesis import strategies as st

from .conftest import FIXTURES, VALID_DATA

TEMPLATES = {"single_arm": VALID_DATA / "studies/doe2024", "randomised": FIXTURES / "new_study/rct2027"}
SETTINGS = ["first_line_advanced", "later_line_advanced", "nodal_recurrence_crt"]
# What a study may leave out: a required table as its header alone (no rows), an optional
# file altogether.
OPTIONAL_TABLES = ["adverse_events.csv", "baseline.csv", "subgroups.csv", "km_curves.csv", "at_risk.csv",
                   "integrity.yaml"]
FILES_THAT_MAY_BE_ABSENT = {"km_curves.csv", "at_risk.csv", "integrity.yaml"}
# Tables whose counts were written for the template's own population sizes: a study smaller
# than its template leaves them out rather than print more patients than it has.
SIZE_BOUND_TABLES = ["baseline.csv", "subgroups.csv", "km_curves.csv", "at_risk.csv"]
MAX_PATIENTS = 400  # per population; far above the review's studies, well below validation's bound


def _read(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _percent(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}"


@st.composite
def study_plans(draw, index: int) -> dict:
    """A plan for one study: its template, setting, sizes, counts and dropped tables."""
    template = draw(st.sampled_from(sorted(TEMPLATES)))
    meta = yaml.safe_load((TEMPLATES[template] / "study.yaml").read_text(encoding="utf-8"))
    sizes = {p["population_id"]: draw(st.integers(1, MAX_PATIENTS), label=f"n {p['population_id']}")
             for p in meta["populations"]}
    return {
        "study_id": f"gen{index}{template[0]}",
        "template": template,
        "setting": draw(st.sampled_from(SETTINGS)),
        "sizes": sizes,
        # A fraction per row, turned into a count of that row's denominator when written.
        "fractions": draw(st.lists(st.floats(0, 1), min_size=40, max_size=40)),
        "extremes": draw(st.lists(st.sampled_from(["none", "all", "any"]), min_size=40, max_size=40)),
        "median_not_reached": draw(st.booleans()),
        "dropped": draw(st.sets(st.sampled_from(OPTIONAL_TABLES))),
        "enrolment_months": draw(st.integers(0, 36)),
        "cutoff_days": draw(st.integers(0, 900)),
        "published": draw(st.booleans()),
    }


def reviews(min_studies: int = 1, max_studies: int = 3):
    """Plans for a whole review: one to three generated studies."""
    return st.integers(min_studies, max_studies).flatmap(
        lambda k: st.tuples(*[study_plans(i) for i in range(k)]))


def _count(plan: dict, row_index: int, total: int) -> int:
    extreme = plan["extremes"][row_index % len(plan["extremes"])]
    if extreme == "none":
        return 0
    if extreme == "all":
        return total
    return round(plan["fractions"][row_index % len(plan["fractions"])] * total)


BEST_RESPONSES = ["CR", "PR", "SD", "PD"]


def _best_responses(plan: dict, rows: list[dict], sizes: dict[str, int]) -> dict[tuple, int]:
    """Counts of the best-response categories that add up to at most each denominator, and
    the ORR (CR + PR) and DCR (CR + PR + SD) that follow from them: {(arm, population,
    endpoint): count}."""
    counts = {}
    for arm, population in dict.fromkeys((r["arm"], r["population"]) for r in rows):
        remaining = sizes[population]
        for i, endpoint in enumerate(BEST_RESPONSES):
            counts[arm, population, endpoint] = count = _count(plan, 30 + i, remaining)
            remaining -= count
        counts[arm, population, "ORR"] = counts[arm, population, "CR"] + counts[arm, population, "PR"]
        counts[arm, population, "DCR"] = counts[arm, population, "ORR"] + counts[arm, population, "SD"]
    return counts


def write_study(plan: dict, studies: Path) -> Path:
    """Write the planned study into ``studies/<study_id>/``; returns its folder."""
    folder = studies / plan["study_id"]
    shutil.copytree(TEMPLATES[plan["template"]], folder)
    meta = yaml.safe_load((folder / "study.yaml").read_text(encoding="utf-8"))
    sizes = plan["sizes"]
    smaller = any(sizes[p["population_id"]] < p["n"] for p in meta["populations"])
    meta.update(study_id=plan["study_id"], short_name=f"Gen {plan['study_id']}",
                label=f"Gen {plan['study_id']}: a generated study", setting_group=plan["setting"])
    for population in meta["populations"]:
        population["n"] = sizes[population["population_id"]]
    start_year = 2018
    end_month = plan["enrolment_months"]
    meta["enrolment_period"] = {**meta.get("enrolment_period", {}), "start": f"{start_year}-01",
                                "end": f"{start_year + end_month // 12}-{end_month % 12 + 1:02d}"}
    cutoff_year = start_year + end_month // 12 + 1 + plan["cutoff_days"] // 365
    meta["data_cutoff"] = {**meta.get("data_cutoff", {}), "date": f"{cutoff_year}-02-28"}
    if plan["published"]:
        meta["dates"] = {"received": f"{cutoff_year + 1}-02-29" if (cutoff_year + 1) % 4 == 0
                         else f"{cutoff_year + 1}-03-01", "accepted": f"{cutoff_year + 1}-12-31"}
    else:
        meta.pop("dates", None)
    meta.pop("median_follow_up", None)
    (folder / "study.yaml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")

    population_sizes = {p["population_id"]: p["n"] for p in meta["populations"]}
    fields, rows = _read(folder / "outcomes.csv")
    responses = _best_responses(plan, rows, population_sizes)
    for i, row in enumerate(rows):
        total = population_sizes[row["population"]]
        if row["measure"] in ("proportion", "count") and row["denominator"]:
            count = responses.get((row["arm"], row["population"], row["endpoint"]), _count(plan, i, total))
            row.update(count=str(count), denominator=str(total), estimate=_percent(count, total),
                       ci_low="", ci_high="", ci_high_text="", ci_level="", ci_method_stated="")
        elif row["measure"] == "median":
            if row["events"]:
                row["events"] = str(_count(plan, i, total))
            if plan["median_not_reached"]:
                row.update(estimate="", estimate_text="NR", ci_low="", ci_high="", ci_high_text="",
                           ci_level="", ci_method_stated="")
    _write(folder / "outcomes.csv", fields, rows)

    if (folder / "adverse_events.csv").is_file():
        fields, rows = _read(folder / "adverse_events.csv")
        for i, row in enumerate(rows):
            total = population_sizes[row["population"]]
            count = _count(plan, 20 + i, total)
            row.update(count=str(count), denominator=str(total), percent=_percent(count, total))
        _write(folder / "adverse_events.csv", fields, rows)

    dropped = set(plan["dropped"]) | (set(SIZE_BOUND_TABLES) if smaller else set())
    if "km_curves.csv" in dropped or "at_risk.csv" in dropped:
        dropped |= {"km_curves.csv", "at_risk.csv"}  # a digitised curve needs its numbers at risk
    for name in dropped:
        if name in FILES_THAT_MAY_BE_ABSENT:
            (folder / name).unlink(missing_ok=True)
        elif (folder / name).is_file():
            _write(folder / name, _read(folder / name)[0], [])
    integrity = folder / "integrity.yaml"
    if integrity.is_file():
        checks = yaml.safe_load(integrity.read_text(encoding="utf-8"))
        checks["study_id"] = plan["study_id"]
        integrity.write_text(yaml.safe_dump(checks, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder


def write_review(plans, target: Path) -> Path:
    """A data folder holding the fixture review's vocabulary and the planned studies."""
    shutil.copytree(VALID_DATA, target)
    shutil.rmtree(target / "studies")
    (target / "studies").mkdir()
    for plan in plans:
        write_study(plan, target / "studies")
    return target
