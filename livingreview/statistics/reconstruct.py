"""Pseudo patient-level survival data rebuilt from printed summaries.

A paper prints, for one arm and endpoint, some of: the number of patients, the number of
events, the median (with CI), survival rates at landmark times, the enrolment period and
the data cut-off. This module builds a data set of (time, event) pairs whose Kaplan-Meier
curve passes through the printed points and whose event count equals the printed one.
The data are a reconstruction, not patient records, and every page that shows them says so.

Method (deterministic: the same inputs always give the same data):

1. **Curve.** A piecewise-exponential survival function through (0, 100%), the printed
   landmarks and (median, 50%), with a constant hazard between knots; beyond the last knot
   the last hazard continues. Printed points that contradict each other (a rate that rises
   with time) are set aside and reported.
2. **Event times.** Patient i's event time is the curve's quantile at the stratified
   probability (i + 1/2) / n.
3. **Censoring.** Entry is uniform over the enrolment period and follow-up ends at the data
   cut-off (administrative censoring), and never later than the longest follow-up the paper
   prints (the top of a printed follow-up range): patients still event-free there are
   censored there. When that leaves more events than printed, a constant loss-to-follow-up
   hazard is added, chosen by bisection so the event count equals the printed count exactly;
   when it leaves fewer, follow-up is lengthened by the smallest factor that gives the
   printed count (still within the longest printed follow-up). Follow-up and loss times are
   matched to event times by a fixed permutation seeded from the arm's label.

   An arm whose events are not printed keeps the count administrative censoring gives (no
   patient lost to follow-up), unless that count is impossible for a population drawn from
   a larger one whose events are printed (a matched cohort drawn from the whole cohort): such
   an arm has at most the parent's printed events, and at least those events less the
   parent's patients left out of it. A count outside those bounds is moved to the nearer
   bound, by the same loss hazard or lengthening as a printed count.
4. **Calibration.** The curve's knots are nudged until the Kaplan-Meier estimate of the
   reconstructed data passes through the printed points (within :data:`CALIBRATION_TOLERANCE`).
5. **Refusal.** An arm held to event bounds or a longest printed follow-up is refused, with
   the reason (:attr:`Reconstruction.refused`), when within them it cannot meet what was
   printed: its printed events lie outside its bounds, the event count cannot be reached, or
   a printed landmark rate or median is missed by more than :data:`ACCEPTANCE` although the
   same arm rebuilt without those limits meets it. Pages show the reason instead of the
   curve. (A miss that the unlimited reconstruction shares is the method's own, and is shown
   in the printed-against-reconstructed check as before.)
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .memo import by_value, memoised
from .printed_frame import follow_up_window, longest_follow_up, parent_event_bounds, ranked

# Calibration stops when every printed landmark is within this many percentage points of the
# reconstructed Kaplan-Meier curve and the median within this many months.
CALIBRATION_TOLERANCE = {"landmark_points": 1.0, "median_months": 0.1}
CALIBRATION_ROUNDS = 60
BISECTION_STEPS = 200
# A reconstruction is refused when, after calibration, its KM median is further than this
# from the printed one or a landmark rate further than this from the printed rate: beyond
# these it no longer stands for what the paper printed.
ACCEPTANCE = {"landmark_points": 3.0, "median_months": 0.5}


@dataclass(frozen=True)
class PrintedSurvival:
    """What a paper printed for one arm and endpoint (survival rates in percent)."""

    n: int
    events: int | None = None
    median: float | None = None
    landmarks: tuple[tuple[float, float], ...] = ()
    accrual_months: float = 0.0  # length of the enrolment period
    min_follow_up_months: float | None = None  # from the end of enrolment to the cut-off
    label: str = ""  # names the arm; seeds the fixed permutation
    max_follow_up_months: float | None = None  # the longest follow-up printed: no time runs past it
    # Bounds on the events of an arm drawn from a larger population whose events are printed:
    # at most the parent's events, at least those less the parent's patients left out.
    events_at_most: int | None = None
    events_at_least: int | None = None
    bound_source: str = ""  # where the bounds come from, as a refusal names it

    @property
    def event_bounds(self) -> tuple[int, int] | None:
        """(fewest, most) events the arm can have; None when nothing bounds them."""
        if self.events_at_most is None and self.events_at_least is None:
            return None
        low = 0 if self.events_at_least is None else max(self.events_at_least, 0)
        high = self.n if self.events_at_most is None else min(self.events_at_most, self.n)
        return low, high


@dataclass
class Reconstruction:
    """Reconstructed data and how they were made."""

    data: pd.DataFrame  # columns time (months), event (1 event, 0 censored)
    knots: list[tuple[float, float]]  # the calibrated curve: (months, survival fraction)
    loss_hazard: float  # per month; 0 when administrative censoring sufficed
    follow_up_factor: float  # 1 when the printed follow-up sufficed
    set_aside: list[str] = field(default_factory=list)  # printed points not used, and why
    refused: str = ""  # why the data do not stand for what was printed ('' when they do)


def target_points(printed: PrintedSurvival) -> tuple[list[tuple[float, float]], list[str]]:
    """Printed points as (months, survival fraction), in time order, contradictions set aside.

    The median is kept over a landmark that contradicts it (a median is what papers print
    most reliably and what readers compare first).
    """
    points = [(float(t), float(s) / 100) for t, s in printed.landmarks]
    set_aside = []
    if printed.median is not None:
        median = float(printed.median)
        keep = []
        for t, s in points:
            if (t < median and s < 0.5) or (t > median and s > 0.5):
                set_aside.append(f"{s:.1%} at {t:g} months contradicts the median {median:g}")
            else:
                keep.append((t, s))
        points = keep + [(median, 0.5)]
    points.sort()
    ordered = []
    for t, s in points:
        if ordered and (s > ordered[-1][1] or t == ordered[-1][0]):
            set_aside.append(f"{s:.1%} at {t:g} months is not below the earlier rate")
            continue
        ordered.append((t, s))
    return ordered, set_aside


def _hazards(knots: list[tuple[float, float]]) -> list[float]:
    hazards = []
    for (t0, s0), (t1, s1) in zip(knots, knots[1:]):
        hazards.append(math.log(s0 / s1) / (t1 - t0))
    return hazards


def quantile_times(knots: list[tuple[float, float]], probabilities: np.ndarray) -> np.ndarray:
    """Times at which the piecewise-exponential curve through ``knots`` falls to each
    survival probability (knots start at (0, 1))."""
    hazards = _hazards(knots)
    tail = hazards[-1] if hazards and hazards[-1] > 0 else (
        -math.log(knots[-1][1]) / knots[-1][0] if knots[-1][0] > 0 and knots[-1][1] < 1 else 0.05)
    times = np.empty_like(probabilities, dtype=float)
    for i, u in enumerate(probabilities):
        for k, ((t0, s0), (t1, s1)) in enumerate(zip(knots, knots[1:])):
            if u >= s1:
                times[i] = t0 + (math.log(s0 / u) / hazards[k] if hazards[k] > 0 else 0.0)
                break
        else:
            t_last, s_last = knots[-1]
            times[i] = t_last + math.log(s_last / u) / tail
    return times


def _seeded_permutation(label: str, salt: str, n: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(f"{label}|{salt}".encode()).digest()[:8], "little")
    return np.random.default_rng(seed).permutation(n)


def _observe(event_times, follow_up, loss_times):
    limit = np.minimum(follow_up, loss_times)
    event = event_times <= limit
    return np.where(event, event_times, limit), event.astype(int)


def _km_at(times: np.ndarray, events: np.ndarray, at: float) -> float:
    order = np.lexsort((1 - events, times))
    times, events = times[order], events[order]
    survival, at_risk = 1.0, len(times)
    for t, e in zip(times, events):
        if t > at:
            break
        if e:
            survival *= 1 - 1 / at_risk
        at_risk -= 1
    return survival


def km_median(times: np.ndarray, events: np.ndarray) -> float:
    """Kaplan-Meier median: the first time the curve is at or below 50% (inf if never)."""
    order = np.lexsort((1 - events, times))
    times, events = times[order], events[order]
    survival, at_risk = 1.0, len(times)
    for t, e in zip(times, events):
        if e:
            survival *= 1 - 1 / at_risk
            if survival <= 0.5 + 1e-12:
                return float(t)
        at_risk -= 1
    return math.inf


def event_target(printed: PrintedSurvival, administrative: int) -> int | None:
    """The event count the censoring aims at: the printed count; for an arm without one, the
    count administrative censoring gives (``administrative``) moved into the arm's event
    bounds, or None when it already lies within them (nothing to aim at)."""
    if printed.events is not None:
        return printed.events
    bounds = printed.event_bounds
    if bounds is None:
        return None
    low, high = bounds
    if administrative > high:
        return high
    if administrative < low:
        return low
    return None


def _censor(printed: PrintedSurvival, event_times: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    n = printed.n
    strata = (np.arange(n) + 0.5) / n
    if printed.min_follow_up_months is None:
        follow_up = np.full(n, np.inf)
    else:
        follow_up = printed.min_follow_up_months + printed.accrual_months * strata
        follow_up = follow_up[_seeded_permutation(printed.label, "follow-up", n)]
    unit_loss = -np.log(1 - strata)[_seeded_permutation(printed.label, "loss", n)]
    longest = np.inf if printed.max_follow_up_months is None else float(printed.max_follow_up_months)

    def events_with(loss_hazard: float, factor: float) -> tuple[np.ndarray, np.ndarray]:
        loss = unit_loss / loss_hazard if loss_hazard > 0 else np.full(n, np.inf)
        # No patient is followed past the longest follow-up printed, however far the
        # enrolment period and cut-off (or a lengthening factor) would take them.
        return _observe(event_times, np.minimum(follow_up * factor, longest), loss)

    times, events = events_with(0.0, 1.0)
    target = event_target(printed, int(events.sum()))
    if target is None:
        return times, events, 0.0, 1.0
    if events.sum() > target:
        low, high = 0.0, 1.0
        while events_with(high, 1.0)[1].sum() > target:
            high *= 2
        for _ in range(BISECTION_STEPS):
            middle = (low + high) / 2
            if events_with(middle, 1.0)[1].sum() > target:
                low = middle
            else:
                high = middle
        times, events = events_with(high, 1.0)
        return times, events, high, 1.0
    if events.sum() < target and np.isfinite(follow_up).all():
        low, high = 1.0, 2.0
        while events_with(0.0, high)[1].sum() < target and high < 1e3:
            high *= 2
        for _ in range(BISECTION_STEPS):
            middle = (low + high) / 2
            if events_with(0.0, middle)[1].sum() < target:
                low = middle
            else:
                high = middle
        times, events = events_with(0.0, high)
        return times, events, 0.0, high
    return times, events, 0.0, 1.0


@memoised(by_value)
def reconstruct(printed: PrintedSurvival) -> Reconstruction:
    """Pseudo patient-level data consistent with ``printed`` (see the module docstring)."""
    points, set_aside = target_points(printed)
    if not points:
        raise ValueError(f"{printed.label}: a median or a landmark rate is needed to reconstruct")
    knots = [(0.0, 1.0)] + points
    probabilities = 1 - (np.arange(printed.n) + 0.5) / printed.n
    best = None
    for _ in range(CALIBRATION_ROUNDS):
        event_times = quantile_times(knots, probabilities)
        times, events, loss_hazard, factor = _censor(printed, event_times)
        errors = [(_km_at(times, events, t) - s) * 100 for t, s in points if s != 0.5 or
                  printed.median is None or t != printed.median]
        median_error = 0.0
        if printed.median is not None:
            median_error = km_median(times, events) - printed.median
        worst = max([abs(e) for e in errors] + [0.0])
        score = worst / CALIBRATION_TOLERANCE["landmark_points"] + abs(median_error) / CALIBRATION_TOLERANCE["median_months"]
        if best is None or score < best[0]:
            best = (score, times, events, list(knots), loss_hazard, factor)
        if worst <= CALIBRATION_TOLERANCE["landmark_points"] and abs(median_error) <= CALIBRATION_TOLERANCE["median_months"]:
            break
        knots = _nudge(knots, points, times, events, printed)
    _, times, events, knots, loss_hazard, factor = best
    data = pd.DataFrame({"time": times, "event": events})
    return Reconstruction(data, knots, loss_hazard, factor, set_aside,
                          refused=_refusal_reason(printed, points, times, events))


def _constraints(printed: PrintedSurvival) -> list[str]:
    """The limits other printed numbers set on the reconstruction, as a refusal names them."""
    found = []
    bounds = printed.event_bounds
    if bounds is not None and printed.events is None:
        low, high = bounds
        found.append(f"{low}–{high} events, as {printed.bound_source} allows," if printed.bound_source
                     else f"{low}–{high} events")
    if printed.max_follow_up_months is not None:
        found.append(f"no follow-up past the {printed.max_follow_up_months:g} months printed as the longest")
    return found


def unlimited(printed: PrintedSurvival) -> PrintedSurvival:
    """``printed`` without the limits other printed numbers set (event bounds, longest follow-up)."""
    return replace(printed, max_follow_up_months=None, events_at_most=None, events_at_least=None, bound_source="")


def count_failure(printed: PrintedSurvival, events: np.ndarray) -> str:
    """Why the reconstructed event count does not stand for ``printed`` ('' when it does):
    printed events that a parent population's printed events rule out, a printed count not
    met, or a count outside the arm's bounds."""
    count = int(events.sum())
    bounds = printed.event_bounds
    if printed.events is not None and bounds is not None and not bounds[0] <= printed.events <= bounds[1]:
        return (f"the {printed.events} events printed for it are outside the {bounds[0]}–{bounds[1]} that "
                f"{printed.bound_source or 'its parent population'} allows")
    held = _constraints(printed)
    within = (("with " + " and ".join(held)).rstrip(",") + ", ") if held else ""
    if printed.events is not None and count != printed.events:
        return f"{within}no censoring gives the printed {printed.events} events (at best {count})"
    if bounds is not None and not bounds[0] <= count <= bounds[1]:
        return f"no censoring brings the events within {bounds[0]}–{bounds[1]} (at best {count})"
    return ""


