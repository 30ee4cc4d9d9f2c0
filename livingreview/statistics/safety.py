"""Adverse-event rates per harmonised term: any grade and grade >= 3.

Papers print adverse events in different grade bands (any, 3, 4, 3-4, >=3, 3-5, ...) and
often in several places (abstract, text, table). For each arm and harmonised term this
module keeps the most detailed source (table, then text, then abstract) and derives two
bands: ``any grade`` and ``grade >= 3``. Grade >= 3 comes from a printed >=3 or 3-5 row,
else a 3-4 row (grade 5 not included, as printed), else the sum of separately printed
grade 3, 4 and 5 rows. Percentages are recomputed from count / denominator; where a paper
prints a percentage without a count, the printed percentage is used and labelled so.

A rate read from a 3-4 row keeps the ``grade >= 3`` band (it stands in for it in tables and
pools) but says what it counts in ``band_counted``: "grade 3–4", and where the paper prints
deaths from adverse events (grade 5) in the same arm and population, "grade 3–4 (grade 5
deaths not included)". The deaths are not added to the grade 3-4 count: a patient who died
may also be among those with a grade 3-4 event (the reports do not say), so the sum would
not count patients, and the deaths are often printed for other events (all adverse events,
or deaths during one phase) than the treatment-related events the band counts.

Across studies, each study's rates are read in its safety population (:func:`safety_rates`),
the patients with any grade >= 3 event counted per arm as the pools and odds ratios take
them (:func:`grade3_rates`), and the rates arranged by term for the safety chapter.
"""

from __future__ import annotations

import math

import pandas as pd

from ..curated.printed import attainable_counts
from ..curated.studies import STUDY_FILE, Study, stack_rows
from .arms import INTERVENTION, arm_label, intervention_arms, pooled_intervention_arms, safety_population
from .memo import by_value, memoised
from .rate_tables import ARM_RATE_COLUMNS, exact_ci

ANY_GRADE = "any grade"
GRADE_3_PLUS = "grade ≥3"
# How rate and pool tables name the outcome "any grade >=3 adverse event".
GRADE3_ENDPOINT = "grade ≥3 adverse events"
SOURCE_RANK = {"table": 0, "supplement": 1, "body": 2, "figure_legend": 3, "abstract": 4}
# Bands read as "grade >= 3", in order of preference, with what the reader should know.
GRADE_3_BANDS = [(">=3", ""), ("3-5", ""), ("3-4", "printed as grade 3-4")]
# What a grade >= 3 rate read from a 3-4 row counts (``band_counted``).
GRADE_3_TO_4 = "grade 3–4"
GRADE_3_TO_4_WITHOUT_DEATHS = "grade 3–4 (grade 5 deaths not included)"
# A printed number of grade 5 events that says there were none.
NO_DEATHS = {"", "0", "no", "none", "nil"}
SINGLE_GRADES = ("3", "4", "5", "4-5")
# A percentage printed to one decimal is within this of the count it was computed from.
PRINTED_PERCENT_ROUNDING = 0.05
RATE_COLUMNS = ["arm", "population", "category", "term", "group", "class_effect", "band", "band_counted", "count",
                "denominator", "percent", "printed_percent", "basis", "source", "rows"]


