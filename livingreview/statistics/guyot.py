"""Patient-level data from a digitised Kaplan-Meier curve: the algorithm of Guyot et al.
(2012), BMC Medical Research Methodology 12:9.

Inputs are the curve's digitised points (time, survival), the numbers at risk printed under
the figure, and the total number of events when the paper prints it. Within each interval of
the at-risk table the algorithm finds the number censored that makes the numbers at risk
agree, spreads those censorings evenly over the interval, and derives the events at each
digitised point from the drops of the curve. This is a port of the authors' published R
code, with its steps and names (``n_risk``, ``lower``, ``upper``, ``n_censor``, ``n_hat``,
``d``, ``cen``, ``km_hat``) kept so the two can be read side by side; indices are 0-based.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _interval_index(t_s: np.ndarray, t_risk: np.ndarray) -> tuple[list[int], list[int]]:
    """For each at-risk time, the first digitised point at or after it (lower) and the last
    point before the next at-risk time (upper)."""
    lower = [int(np.searchsorted(t_s, t, side="left")) for t in t_risk]
    upper = [lo - 1 for lo in lower[1:]] + [len(t_s) - 1]
    return lower, upper


def _spread_censoring(count: int, start: float, end: float, breaks: np.ndarray) -> np.ndarray:
    """Censor times spread evenly over (start, end), counted per interval of ``breaks``
    (right-closed, lowest included, as R's ``hist``)."""
    if count <= 0:
        return np.zeros(len(breaks) - 1, dtype=int)
    times = start + np.arange(1, count + 1) * (end - start) / (count + 1)
    counts = np.zeros(len(breaks) - 1, dtype=int)
    for t in times:
        index = int(np.searchsorted(breaks, t, side="left")) - 1
        counts[min(max(index, 0), len(counts) - 1)] += 1
    return counts


def reconstruct_from_curve(times, survival, t_risk, n_risk, total_events: int | None = None) -> pd.DataFrame:
    """Pseudo patient-level (time, event) data from a digitised KM curve (Guyot et al. 2012).

    ``times``/``survival``: the digitised points, starting at (0, 1), time-ordered, survival
    non-increasing (fractions). ``t_risk``/``n_risk``: the at-risk table, starting at time 0.
    """
    t_s = np.asarray(times, dtype=float)
    s = np.asarray(survival, dtype=float)
    t_risk = np.asarray(t_risk, dtype=float)
    n_risk = [int(v) for v in n_risk]
    # At-risk times past the last digitised point have no curve to work on.
    within = t_risk <= t_s[-1]
    t_risk, n_risk = t_risk[within], [v for v, keep in zip(n_risk, within) if keep]
    n_risk_start = n_risk[0]
    lower, upper = _interval_index(t_s, t_risk)
    n_int, n_t = len(n_risk), len(t_s)
    n_censor = [0] * n_int
    n_hat = [n_risk[0] + 1] * (n_t + 1)
    cen = [0] * n_t
    d = [0] * n_t
    km_hat = [1.0] * n_t
    last_i = [0] * n_int
    last = 0

    def events_on(i: int, last: int, first_interval: bool) -> int:
        n_hat[lower[i]] = n_risk[i]
        for k in range(lower[i], upper[i] + 1):
            if first_interval and k == lower[i]:
                d[k], km_hat[k] = 0, 1.0
            else:
                d[k] = int(round(n_hat[k] * (1 - s[k] / km_hat[last]))) if km_hat[last] != 0 else 0
                km_hat[k] = km_hat[last] * (1 - d[k] / n_hat[k]) if n_hat[k] > 0 else km_hat[last]
            n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
            if n_hat[k + 1] < 0:
                n_hat[k + 1] = 0
                cen[k] = n_hat[k] - d[k]
            if d[k] != 0:
                last = k
        return last

    for i in range(n_int - 1):
        n_censor[i] = int(round(n_risk[i] * s[lower[i + 1]] / s[lower[i]] - n_risk[i + 1]))
        guard = 0
        while (n_hat[lower[i + 1]] > n_risk[i + 1]
               or (n_hat[lower[i + 1]] < n_risk[i + 1] and n_censor[i] > 0)) and guard < 1000:
            guard += 1
            if n_censor[i] <= 0:
                cen[lower[i]:upper[i] + 1] = [0] * (upper[i] + 1 - lower[i])
                n_censor[i] = 0
            else:
                counts = _spread_censoring(n_censor[i], t_s[lower[i]], t_s[lower[i + 1]],
                                           t_s[lower[i]:lower[i + 1] + 1])
                cen[lower[i]:upper[i] + 1] = list(counts)
            last = events_on(i, last_i[i], i == 0)
            n_censor[i] += n_hat[lower[i + 1]] - n_risk[i + 1]
        if n_hat[lower[i + 1]] < n_risk[i + 1]:
            n_risk[i + 1] = n_hat[lower[i + 1]]
        last_i[i + 1] = last

    final = n_int - 1
    if n_int > 1:
        # The last interval has no at-risk count at its end: assume the average censoring rate.
        span = t_s[upper[n_int - 2]] - t_s[lower[0]]
        n_censor[final] = min(int(round(sum(n_censor[:final]) * (t_s[upper[final]] - t_s[lower[final]])
                                        / span)) if span > 0 else 0, n_risk[final])

    def censor_last() -> None:
        if n_censor[final] <= 0:
            cen[lower[final]:upper[final]] = [0] * (upper[final] - lower[final])
            n_censor[final] = 0
        else:
            counts = _spread_censoring(n_censor[final], t_s[lower[final]], t_s[upper[final]],
                                       t_s[lower[final]:upper[final] + 1])
            cen[lower[final]:upper[final]] = list(counts)

    censor_last()
    last = events_on(final, last_i[final], n_int == 1)
    if total_events is not None:
        sum_before = sum(d[:upper[final - 1] + 1]) if n_int > 1 else 0
        if n_int > 1 and sum_before >= total_events:
            d[lower[final]:upper[final] + 1] = [0] * (upper[final] + 1 - lower[final])
            cen[lower[final]:upper[final]] = [0] * (upper[final] - lower[final])
            for k in range(lower[final] + 1, upper[final] + 2):
                n_hat[k] = n_risk[final]
        else:
            total = sum(d[:upper[final] + 1])
            guard = 0
            while (total > total_events or (total < total_events and n_censor[final] > 0)) and guard < 1000:
                guard += 1
                n_censor[final] += total - total_events
                censor_last()
                last = events_on(final, last_i[final], n_int == 1)
                total = sum(d[:upper[final] + 1])

    event_times = np.repeat(t_s, d)
    censor_times = np.repeat((t_s[:-1] + t_s[1:]) / 2, cen[:-1])
    # Patients neither with an event nor censored earlier stay at risk to the last point.
    still_at_risk = max(n_risk_start - len(event_times) - len(censor_times), 0)
    times_out = np.concatenate([event_times, censor_times, np.full(still_at_risk, t_s[-1])])
    events_out = np.concatenate([np.ones(len(event_times), dtype=int),
                                 np.zeros(len(censor_times) + still_at_risk, dtype=int)])
    return pd.DataFrame({"time": times_out, "event": events_out})