def calibration_misses(printed: PrintedSurvival, points: list[tuple[float, float]], times: np.ndarray,
                       events: np.ndarray) -> list[str]:
    """The printed landmark rates and median that the Kaplan-Meier curve of (``times``,
    ``events``) misses by more than :data:`ACCEPTANCE`, each with its gap."""
    missed = []
    for t, s in points:
        if printed.median is not None and t == printed.median and s == 0.5:
            continue
        gap = 100 * _km_at(times, events, t) - 100 * s
        if abs(gap) > ACCEPTANCE["landmark_points"]:
            missed.append(f"the {t:g}-month rate {100 * s:g}% by {abs(gap):.1f} points")
    if printed.median is not None:
        median = km_median(times, events)
        if not abs(median - printed.median) <= ACCEPTANCE["median_months"]:
            missed.append(f"the median {printed.median:g} months (rebuilt: "
                          + ("not reached" if not math.isfinite(median) else f"{median:.1f}") + ")")
    return missed


def _refusal_reason(printed: PrintedSurvival, points: list[tuple[float, float]], times: np.ndarray,
                    events: np.ndarray) -> str:
    """Why an arm held to limits other printed numbers set is refused (step 5 of the module
    docstring); '' for an arm not refused or held to no such limits."""
    held = _constraints(printed)
    if not held and printed.event_bounds is None:
        return ""
    reason = count_failure(printed, events)
    if reason:
        return reason
    missed = calibration_misses(printed, points, times, events)
    if not missed:
        return ""
    free = reconstruct(unlimited(printed)).data
    if calibration_misses(printed, points, free["time"].to_numpy(), free["event"].to_numpy()):
        return ""  # the reconstruction misses without the limits too: the method's miss, not theirs
    return ("with " + " and ".join(held)).rstrip(",") + ", the rebuilt curve misses " + " and ".join(missed)