def _best_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows from the most detailed place that prints this term for this arm."""
    rank = rows["source_type"].map(SOURCE_RANK).fillna(9)
    return rows[rank == rank.min()]


def _rate(rows: pd.DataFrame, basis: str) -> dict:
    counts = rows["count"]
    denominators = rows["denominator"].dropna().unique()
    denominator = int(denominators[0]) if len(denominators) == 1 else None
    printed = rows["percent"].dropna()
    if counts.notna().all() and denominator:
        count = int(counts.sum())
        percent = 100 * count / denominator
    elif len(rows) == 1 and len(printed) == 1:
        count, percent = None, float(printed.iloc[0])
        basis = "; ".join(filter(None, [basis, "printed percentage (no count printed)"]))
    else:
        return {}
    return {
        "count": count, "denominator": denominator, "percent": percent,
        "printed_percent": "; ".join(rows["percent_text"].replace("", pd.NA).dropna()),
        "basis": basis,
        "source": "; ".join(dict.fromkeys(rows["source"])),
        "rows": ", ".join(str(r) for r in rows["row"]),
    }


def _single_grades_rate(rows: pd.DataFrame) -> dict:
    """A grade >=3 rate from the single grades a paper prints (3, 4, 5, 4-5), when grade 3 is
    among them; {} otherwise."""
    singles = rows[rows["grade"].isin(SINGLE_GRADES)]
    if singles.empty or not (singles["grade"] == "3").any():
        return {}
    best = _best_rows(singles).drop_duplicates("grade")
    grades = list(best["grade"])
    basis = f"only grade {grades[0]} printed" if len(grades) == 1 else "sum of grades " + " + ".join(grades)
    return _rate(best, basis)


def _prints_deaths(events: pd.DataFrame, arm: str, population: str, term: str | None) -> bool:
    """Whether the paper prints at least one death from adverse events (grade 5) in ``arm``
    (or for all arms) and ``population``; for ``term`` (harmonised) only, unless None."""
    deaths = events[(events["grade"] == "5") & events["arm"].isin([arm, "all"]) & (events["population"] == population)]
    if term is not None:
        deaths = deaths[deaths["term_harmonised"] == term]
    return any((pd.notna(c) and c > 0) or str(t).strip().lower() not in NO_DEATHS
               for c, t in zip(deaths["count"], deaths["count_text"].fillna("")))


def band_counted(band: str, events: pd.DataFrame, arm: str, population: str, term: str | None) -> str:
    """What a grade >= 3 rate read from the printed ``band`` counts: grade >= 3, or grade 3-4,
    said to leave out grade 5 deaths when the paper prints some (see the module docstring)."""
    if band != "3-4":
        return GRADE_3_PLUS
    return GRADE_3_TO_4_WITHOUT_DEATHS if _prints_deaths(events, arm, population, term) else GRADE_3_TO_4


def _rates_key(study: Study, vocabulary: pd.DataFrame) -> bytes:
    # What the rates read: the study's metadata and adverse events, and the vocabulary given;
    # not its other tables, so that a page showing adverse events does not depend on them.
    events = study.file_of("adverse_events")
    return ((study.folder / STUDY_FILE).read_bytes() + b"\0"
            + (events.read_bytes() if events.is_file() else b"") + by_value(vocabulary))


@memoised(_rates_key)
def ae_rates(study: Study, vocabulary: pd.DataFrame) -> pd.DataFrame:
    """Tidy AE rates (see :data:`RATE_COLUMNS`), one row per arm, category, term and band.

    The any-event summary rows ("Any") are kept with term "Any adverse event".
    """
    events = study.table("adverse_events")
    events["percent_text"] = study.table("adverse_events", as_typed=False)["percent"].to_numpy()
    terms = vocabulary.set_index("printed_term")
    events["term_harmonised"] = events["term"].map(terms["harmonised_term"])
    records = []
    keys = ["arm", "population", "category", "term_harmonised"]
    for (arm, population, category, term), rows in events.groupby(keys, sort=True):
        group = terms.loc[rows["term"].iloc[0], "group"]
        class_effect = terms.loc[rows["term"].iloc[0], "class_effect"] == "yes"
        base = {"arm": arm, "population": population, "category": category, "term": term, "group": group,
                "class_effect": class_effect}
        any_rows = rows[rows["grade"] == "any"]
        if not any_rows.empty:
            rate = _rate(_best_rows(any_rows).iloc[[0]], "")
            if rate:
                records.append({**base, "band": ANY_GRADE, "band_counted": ANY_GRADE, **rate})
        rate, counted = {}, GRADE_3_PLUS
        for band, basis in GRADE_3_BANDS:
            band_rows = rows[rows["grade"] == band]
            if not band_rows.empty:
                rate = _rate(_best_rows(band_rows).iloc[[0]], basis)
                counted = band_counted(band, events, arm, population,
                                       None if term == ANY_EVENT_TERM else term)
                break
        singles = _single_grades_rate(rows)
        if not rate:
            rate, counted = singles, GRADE_3_PLUS
        elif rate["count"] is None and singles and singles["count"] is not None \
                and abs(singles["percent"] - rate["percent"]) <= PRINTED_PERCENT_ROUNDING:
            # The band is printed as a percentage only, but the paper prints the count of its
            # grades elsewhere and it gives that percentage: the count is printed, not implied.
            rate = {**singles, "basis": f"{singles['basis']}; the printed grade ≥3 percentage "
                                         f"({rate['printed_percent']}%) is the same"}
            counted = GRADE_3_PLUS
        if rate:
            records.append({**base, "band": GRADE_3_PLUS, "band_counted": counted, **rate})
    frame = pd.DataFrame(records, columns=RATE_COLUMNS)
    frame["count"] = frame["count"].astype("Int64")
    frame["denominator"] = frame["denominator"].astype("Int64")
    return frame


def top_terms(rates: pd.DataFrame, n: int = 15) -> list[str]:
    """The ``n`` terms with the highest rate in any arm and band (summary rows excluded)."""
    specific = rates[rates["group"] != "any"]
    if specific.empty:
        return []
    peak = specific.groupby("term")["percent"].max().sort_values(ascending=False, kind="stable")
    return list(peak.index[:n])


def format_percent(value: float, digits: int = 1) -> str:
    """'12.3', or '' when missing."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


