"""What a study prints that sets the frame of its reconstructed survival: the follow-up window
(enrolment period and data cut-off), the longest follow-up (the top of a printed follow-up
range), and the event counts of the larger populations an arm was drawn from (``subset_of``
in study.yaml), which bound the arm's own events. Read from study.yaml and the outcomes
table as printed; :mod:`livingreview.statistics.reconstruct` uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..curated.printed import date_bounds

# Where several places print the same value, the most detailed is used.
SOURCE_RANK = {"table": 0, "figure_legend": 1, "supplement": 2, "body": 3, "abstract": 4}
AVERAGE_MONTH_DAYS = 365.25 / 12


def follow_up_window(meta: dict) -> tuple[float, float | None]:
    """(enrolment length, time from the end of enrolment to the cut-off), in months; the
    second is None when the study prints no enrolment period or cut-off."""
    enrolment = meta.get("enrolment_period") or {}
    cutoff = (meta.get("data_cutoff") or {}).get("date")
    if not (enrolment.get("start") and enrolment.get("end") and cutoff):
        return 0.0, None
    start, _ = date_bounds(str(enrolment["start"]))
    _, end = date_bounds(str(enrolment["end"]))
    cut, _ = date_bounds(str(cutoff))
    return (end - start).days / AVERAGE_MONTH_DAYS, max((cut - end).days / AVERAGE_MONTH_DAYS, 0.0)


def longest_follow_up(meta: dict) -> float | None:
    """The longest follow-up the study prints, in months: the top of a printed follow-up
    range ("median 14.5 months, range 1.9–45.9"); None when no range is printed (an IQR or
    a median alone says nothing of the longest)."""
    follow_up = meta.get("median_follow_up") or {}
    if follow_up.get("spread") == "range" and follow_up.get("high") is not None:
        return float(follow_up["high"])
    return None


def _population_entry(meta: dict, population: str, arm: str) -> dict | None:
    entries = [p for p in meta["populations"] if p["population_id"] == population]
    return next((p for p in entries if p["arm"] == arm), next((p for p in entries if p["arm"] == "all"), None))


@dataclass
class EventBounds:
    """Bounds on an arm's events from the populations it was drawn from (``subset_of`` in
    study.yaml) whose events are printed."""

    at_most: int | None = None
    at_least: int | None = None
    source: str = ""
    rows: list[int] = field(default_factory=list)


def parent_event_bounds(study, text: pd.DataFrame, arm: str, population: str, endpoint: str,
                        n: int) -> EventBounds:
    """Bounds on the events of ``arm`` in ``population`` (``n`` patients) from every population
    it was drawn from that prints the arm's events for ``endpoint``: a subset cannot have more
    events than its parent, nor fewer than the parent's events less the parent's patients it
    leaves out. ``text`` is the outcomes table as printed."""
    bounds = EventBounds()
    sources = []
    seen = {population}
    entry = _population_entry(study.meta, population, arm)
    while entry is not None and entry.get("subset_of") and entry["subset_of"]["population"] not in seen:
        parent = entry["subset_of"]["population"]
        seen.add(parent)
        entry = _population_entry(study.meta, parent, arm)
        if entry is None or entry["arm"] != arm:
            break
        rows = text[(text["arm"] == arm) & (text["population"] == parent) & (text["endpoint"] == endpoint)
                    & text["events"].ne("")]
        if rows.empty:
            continue
        chosen = ranked(rows).iloc[0]
        events, parent_n = int(chosen["events"]), int(entry["n"])
        bounds.at_most = events if bounds.at_most is None else min(bounds.at_most, events)
        least = events - (parent_n - n)
        bounds.at_least = least if bounds.at_least is None else max(bounds.at_least, least)
        bounds.rows.append(int(chosen["row"]))
        sources.append(f"the {entry['label'][:1].lower()}{entry['label'][1:]} it was drawn from "
                       f"({events} events printed among {parent_n} patients)")
    bounds.source = " and ".join(sources)
    return bounds


def ranked(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows printing the same value in several places, best first: printed with a CI, then by
    the place's detail (:data:`SOURCE_RANK`), then by row."""
    has_ci = rows["ci_low"].ne("")
    rank = rows["source_type"].map(SOURCE_RANK).fillna(9)
    return rows.assign(_ci=~has_ci, _rank=rank).sort_values(["_ci", "_rank", "row"])