def _nudge(knots, points, times, events, printed):
    """Move each knot's survival by the gap between the printed point and the current KM."""
    nudged = [knots[0]]
    for (t, s_knot), (_, s_target) in zip(knots[1:], points):
        if printed.median is not None and t == printed.median and s_target == 0.5:
            # Move the median knot in time rather than in survival.
            observed = km_median(times, events)
            shift = 0.0 if not np.isfinite(observed) else printed.median - observed
            s_new = min(max(s_knot + (0.5 - _km_at(times, events, t)) * 0.5 + shift * 0.01, 1e-4), 0.9999)
        else:
            s_new = min(max(s_knot + (s_target - _km_at(times, events, t)), 1e-4), 0.9999)
        nudged.append((t, s_new))
    # Keep the curve non-increasing.
    for i in range(1, len(nudged)):
        if nudged[i][1] >= nudged[i - 1][1]:
            nudged[i] = (nudged[i][0], nudged[i - 1][1] * 0.999)
    return nudged


# ----------------------------------------------------------------------------- from a study

RECONSTRUCTED_METHOD = "reconstructed from printed summaries (pseudo patient-level data)"
DIGITISED_METHOD = "reconstructed from a digitised curve by the algorithm of Guyot et al. 2012"


@dataclass
class SurvivalInputs:
    """The printed summaries chosen for one arm, population and endpoint, with their rows."""

    study_id: str
    arm: str
    population: str
    endpoint: str
    printed: PrintedSurvival
    rows: list[int]  # outcomes.csv rows used
    conflicts: list[str]  # printed values not used because another place printed otherwise
    median_ci_printed: str = ""  # the chosen median's CI as printed, e.g. "6.59–10.17"
    curve: pd.DataFrame | None = None  # digitised points (time_months, survival %), if curated
    at_risk: pd.DataFrame | None = None  # numbers at risk under the figure, if curated

    @property
    def method(self) -> str:
        return DIGITISED_METHOD if self.curve is not None else RECONSTRUCTED_METHOD

    @property
    def missing(self) -> str:
        """Why this arm is not reconstructed ('' when it is): the printed summaries are too
        little to reconstruct from, or the reconstruction is refused because it cannot meet
        them within what else was printed (step 5 of the module docstring)."""
        if self.curve is not None:
            return curve_reconstruction(self).refused
        if self.printed.min_follow_up_months is None:
            return "no enrolment period or data cut-off is printed, so censoring is unknown"
        return refusal(self.printed)

    @property
    def events_shown(self) -> str:
        """The printed event count, or where none is printed, the bounds a parent population's
        printed count sets ('' when neither)."""
        if self.printed.events is not None:
            return str(self.printed.events)
        bounds = self.printed.event_bounds
        if bounds is None:
            return ""
        return f"not printed; {bounds[0]}–{bounds[1]} from {self.printed.bound_source}"