GRADE_5 = "5"
DEATH_COLUMNS = ["arm", "population", "category", "term", "deaths", "denominator", "source", "row"]


def grade5_events(study: Study) -> pd.DataFrame:
    """Deaths from adverse events (CTCAE grade 5) as the paper prints them, one row per printed
    statement: arm, population, category (all, treatment-emergent or treatment-related), term,
    the number as printed (a count, or words such as "two" or "No"), its denominator, where it
    is printed and its data row. A report that says nothing about grade 5 gives no rows."""
    events = study.tables["adverse_events"]
    deaths = events[events["grade"] == GRADE_5]
    return pd.DataFrame({
        "arm": deaths["arm"], "population": deaths["population"], "category": deaths["category"],
        "term": deaths["term"],
        "deaths": [count if count else text for count, text in zip(deaths["count"], deaths["count_text"])],
        "denominator": deaths["denominator"], "source": deaths["source"], "row": deaths["row"],
    }, columns=DEATH_COLUMNS).reset_index(drop=True)


ANY_EVENT_TERM = "Any adverse event"


def safety_rates(studies: list[Study], vocabulary: pd.DataFrame) -> pd.DataFrame:
    """AE rates of every arm in each study's safety population, with the study's setting."""
    frames = []
    for study in studies:
        population = safety_population(study)
        rates = ae_rates(study, vocabulary)
        if population is not None:
            rates = rates[rates["population"] == population]
        rates = rates[rates["arm"].isin(study.arms)]
        frames.append(rates.assign(study_id=study.study_id, setting_group=study.meta["setting_group"],
                                   intervention=rates["arm"].isin(intervention_arms(study)),
                                   arm_label=[arm_label(study, a) for a in rates["arm"]]))
    return stack_rows(frames)


