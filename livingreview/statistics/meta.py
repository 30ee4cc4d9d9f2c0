"""Random-effects meta-analysis of proportions and of generic effect sizes.

Two models, each matched to R's metafor (the reference values and the R script that makes
them are in ``tests/fixtures/metafor``):

* :func:`glmm_proportion`: the binomial-normal model, a random-intercept logistic regression
  fitted by maximum likelihood with adaptive Gauss-Hermite quadrature, as
  ``rma.glmm(measure="PLO", method="ML", nAGQ=7)``, with a Wald z CI and a prediction interval
  on t with k - 1 degrees of freedom (:func:`prediction_interval`). It uses the counts themselves, so it needs
  no continuity correction and behaves well when rates are near 0 or 1 (Stijnen et al. 2010).
* :func:`inverse_variance`: the normal-normal model on given effect sizes and sampling
  variances, tau^2 by restricted maximum likelihood (REML), with Hartung-Knapp CIs (t
  distribution, k - 1 degrees of freedom) truncated so that they are never narrower than the
  Wald CI, or Wald z CIs, as ``rma(yi, vi, method="REML", test="adhoc")``.

Edge cases, as metafor meets them: a study with no events (or all events) enters the
inverse-variance model with 1/2 added to its cells; the GLMM needs no correction, but when
every study has no events, or every study has all events, its likelihood has no finite
maximum and :func:`glmm_proportion` raises :class:`NotEstimable` (metafor: "Cannot fit ML
model"). With one study the "pool" is that study with a Wald CI (no heterogeneity, no
prediction beyond it).

Both return a :class:`PooledEstimate` on the model's scale (logit for proportions); the
prediction interval, I^2 and H^2 are computed as metafor does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from .memo import by_value, memoised

GLMM = "binomial-normal GLMM (ML, adaptive Gauss-Hermite, 7 points)"
IV_REML_HK = "inverse variance, REML, Hartung-Knapp (truncated)"
IV_REML_Z = "inverse variance, REML, Wald z"
# Summaries that assume one true value for every study. The review reports none (see
# pooling.MIN_RANDOM_EFFECTS_STUDIES); the random-effects teaching chapter fits them to show why.
COMMON_LOGISTIC = "common-effect summary, sensitivity only (logistic model, one true rate assumed)"
COMMON_IV = "common-effect summary, sensitivity only (inverse variance, one true value assumed)"
QUADRATURE_POINTS = 7  # metafor's default nAGQ for rma.glmm
CONTINUITY = 0.5  # escalc(add=1/2, to="only0"): only studies with a zero cell get it
OPTIMUM_TOLERANCE = 1e-12  # on the parameters; far below the 1e-4 agreement the tests require


class NotEstimable(ValueError):
    """The model has no finite estimate for these data; the message says why, in words a
    reader can be shown."""


@dataclass(frozen=True)
class PooledEstimate:
    """A pooled estimate on the model's scale (log odds for proportions)."""

    model: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float  # percent
    h2: float
    pi_low: float
    pi_high: float
    level: float = 95.0
    labels: tuple[str, ...] = ()
    note: str = ""  # why there is no estimate, when there is none
    interval: str = "CI"  # what ci_low-ci_high is: a confidence interval, or a credible interval ("CrI")

    @classmethod
    def not_estimable(cls, model: str, k: int, reason: str, labels: tuple[str, ...] = ()) -> "PooledEstimate":
        """The record of a pool the model cannot estimate: every number NaN, the reason in ``note``."""
        nan = math.nan
        return cls(model, k, nan, nan, nan, nan, nan, nan, nan, nan, nan, labels=tuple(labels), note=reason)

    @property
    def estimable(self) -> bool:
        return math.isfinite(self.estimate)

    def transformed(self, function) -> dict[str, float]:
        """Estimate, CI and prediction interval back-transformed by ``function``."""
        return {name: float(function(getattr(self, name)))
                for name in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")}

    def as_proportion(self) -> dict[str, float]:
        """Estimate, CI and prediction interval as proportions (inverse logit)."""
        return self.transformed(special.expit)


# ---------------------------------------------------------------------------- effect sizes

def logit_effect_sizes(events, totals) -> tuple[np.ndarray, np.ndarray]:
    """Log odds and their sampling variances, as ``escalc(measure="PLO")``.

    A study with 0 events or all events gets 1/2 added to both cells (``to="only0"``).
    """
    events = np.asarray(events, dtype=float)
    totals = np.asarray(totals, dtype=float)
    if np.any(events < 0) or np.any(events > totals) or np.any(totals <= 0):
        raise ValueError("every study needs 0 <= events <= total and total > 0")
    zero_cell = (events == 0) | (events == totals)
    x = events + CONTINUITY * zero_cell
    m = totals - events + CONTINUITY * zero_cell
    return np.log(x / m), 1 / x + 1 / m


def typical_within_variance(vi) -> float:
    """The 'typical' sampling variance behind I^2 (Higgins and Thompson 2002)."""
    w = 1 / np.asarray(vi, dtype=float)
    k = len(w)
    return float((k - 1) * w.sum() / (w.sum() ** 2 - (w ** 2).sum()))


def _heterogeneity(tau2: float, vi) -> tuple[float, float]:
    if len(vi) < 2:
        return math.nan, math.nan
    s2 = typical_within_variance(vi)
    return 100 * tau2 / (tau2 + s2), (tau2 + s2) / s2


def _critical(level: float, df: int | None) -> float:
    upper = 1 - (1 - level / 100) / 2
    return float(stats.norm.ppf(upper) if df is None else stats.t.ppf(upper, df))


# ---------------------------------------------------------------------------- normal-normal

def _reml_objective(tau2: float, yi: np.ndarray, vi: np.ndarray) -> float:
    w = 1 / (vi + tau2)
    mu = (w * yi).sum() / w.sum()
    return 0.5 * (np.log(vi + tau2).sum() + math.log(w.sum()) + (w * (yi - mu) ** 2).sum())


def reml_log_likelihood(tau2: float, yi, vi) -> float:
    """Restricted log-likelihood of tau^2, up to a constant: the function :func:`reml_tau2`
    maximises (its flatness shows how little the studies say about tau^2)."""
    return -_reml_objective(float(tau2), np.asarray(yi, dtype=float), np.asarray(vi, dtype=float))


def reml_tau2(yi, vi) -> float:
    """Restricted maximum-likelihood estimate of tau^2, truncated at zero."""
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    if len(yi) < 2:
        return 0.0
    upper = 10 * (float(np.var(yi)) + float(vi.max())) + 1.0
    found = optimize.minimize_scalar(_reml_objective, bounds=(0.0, upper), args=(yi, vi), method="bounded",
                                     options={"xatol": OPTIMUM_TOLERANCE, "maxiter": 2000})
    tau2 = float(found.x)
    # The bounded search never lands exactly on 0; keep 0 when the objective is no worse there.
    if _reml_objective(0.0, yi, vi) <= _reml_objective(tau2, yi, vi):
        return 0.0
    return tau2


def inverse_variance(yi, vi, hartung_knapp: bool = True, level: float = 95.0,
                     labels: tuple[str, ...] = ()) -> PooledEstimate:
    """Random-effects pooled estimate, tau^2 by REML (see the module docstring).

    With ``hartung_knapp`` the standard error is the Hartung-Knapp one, truncated below at the
    Wald standard error (its scale factor q is replaced by max(1, q): without it, studies that
    happen to agree give an interval narrower than Wald's, or a point when they are identical;
    Knapp and Hartung 2003, Röver et al. 2015), and the CI and prediction interval use the t
    distribution with k - 1 degrees of freedom, as metafor's ``test="adhoc"``; otherwise Wald z.
    """
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    k = len(yi)
    if k == 0:
        raise ValueError("nothing to pool")
    tau2 = reml_tau2(yi, vi)
    w = 1 / (vi + tau2)
    mu = float((w * yi).sum() / w.sum())
    if hartung_knapp and k > 1:
        q = float((w * (yi - mu) ** 2).sum()) / (k - 1)
        se = math.sqrt(max(1.0, q) / w.sum())
        crit = _critical(level, k - 1)
    else:
        se = math.sqrt(1 / w.sum())
        crit = _critical(level, None)
    i2, h2 = _heterogeneity(tau2, vi)
    pi_half = crit * math.sqrt(tau2 + se ** 2)
    return PooledEstimate(IV_REML_HK if hartung_knapp else IV_REML_Z, k, mu, se, mu - crit * se, mu + crit * se,
                          tau2, i2, h2, mu - pi_half, mu + pi_half, level, tuple(labels))


def common_effect(yi, vi, level: float = 95.0, labels: tuple[str, ...] = ()) -> PooledEstimate:
    """Common-effect (fixed-effect) inverse-variance summary with a Wald CI, as metafor's
    ``rma(yi, vi, method="EE")``; no tau^2, I^2 or prediction interval (NaN)."""
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    if len(yi) == 0:
        raise ValueError("nothing to pool")
    w = 1 / vi
    mu = float((w * yi).sum() / w.sum())
    se = math.sqrt(1 / w.sum())
    crit = _critical(level, None)
    nan = math.nan
    return PooledEstimate(COMMON_IV, len(yi), mu, se, mu - crit * se, mu + crit * se, nan, nan, nan, nan, nan,
                          level, tuple(labels))


# ---------------------------------------------------------------------------- binomial-normal

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(QUADRATURE_POINTS)
_WEIGHTS = _WEIGHTS / math.sqrt(2 * math.pi)  # weights for the standard normal density


def _log_binomial(events, totals, eta):
    """Binomial log-likelihood with the log-binomial coefficient, on the logit scale."""
    const = special.gammaln(totals + 1) - special.gammaln(events + 1) - special.gammaln(totals - events + 1)
    return const + events * eta - totals * np.logaddexp(0.0, eta)


def _conditional_modes(events, totals, mu, sd):
    """Mode and curvature-based scale of each study's random effect u ~ N(0, 1)."""
    def objective(u):
        eta = mu + sd * u
        return events * eta - totals * np.logaddexp(0.0, eta) - u ** 2 / 2

    u = np.zeros_like(events)
    for _ in range(200):  # Newton steps on a strictly concave function
        p = special.expit(mu + sd * u)
        gradient = sd * (events - totals * p) - u
        curvature = sd ** 2 * totals * p * (1 - p) + 1
        step = gradient / curvature
        # A full Newton step can overshoot where the curvature changes fast (a study with all
        # or no events, a large mean or spread) and then diverge; halve it until it climbs.
        current = objective(u)
        for _ in range(60):
            worse = objective(u + step) < current - 1e-12
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        u = u + step
        if np.max(np.abs(step)) < 1e-13:
            break
    p = special.expit(mu + sd * u)
    return u, 1 / np.sqrt(sd ** 2 * totals * p * (1 - p) + 1)


def glmm_log_likelihood(mu: float, sd: float, events, totals) -> float:
    """Marginal log-likelihood of the random-intercept logistic model, by adaptive
    Gauss-Hermite quadrature centred at each study's conditional mode (as lme4's nAGQ)."""
    events = np.asarray(events, dtype=float)
    totals = np.asarray(totals, dtype=float)
    # One mean for every study, or each study its own (a model with moderators).
    mu = np.broadcast_to(np.asarray(mu, dtype=float), events.shape)
    sd = abs(sd)
    if sd == 0:
        return float(_log_binomial(events, totals, mu).sum())
    mode, scale = _conditional_modes(events, totals, mu, sd)
    u = mode[:, None] + scale[:, None] * _NODES[None, :]
    log_integrand = (_log_binomial(events[:, None], totals[:, None], mu[:, None] + sd * u) - u ** 2 / 2
                     + _NODES[None, :] ** 2 / 2)
    peak = log_integrand.max(axis=1)
    per_study = peak + np.log((_WEIGHTS[None, :] * np.exp(log_integrand - peak[:, None])).sum(axis=1)) + np.log(scale)
    return float(per_study.sum())


def _hessian(function, point: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian."""
    n = len(point)
    hessian = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei = np.eye(n)[i] * step
            ej = np.eye(n)[j] * step
            value = (function(point + ei + ej) - function(point + ei - ej)
                     - function(point - ei + ej) + function(point - ei - ej)) / (4 * step ** 2)
            hessian[i, j] = hessian[j, i] = value
    return hessian


def _pool_key(events, totals, level: float = 95.0, labels: tuple[str, ...] = ()) -> bytes:
    return by_value(np.asarray(events, dtype=float).tolist(), np.asarray(totals, dtype=float).tolist(),
                    float(level), tuple(labels))


def glmm_not_estimable(events, totals) -> str:
    """Why the binomial-normal model has no finite estimate for these counts ("" if it has one).

    With every study at 0% (or every study at 100%) the likelihood keeps rising as the pooled
    log odds goes to minus (plus) infinity; with each study at 0% or 100% it keeps rising as
    tau goes to infinity. metafor stops with "Cannot fit ML model" in the first two cases and
    reports a meaningless tau^2 in the third.
    """
    events = np.asarray(events, dtype=float)
    totals = np.asarray(totals, dtype=float)
    if len(events) and np.all(events == 0):
        return "no study has an event, so the model has no finite estimate"
    if len(events) and np.all(events == totals):
        return "every patient in every study had the event, so the model has no finite estimate"
    if len(events) and np.all((events == 0) | (events == totals)):
        return ("each study has either no events or only events, so the model cannot separate "
                "the pooled rate from the spread between studies")
    return ""


@memoised(_pool_key)
def glmm_proportion(events, totals, level: float = 95.0, labels: tuple[str, ...] = ()) -> PooledEstimate:
    """Pooled log odds of a proportion by the binomial-normal model (see the module docstring).

    The standard error of the pooled log odds comes from the inverse of the observed
    information for (log odds, tau) jointly, as lme4's ``vcov`` with its default Hessian; when
    tau is estimated as 0 it is the fixed-effect (logistic) standard error. The CI is Wald z, as
    metafor's default ``test="z"``; the prediction interval uses t on k - 1 degrees of freedom
    (:func:`prediction_interval`); I^2 uses the escalc variances, as metafor does.
    """
    events = np.asarray(events, dtype=float)
    totals = np.asarray(totals, dtype=float)
    k = len(events)
    if k == 0:
        raise ValueError("nothing to pool")
    reason = glmm_not_estimable(events, totals)
    if reason:
        raise NotEstimable(reason)
    yi, vi = logit_effect_sizes(events, totals)
    pooled_logit = _logistic_fit(events, totals)[0]  # finite: all-or-none data were refused above

    def negative(params):
        return -glmm_log_likelihood(params[0], params[1], events, totals)

    best = None
    for start_sd in (0.1, 0.5, 1.5):
        # A coarse simplex search finds the basin; Newton steps (_polish) then reach the
        # maximum to ~1e-10, far faster than a simplex run to that precision.
        found = optimize.minimize(negative, x0=np.array([pooled_logit, start_sd]), method="Nelder-Mead",
                                  options={"xatol": 1e-6, "fatol": 1e-12, "maxiter": 4000})
        if best is None or found.fun < best.fun:
            best = found
    mu, sd = float(best.x[0]), abs(float(best.x[1]))
    # Compare with the boundary (tau = 0): the fixed-effect logistic fit.
    # Its maximum is in closed form: the logit of the pooled proportion (_logistic_fit).
    fixed_mu, fixed_se = _logistic_fit(events, totals)
    if negative([fixed_mu, 0.0]) <= best.fun + 1e-10 or sd < 1e-6:
        mu, sd, se = fixed_mu, 0.0, fixed_se
    else:
        mu, sd = _polish(negative, mu, sd)
        covariance = np.linalg.inv(_hessian(negative, np.array([mu, sd])))
        se = math.sqrt(covariance[0, 0])
    tau2 = sd ** 2
    crit = _critical(level, None)
    i2, h2 = _heterogeneity(tau2, vi)
    pi_low, pi_high = prediction_interval(mu, se, tau2, k, level)
    return PooledEstimate(GLMM, k, mu, se, mu - crit * se, mu + crit * se, tau2, i2, h2,
                          pi_low, pi_high, level, tuple(labels))


def prediction_interval(estimate: float, se: float, tau2: float, k: int, level: float = 95.0) -> tuple[float, float]:
    """Where a new study's true value may lie: estimate ± t(k - 1) * sqrt(tau^2 + SE^2).

    The t quantile on k - 1 degrees of freedom carries the uncertainty in tau^2 that a z
    quantile ignores (Higgins, Thompson and Spiegelhalter 2009; IntHout et al. 2016; metafor's
    ``predict`` after ``test="t"``): with three studies it is 4.30 instead of 1.96. NaN for
    fewer than two studies, where nothing says how much true values vary.
    """
    if k < 2:
        return math.nan, math.nan
    half = _critical(level, k - 1) * math.sqrt(tau2 + se ** 2)
    return estimate - half, estimate + half


def _logistic_fit(events: np.ndarray, totals: np.ndarray) -> tuple[float, float]:
    """Log odds and standard error of the common-effect logistic model (every study the same
    true rate): the pooled proportion's logit and 1 / sqrt(sum n p (1 - p))."""
    mu = float(special.logit(events.sum() / totals.sum()))
    p = special.expit(mu)
    return mu, 1 / math.sqrt(float((totals * p * (1 - p)).sum()))


def common_effect_proportion(events, totals, level: float = 95.0, labels: tuple[str, ...] = ()) -> PooledEstimate:
    """Common-effect logistic summary of a proportion, as metafor's ``rma.glmm(measure="PLO",
    method="EE")``: one true rate for every study, Wald CI; no tau^2, I^2 or prediction
    interval (NaN). Raises :class:`NotEstimable` when every study has no events, or every study
    only events."""
    events = np.asarray(events, dtype=float)
    totals = np.asarray(totals, dtype=float)
    if events.sum() == 0 or events.sum() == totals.sum():
        raise NotEstimable(glmm_not_estimable(events, totals))
    mu, se = _logistic_fit(events, totals)
    crit = _critical(level, None)
    nan = math.nan
    return PooledEstimate(COMMON_LOGISTIC, len(events), mu, se, mu - crit * se, mu + crit * se, nan, nan, nan,
                          nan, nan, level, tuple(labels))


def _polish(negative, mu: float, sd: float) -> tuple[float, float]:
    """Newton steps from the simplex optimum, for an optimum precise to ~1e-10."""
    point = np.array([mu, sd])
    for _ in range(20):
        step_size = 1e-5
        gradient = np.array([(negative(point + e) - negative(point - e)) / (2 * step_size)
                             for e in np.eye(2) * step_size])
        step = np.linalg.solve(_hessian(negative, point), gradient)
        point = point - step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(point[0]), float(point[1])


# ---------------------------------------------------------------------------- moderators

@dataclass(frozen=True)
class ModeratorTest:
    """Wald test that groups of studies (settings) share one mean in the binomial-normal model
    with the group as a moderator: ``q`` on ``df`` degrees of freedom, its ``p`` value, and the
    between-study variance left within groups (``tau2``, one for all groups)."""

    q: float
    df: int
    p: float
    tau2: float
    groups: tuple[str, ...]
    k: int


def glmm_moderator_test(events, totals, groups) -> ModeratorTest:
    """Whether the groups' true log odds differ, by the binomial-normal GLMM with the group as a
    moderator (one mean per group, one tau^2 shared by all), fitted by maximum likelihood as
    ``rma.glmm(measure="PLO", mods = ~ group, method="ML", nAGQ=7)``; the Wald statistic QM of
    the group contrasts uses the fixed effects' block of the inverse observed information for
    (means, tau) jointly, as lme4's ``vcov``. Sharing tau^2 lets a group of two studies enter:
    the spread within groups is estimated from all of them together (Borenstein and Higgins 2013,
    Prev Sci 14:134-143, on pooling tau^2 across subgroups when groups are small).

    Raises :class:`NotEstimable` with fewer than two groups, or with no more studies than groups
    (nothing would be left to estimate tau^2 from).
    """
    events = np.asarray(events, dtype=float)
    totals = np.asarray(totals, dtype=float)
    groups = [str(g) for g in groups]
    names = tuple(dict.fromkeys(groups))
    index = np.array([names.index(g) for g in groups])
    if len(names) < 2:
        raise NotEstimable("fewer than two settings to compare")
    if len(events) <= len(names):
        raise NotEstimable("no setting has two studies, so nothing is left to estimate the spread within settings")
    starts = np.array([_logistic_fit(events[index == j], totals[index == j])[0]
                       if 0 < events[index == j].sum() < totals[index == j].sum() else 0.0
                       for j in range(len(names))])

    def negative(params):
        return -glmm_log_likelihood(params[:-1][index], params[-1], events, totals)

    best = None
    for start_sd in (0.1, 0.5, 1.5):
        found = optimize.minimize(negative, x0=np.append(starts, start_sd), method="Nelder-Mead",
                                  options={"xatol": 1e-7, "fatol": 1e-13, "maxiter": 20000})
        if best is None or found.fun < best.fun:
            best = found
    point = _newton(negative, best.x)
    if abs(point[-1]) < 1e-6:
        # tau at its boundary: the fixed-effects logistic model, whose information is the
        # means' block alone.
        point[-1] = 0.0
        covariance = np.linalg.inv(_hessian(lambda b: negative(np.append(b, 0.0)), point[:-1]))
    else:
        covariance = np.linalg.inv(_hessian(negative, point))[:-1, :-1]
    # The contrasts of every group with the first, as metafor's dummy-coded moderators.
    contrasts = np.hstack([-np.ones((len(names) - 1, 1)), np.eye(len(names) - 1)])
    difference = contrasts @ point[:-1]
    q = float(difference @ np.linalg.solve(contrasts @ covariance @ contrasts.T, difference))
    df = len(names) - 1
    return ModeratorTest(q, df, float(stats.chi2.sf(q, df)), float(point[-1] ** 2), names, len(events))


def _newton(negative, point: np.ndarray, step_size: float = 1e-5) -> np.ndarray:
    """Newton steps on a smooth objective from a point near its minimum (gradient and Hessian by
    central differences), for an optimum precise to ~1e-9."""
    point = np.array(point, dtype=float)
    for _ in range(30):
        gradient = np.array([(negative(point + e) - negative(point - e)) / (2 * step_size)
                             for e in np.eye(len(point)) * step_size])
        try:
            step = np.linalg.solve(_hessian(negative, point), gradient)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or negative(point - step) > negative(point) + 1e-12:
            break
        point = point - step
        if np.max(np.abs(step)) < 1e-10:
            break
    return point