@functools.lru_cache(maxsize=None)
def refusal(printed: PrintedSurvival) -> str:
    """Why the reconstruction of ``printed`` is refused ('' when it is not); kept per process,
    since pages ask it of every arm several times."""
    return reconstruct(printed).refused


def curve_reconstruction(inputs: SurvivalInputs) -> Reconstruction:
    """The Guyot reconstruction of a digitised curve, censored at the longest printed
    follow-up and refused when its events fall outside the arm's event bounds."""
    from .guyot import reconstruct_from_curve

    printed = inputs.printed
    data = reconstruct_from_curve(inputs.curve["time_months"], inputs.curve["survival"] / 100,
                                  inputs.at_risk["time_months"], inputs.at_risk["n_at_risk"], printed.events)
    if printed.max_follow_up_months is not None:
        beyond = data["time"] > printed.max_follow_up_months
        data = data.assign(time=data["time"].where(~beyond, printed.max_follow_up_months),
                           event=data["event"].where(~beyond, 0))
    count = int(data["event"].sum())
    bounds = printed.event_bounds
    refused = ""
    if bounds is not None and not bounds[0] <= count <= bounds[1]:
        refused = (f"the digitised curve gives {count} events, outside the {bounds[0]}–{bounds[1]} that "
                   f"{printed.bound_source or 'its parent population'} allows")
    return Reconstruction(data, [], 0.0, 1.0, [], refused=refused)