def grade3_rates(studies: list[Study], vocabulary: pd.DataFrame, arms: str = INTERVENTION) -> pd.DataFrame:
    """Per intervention arm (or control arm, ``arms=CONTROL``): patients with any grade >= 3
    adverse event, as a count over the safety population. A count printed only as a
    percentage is the one whole count that percentage allows; arms where no count is
    determined are left out."""
    rates = safety_rates(studies, vocabulary)
    rows = []
    if rates.empty:
        return pd.DataFrame(columns=ARM_RATE_COLUMNS)
    wanted = rates[INTERVENTION] if arms == INTERVENTION else ~rates[INTERVENTION].astype(bool)
    if arms == INTERVENTION:  # arms of the intervention alone are kept apart from combinations
        pooled = {(s.study_id, a) for s in studies for a in pooled_intervention_arms(s)}
        wanted = wanted & pd.Series([(sid, arm) in pooled for sid, arm in zip(rates["study_id"], rates["arm"])],
                                    index=rates.index)
    chosen = rates[(rates["term"] == ANY_EVENT_TERM) & (rates["band"] == GRADE_3_PLUS) & wanted]
    labels = {s.study_id: s.meta["label"] for s in studies}
    names = {s.study_id: s.name for s in studies}
    for r in chosen.to_dict("records"):
        total = r["denominator"]
        if pd.isna(r["count"]):
            possible = attainable_counts(r["printed_percent"], int(total)) if r["printed_percent"] else []
            if len(possible) != 1:
                continue
            events, origin = possible[0], "implied"
        else:
            events, origin = int(r["count"]), "printed"
        low, high = exact_ci(events, int(total))
        rows.append({"study_id": r["study_id"], "study_name": names[r["study_id"]], "study_label": labels[r["study_id"]],
                     "setting_group": r["setting_group"], "arm": r["arm"], "arm_label": r["arm_label"],
                     "population": r["population"], "endpoint": GRADE3_ENDPOINT, "events": events,
                     "total": int(total), "count_origin": origin, "percent": 100 * events / total,
                     "exact_low": low, "exact_high": high, "source_type": r["source"],
                     "data_file": "adverse_events.csv", "data_row": r["rows"], "quote": "",
                     "printed": r["printed_percent"], "category": r["category"],
                     "band_counted": r["band_counted"]})
    return pd.DataFrame(rows, columns=ARM_RATE_COLUMNS)


def arm_count_text(events: int, total: int, count_origin: str, counted: str) -> str:
    """'30/76 (count implied; grade 3–4, grade 5 deaths not included)': an arm's count (of
    patients with a grade >= 3 event, or of responders) as tables show it, saying when the
    count is not printed and when a grade >= 3 rate counts another band (``counted``, a
    :func:`grade3_rates` ``band_counted``; empty for response rates)."""
    notes = [n for n in ("count implied" if count_origin == "implied" else "", band_note(counted)) if n]
    return f"{events}/{total}" + (f" ({'; '.join(notes)})" if notes else "")


def band_note(counted: str) -> str:
    """'grade 3–4, grade 5 deaths not included': what a rate counts, to put beside it in
    brackets, where that is not what its column says (grade >= 3, or any grade); '' otherwise."""
    if not counted or counted in (GRADE_3_PLUS, ANY_GRADE):
        return ""
    return counted.replace(" (", ", ").rstrip(")")


def heatmap_matrix(rates: pd.DataFrame, band: str) -> pd.DataFrame:
    """Percent of patients per harmonised term (rows) and study arm (columns) for one band;
    the summary 'any adverse event' row is left out."""
    chosen = rates[(rates["band"] == band) & (rates["group"] != "any")]
    if chosen.empty:
        return pd.DataFrame()
    chosen = chosen.assign(column=chosen["study_id"] + ": " + chosen["arm_label"])
    # A term printed under two categories (TRAE and AE) in one arm keeps its higher rate.
    matrix = chosen.pivot_table(index="term", columns="column", values="percent", aggfunc="max")
    order = matrix.notna().sum(axis=1).sort_values(ascending=False, kind="stable").index
    return matrix.loc[order]


def class_effects(rates: pd.DataFrame) -> pd.DataFrame:
    """The intervention's class effects (terms the vocabulary marks as class effects) per arm."""
    chosen = rates[rates["class_effect"].astype(bool)]
    return chosen.sort_values(["term", "study_id", "arm", "band"], kind="stable")