def survival_inputs(study, endpoints: tuple[str, ...] = ("PFS", "OS")) -> list[SurvivalInputs]:
    """Every arm, population and endpoint with a printed median or landmark rate.

    Where places disagree, the value printed with a CI is used, then the most detailed place
    (table, figure legend, body, abstract); the others are listed as conflicts. Each arm also
    carries the longest follow-up the study prints and, for a population drawn from a larger
    one (``subset_of``), the event bounds the larger one's printed events set
    (:func:`parent_event_bounds`, whose rows join the rows used).
    """
    text = study.table("outcomes", as_typed=False)
    text = text[text["endpoint"].isin(endpoints) & (text["qualifier"] == "") & (text["arm"] != "all")]
    curves = study.table("km_curves")
    at_risk = study.table("at_risk")
    sizes = {(p["population_id"], p["arm"]): p["n"] for p in study.meta["populations"]}
    accrual, follow_up = follow_up_window(study.meta)
    longest = longest_follow_up(study.meta)
    keys = sorted(set(map(tuple, text[["arm", "population", "endpoint"]].to_numpy().tolist()))
                  | set(map(tuple, curves[["arm", "population", "endpoint"]].to_numpy().tolist())))
    found = []
    for arm, population, endpoint in keys:
        rows = text[(text["arm"] == arm) & (text["population"] == population) & (text["endpoint"] == endpoint)]
        curve = curves[(curves["arm"] == arm) & (curves["population"] == population)
                       & (curves["endpoint"] == endpoint)]
        risk = at_risk[(at_risk["arm"] == arm) & (at_risk["population"] == population)
                       & (at_risk["endpoint"] == endpoint)]
        medians = ranked(rows[(rows["measure"] == "median") & rows["estimate"].ne("")])
        landmark_rows = rows[(rows["measure"] == "landmark") & rows["estimate"].ne("")]
        has_curve = not curve.empty and not risk.empty
        if medians.empty and landmark_rows.empty and not has_curve:
            continue
        used, conflicts = [], []
        median, median_ci = None, ""
        if not medians.empty:
            median = float(medians["estimate"].iloc[0])
            first = medians.iloc[0]
            if first["ci_low"]:
                median_ci = f"{first['ci_low']}–{first['ci_high'] or first['ci_high_text']}"
            used.append(int(medians["row"].iloc[0]))
            conflicts += [f"median {v} (row {r})" for v, r in zip(medians["estimate"], medians["row"])
                          if float(v) != median]
        landmarks = []
        for timepoint, group in landmark_rows.groupby("timepoint_months", sort=False):
            places = ranked(group)
            value = float(places["estimate"].iloc[0])
            landmarks.append((float(timepoint), value))
            used.append(int(places["row"].iloc[0]))
            conflicts += [f"{v}% at {timepoint} months (row {r})" for v, r in
                          zip(places["estimate"], places["row"]) if float(v) != value]
        event_rows = ranked(rows[rows["events"].ne("")])
        events = None
        if not event_rows.empty:
            events = int(event_rows["events"].iloc[0])
            used.append(int(event_rows["row"].iloc[0]))
            conflicts += [f"{v} events (row {r})" for v, r in zip(event_rows["events"], event_rows["row"])
                          if int(v) != events]
        n = int(sizes[(population, arm)])
        bounds = parent_event_bounds(study, text, arm, population, endpoint, n)
        used += bounds.rows
        printed = PrintedSurvival(
            n=n, events=events, median=median,
            landmarks=tuple(sorted(landmarks)), accrual_months=accrual,
            min_follow_up_months=follow_up, label=f"{study.study_id}/{arm}/{population}/{endpoint}",
            max_follow_up_months=longest, events_at_most=bounds.at_most, events_at_least=bounds.at_least,
            bound_source=bounds.source)
        found.append(SurvivalInputs(
            study.study_id, arm, population, endpoint, printed, sorted(set(used)), sorted(set(conflicts)),
            median_ci, curve[["time_months", "survival"]].reset_index(drop=True) if has_curve else None,
            risk[["time_months", "n_at_risk"]].reset_index(drop=True) if has_curve else None))
    return found


# ----------------------------------------------------------------------------- analyses



@dataclass
class ArmReconstruction:
    """One arm's reconstruction and the Kaplan-Meier summaries of its data."""

    inputs: SurvivalInputs
    result: Reconstruction
    median: float
    median_ci: tuple[float, float]
    landmarks: list[tuple[float, float, float]]  # (months, printed %, reconstructed %)


def kaplan_meier(data: pd.DataFrame, label: str = ""):
    """A fitted lifelines KaplanMeierFitter."""
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(label=label).fit(data["time"], data["event"])


@memoised(by_value)
def analyse_arm(inputs: SurvivalInputs) -> ArmReconstruction:
    """Reconstruct one arm and summarise it as the paper would (median, CI, landmarks)."""
    from lifelines.utils import median_survival_times

    result = curve_reconstruction(inputs) if inputs.curve is not None else reconstruct(inputs.printed)
    if result.refused:
        raise ValueError(f"{inputs.printed.label}: not reconstructed, because {result.refused}")
    fitter = kaplan_meier(result.data)
    bounds = median_survival_times(fitter.confidence_interval_)
    low, high = (float(v) for v in bounds.iloc[0])
    landmarks = [(t, rate, 100 * float(fitter.survival_function_at_times(t).iloc[0]))
                 for t, rate in inputs.printed.landmarks]
    return ArmReconstruction(inputs, result, float(fitter.median_survival_time_), (low, high), landmarks)


def compare_arms(arm: ArmReconstruction, comparator: ArmReconstruction) -> dict[str, float]:
    """Cox hazard ratio (with 95% CI) of ``arm`` against ``comparator`` and the log-rank p."""
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    frame = pd.concat([arm.result.data.assign(group=1), comparator.result.data.assign(group=0)],
                      ignore_index=True)
    model = CoxPHFitter().fit(frame, "time", "event")
    low, high = np.exp(model.confidence_intervals_.loc["group"].to_numpy())
    test = logrank_test(arm.result.data["time"], comparator.result.data["time"],
                        arm.result.data["event"], comparator.result.data["event"])
    return {"hazard_ratio": float(model.hazard_ratios_["group"]), "ci_low": float(low),
            "ci_high": float(high), "logrank_p": float(test.p_value)}
