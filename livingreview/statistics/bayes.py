"""Bayesian random-effects meta-analysis for few studies, computed by numerical integration.

With two to four studies the data say almost nothing about the heterogeneity tau, so a
frequentist pool either ignores the uncertainty in tau (a Wald interval) or is so wide that it
says nothing (Hartung-Knapp on one degree of freedom). A Bayesian pool with a weakly
informative half-normal prior on tau does neither (Friede et al. 2017, Res Synth Methods
8:79-91 and Biom J 59:658-671; Bender et al. 2018, Res Synth Methods 9:382-392; Röver et al.
2021, Res Synth Methods 12:448-474). Two models, both with tau ~ half-normal(``prior_scale``):

* :func:`normal_normal`: effect sizes y_i ~ N(theta_i, v_i), theta_i ~ N(mu, tau^2), an improper
  uniform prior on mu, as R's bayesmeta does by default (Röver 2020, J Stat Softw 93(6)).
  Given tau, mu is normal, so the posterior of mu is a mixture of normals over tau, and one
  integral over tau gives everything exactly (:func:`normal_normal_posterior`).
* :func:`binomial_normal`: counts x_i ~ Bin(n_i, expit(theta_i)), theta_i ~ N(mu, tau^2) on the
  log-odds scale, mu ~ N(0, ``mean_prior_sd``^2). Each theta_i is integrated out by adaptive
  Gauss-Hermite quadrature, then (mu, tau) on a grid (:func:`binomial_normal_posterior`). It uses
  the counts themselves, so a study with no events, or only events, needs no correction, and
  the priors keep the posterior proper even when every study has none.

No sampler is used: every number is an integral computed to far better than the digits shown
(the tests compare with bayesmeta's published output, with independent quadrature and
brute-force integration, and with long MCMC runs). Both return a
:class:`~livingreview.statistics.meta.PooledEstimate` on the model's scale: the posterior median
of mu, its posterior standard deviation, the equal-tailed credible interval (``interval`` is
"CrI"), the equal-tailed interval of the posterior predictive distribution of a new study's
theta, and the posterior median of tau^2 with the I^2 and H^2 it implies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import interpolate, optimize, special

from .memo import by_value, memoised
from .meta import PooledEstimate, logit_effect_sizes, typical_within_variance

NORMAL_NORMAL = "normal-normal"
BINOMIAL_NORMAL = "binomial-normal"
CREDIBLE = "CrI"
# Prior SD of mu on the log-odds scale: over the rates 0.7% to 99.3% (log odds within +-5) its
# density varies by less than 12%, so the data, not the prior, place mu.
MEAN_PRIOR_SD = 10.0
TAU_SUMMARY_LEVEL = 95.0
# Adaptive Gauss-Hermite nodes per study's random effect: the integrand, centred and scaled at
# its mode, is close to a normal density, and 20 nodes give each study's log likelihood to
# better than 1e-6 for this review's data (1e-15 typically) against 80 nodes; metafor's default
# of 7 is coarser than the digits these pools are checked to.
QUADRATURE_POINTS = 20
NEGLIGIBLE = 40.0  # log density this far below the peak is left out (e^-40 ~ 4e-18)
# Grids of log tau, uniform: the trapezoid rule on log tau converges geometrically for these
# smooth integrands (and the density of log tau vanishes like tau as tau -> 0, so no mass is
# lost below the grid). The normal-normal model's grid spans where the density is within
# e^-NEGLIGIBLE of its peak (its points cost little); the binomial-normal model's runs from
# HALF_NORMAL_REACH prior scales down by a factor 1e10, below which the posterior is its value
# at tau = 0. These spacings hold quantiles of mu to ~1e-7 and of tau to ~1e-5 (relative).
LOG_TAU_POINTS_NORMAL = 4001
LOG_TAU_POINTS_BINOMIAL = 161
LOG_TAU_SPAN = math.log(1e10)
# Half-normal mass beyond 12 scales is e^-72.
HALF_NORMAL_REACH = 12.0
# First grid of mu given tau, in standard deviations of the normal approximation on either side.
MU_REACH = 11.0
MU_POINTS = 121
MU_POINTS_FIRST = 41
# Density at the ends of mu's grid, relative to its peak, below which the mass beyond is negligible.
END_DENSITY = 1e-10
# Agreement of the trapezoid rule on every grid point of mu and on every other one that shows the
# grid resolves the posterior of mu given tau.
RESOLUTION = 1e-8
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(QUADRATURE_POINTS)
_LOG_WEIGHTS = np.log(_WEIGHTS) + _NODES ** 2 / 2 - 0.5 * math.log(2 * math.pi)
# Nodes for E[F(t - tau Z)], Z ~ N(0, 1), when tau is narrower than the posterior of mu given tau.
_SMOOTHING_NODES, _SMOOTHING_WEIGHTS = np.polynomial.hermite_e.hermegauss(32)
_SMOOTHING_WEIGHTS = _SMOOTHING_WEIGHTS / math.sqrt(2 * math.pi)


def model_label(kind: str, prior_scale: float) -> str:
    """The model's name as tables show it, e.g. 'Bayesian binomial-normal, half-normal(1) prior
    on tau'. ``kind`` is "binomial" or "normal" (or the full "binomial-normal", "normal-normal")."""
    names = {"binomial": BINOMIAL_NORMAL, BINOMIAL_NORMAL: BINOMIAL_NORMAL,
             "normal": NORMAL_NORMAL, NORMAL_NORMAL: NORMAL_NORMAL}
    if kind not in names:
        raise ValueError(f"unknown model kind {kind!r}: 'binomial' or 'normal'")
    return f"Bayesian {names[kind]}, half-normal({prior_scale:g}) prior on tau"


def log_half_normal(tau, scale: float):
    """Log density of the half-normal distribution with ``scale`` at ``tau`` >= 0."""
    tau = np.asarray(tau, dtype=float)
    return math.log(2) - 0.5 * math.log(2 * math.pi) - math.log(scale) - tau ** 2 / (2 * scale ** 2)


# ---------------------------------------------------------------------------- posterior summaries

@dataclass(frozen=True)
class TauSummary:
    """Posterior median of tau and its equal-tailed credible interval."""

    median: float
    low: float
    high: float
    level: float = TAU_SUMMARY_LEVEL


class _TauGrid:
    """The marginal posterior of tau, known on a uniform grid of log tau (``log_tau``) as an
    unnormalised log density of log tau (``log_density``, Jacobian included).

    The trapezoid rule gives its integrals; quantiles come from a cubic spline of the density,
    integrated exactly, so that they are accurate to the fourth power of the grid spacing
    rather than the second.
    """

    def __init__(self, log_tau: np.ndarray, log_density: np.ndarray):
        self.log_tau = log_tau
        density = np.exp(log_density - log_density.max())
        self.weights = density / density.sum()  # trapezoid weights: the ends are negligible
        self.tau = np.exp(log_tau)
        self._cumulative = interpolate.CubicSpline(log_tau, density).antiderivative()
        self._total = float(self._cumulative(log_tau[-1]))

    def quantile(self, p: float) -> float:
        return math.exp(optimize.brentq(lambda s: float(self._cumulative(s)) / self._total - p,
                                        self.log_tau[0], self.log_tau[-1], xtol=1e-13))


def _quantile(cdf, p: float, low: float, high: float) -> float:
    """Root of cdf(x) = p, widening the bracket [low, high] until it holds the root."""
    width = high - low
    while cdf(low) > p:
        low -= width
    while cdf(high) < p:
        high += width
    return optimize.brentq(lambda x: cdf(x) - p, low, high, xtol=1e-12, rtol=1e-14)


class _Posterior:
    """What both models share: quantiles of mu and of a new study's theta, and tau's summary."""

    tau_grid: _TauGrid

    def mu_cdf(self, x: float) -> float:
        raise NotImplementedError

    def theta_cdf(self, x: float) -> float:
        raise NotImplementedError

    def _bracket(self) -> tuple[float, float]:
        raise NotImplementedError

    def mu_quantile(self, p: float) -> float:
        """Quantile of the marginal posterior of mu."""
        return _quantile(self.mu_cdf, p, *self._bracket())

    def theta_quantile(self, p: float) -> float:
        """Quantile of the posterior predictive distribution of a new study's theta."""
        low, high = self._bracket()
        reach = 10 * float(self.tau_grid.quantile(0.999))
        return _quantile(self.theta_cdf, p, low - reach, high + reach)

    def tau_quantile(self, p: float) -> float:
        """Quantile of the marginal posterior of tau."""
        return self.tau_grid.quantile(p)

    @property
    def tau_mean(self) -> float:
        """Posterior mean of tau."""
        return float(self.tau_grid.weights @ self.tau_grid.tau)

    @property
    def tau_sd(self) -> float:
        """Posterior standard deviation of tau."""
        return math.sqrt(float(self.tau_grid.weights @ self.tau_grid.tau ** 2) - self.tau_mean ** 2)

    def tau_summary(self, level: float = TAU_SUMMARY_LEVEL) -> TauSummary:
        """Posterior median of tau and its equal-tailed ``level``% credible interval."""
        tail = (1 - level / 100) / 2
        return TauSummary(self.tau_quantile(0.5), self.tau_quantile(tail), self.tau_quantile(1 - tail), level)

    def pooled(self, model: str, vi, level: float, labels) -> PooledEstimate:
        """The summary as a PooledEstimate (see the module docstring)."""
        if not 0 < level < 100:
            raise ValueError("level is a percentage between 0 and 100")
        tail = (1 - level / 100) / 2
        tau2 = self.tau_quantile(0.5) ** 2
        vi = np.asarray(vi, dtype=float)
        i2 = h2 = math.nan
        if len(vi) >= 2:
            typical = typical_within_variance(vi)
            i2, h2 = 100 * tau2 / (tau2 + typical), (tau2 + typical) / typical
        return PooledEstimate(model, len(vi), self.mu_quantile(0.5), self.mu_sd, self.mu_quantile(tail),
                              self.mu_quantile(1 - tail), tau2, i2, h2, self.theta_quantile(tail),
                              self.theta_quantile(1 - tail), level, tuple(labels), interval=CREDIBLE)


# ---------------------------------------------------------------------------- normal-normal

class NormalNormalPosterior(_Posterior):
    """Posterior of the normal-normal model, exact up to one integral over tau.

    Given tau, with a uniform or normal prior on mu, mu is normal with mean ``mu_mean_given_tau``
    and variance ``mu_var_given_tau`` (the inverse-variance pool with weights 1 / (v_i + tau^2),
    the normal prior acting as one more study), and a new study's theta is normal with the same
    mean and variance ``mu_var_given_tau + tau^2``. The marginal posterior of tau is the prior
    times the likelihood with mu integrated out,
    prod (v_i + tau^2)^(-1/2) * sqrt(V(tau)) * exp(-Q(tau) / 2) (Röver 2020, section 2).
    """

    def __init__(self, yi, vi, log_tau_prior, mu_prior_mean: float = 0.0, mu_prior_sd: float | None = None):
        self.yi = np.asarray(yi, dtype=float)
        self.vi = np.asarray(vi, dtype=float)
        if self.yi.ndim != 1 or self.yi.shape != self.vi.shape or len(self.yi) == 0:
            raise ValueError("one effect size and one sampling variance per study, at least one study")
        if np.any(self.vi <= 0) or not np.all(np.isfinite(self.yi)):
            raise ValueError("every sampling variance must be positive and every effect size finite")
        self.mu_prior_mean = float(mu_prior_mean)
        self.mu_prior_sd = mu_prior_sd
        # Where tau's posterior lives is unknown in advance: a wide grid of log tau, around the
        # scale of the data, is trimmed to where the density is not negligible.
        reference = math.sqrt(float(np.median(self.vi))) + float(np.ptp(self.yi))
        log_tau = math.log(reference) + np.linspace(-60.0, 15.0, 6001)
        log_density = self._log_posterior(np.exp(log_tau), log_tau_prior) + log_tau
        kept = np.flatnonzero(log_density > log_density.max() - NEGLIGIBLE)
        if kept[-1] == len(log_tau) - 1:
            raise ValueError("the posterior of tau is improper with this prior and so few studies")
        if kept[0] == 0:
            raise ValueError("the prior on tau is too narrow for the scale of these data")
        low, high = log_tau[max(kept[0] - 1, 0)], log_tau[kept[-1] + 1]
        log_tau = np.linspace(low, high, LOG_TAU_POINTS_NORMAL)
        log_density = self._log_posterior(np.exp(log_tau), log_tau_prior) + log_tau
        self.tau_grid = _TauGrid(log_tau, log_density)
        self.mu_mean_given_tau, self.mu_var_given_tau, _ = self._conditional(self.tau_grid.tau)
        self._mu_sd = np.sqrt(self.mu_var_given_tau)
        self._theta_sd = np.sqrt(self.mu_var_given_tau + self.tau_grid.tau ** 2)
        weights = self.tau_grid.weights
        self.mu_mean = float(weights @ self.mu_mean_given_tau)
        self.mu_sd = math.sqrt(float(weights @ (self.mu_var_given_tau + self.mu_mean_given_tau ** 2))
                               - self.mu_mean ** 2)

    def _conditional(self, tau: np.ndarray):
        """Mean and variance of mu given each tau, and the log marginal likelihood of tau."""
        variance = self.vi[None, :] + tau[:, None] ** 2
        weight = 1 / variance
        precision = weight.sum(axis=1)
        weighted = (weight * self.yi).sum(axis=1)
        if self.mu_prior_sd is not None:
            precision = precision + 1 / self.mu_prior_sd ** 2
            weighted = weighted + self.mu_prior_mean / self.mu_prior_sd ** 2
        mean = weighted / precision
        residual = (weight * (self.yi - mean[:, None]) ** 2).sum(axis=1)
        if self.mu_prior_sd is not None:
            residual = residual + (self.mu_prior_mean - mean) ** 2 / self.mu_prior_sd ** 2
        log_likelihood = -0.5 * np.log(variance).sum(axis=1) - 0.5 * np.log(precision) - 0.5 * residual
        return mean, 1 / precision, log_likelihood

    def _log_posterior(self, tau: np.ndarray, log_tau_prior) -> np.ndarray:
        return self._conditional(tau)[2] + np.asarray(log_tau_prior(tau), dtype=float)

    def mu_cdf(self, x: float) -> float:
        """Marginal posterior CDF of mu: the tau-mixture of normal CDFs."""
        return float(self.tau_grid.weights @ special.ndtr((x - self.mu_mean_given_tau) / self._mu_sd))

    def theta_cdf(self, x: float) -> float:
        """Posterior predictive CDF of a new study's theta."""
        return float(self.tau_grid.weights @ special.ndtr((x - self.mu_mean_given_tau) / self._theta_sd))

    def _bracket(self) -> tuple[float, float]:
        return (float(np.min(self.mu_mean_given_tau - 10 * self._mu_sd)),
                float(np.max(self.mu_mean_given_tau + 10 * self._mu_sd)))


def normal_normal_posterior(yi, vi, log_tau_prior, mu_prior_mean: float = 0.0,
                            mu_prior_sd: float | None = None) -> NormalNormalPosterior:
    """Posterior of the normal-normal model with any prior on tau (``log_tau_prior``: tau array ->
    log density, up to a constant) and a uniform (``mu_prior_sd`` None) or normal prior on mu.

    :func:`normal_normal` is its half-normal, uniform-mu case; the general form lets the tests
    reproduce bayesmeta's published examples, which use other priors.
    """
    return NormalNormalPosterior(yi, vi, log_tau_prior, mu_prior_mean, mu_prior_sd)


def _check_scale(prior_scale: float) -> float:
    prior_scale = float(prior_scale)
    if not prior_scale > 0 or not math.isfinite(prior_scale):
        raise ValueError("the half-normal prior on tau needs a positive, finite scale")
    return prior_scale


def _normal_key(yi, vi, prior_scale: float, level: float = 95.0, labels: tuple[str, ...] = ()) -> bytes:
    return by_value(np.asarray(yi, dtype=float).tolist(), np.asarray(vi, dtype=float).tolist(), float(prior_scale),
                    float(level), tuple(labels))


def _normal_posterior(yi, vi, prior_scale: float) -> NormalNormalPosterior:
    prior_scale = _check_scale(prior_scale)
    return NormalNormalPosterior(yi, vi, lambda tau: log_half_normal(tau, prior_scale))


@memoised(_normal_key)
def normal_normal(yi, vi, prior_scale: float, level: float = 95.0, labels: tuple[str, ...] = ()) -> PooledEstimate:
    """Bayesian random-effects pool of effect sizes ``yi`` with sampling variances ``vi``: the
    normal-normal model with a half-normal(``prior_scale``) prior on tau and a uniform prior on
    mu, as ``bayesmeta(yi, sqrt(vi), tau.prior=function(t) dhalfnormal(t, scale=prior_scale))``
    with central intervals (see the module docstring for the fields)."""
    posterior = _normal_posterior(yi, vi, prior_scale)
    return posterior.pooled(model_label(NORMAL_NORMAL, prior_scale), vi, level, labels)


# ---------------------------------------------------------------------------- binomial-normal

def _binomial_kernel(events, totals, eta):
    """x eta - n log(1 + e^eta), the binomial log-likelihood on the logit scale without its
    coefficient, written as -x max(-eta, 0) - (n - x) max(eta, 0) - n log(1 + e^-|eta|): exact
    where the rate is near 0 or 1 (the plain form loses precision to cancellation there), and one
    exponential per point."""
    return (-events * np.maximum(-eta, 0.0) - (totals - events) * np.maximum(eta, 0.0)
            - totals * np.log1p(np.exp(-np.abs(eta))))


def _log_binomial(events, totals, eta):
    """Binomial log-likelihood with its coefficient, on the logit scale."""
    const = special.gammaln(totals + 1) - special.gammaln(events + 1) - special.gammaln(totals - events + 1)
    return const + _binomial_kernel(events, totals, eta)


def _random_effect_modes(events, totals, mu, tau, start):
    """Mode and curvature-based scale of each study's standardised random effect u (theta =
    mu + tau u, u ~ N(0, 1)) given (mu, tau), by Newton steps from ``start``. The objective is
    strictly concave, but a full step can overshoot where its curvature changes fast (a study
    with no events or only events, a large tau), so a step that does not climb is halved until
    it does. Arrays broadcast."""
    def objective(u):
        return _binomial_kernel(events, totals, mu + tau * u) - u ** 2 / 2

    u = start
    for _ in range(100):
        p = special.expit(mu + tau * u)
        curvature = tau ** 2 * totals * p * (1 - p) + 1
        step = (tau * (events - totals * p) - u) / curvature
        current = objective(u)
        # (Rounding may make a step of the order of 1e-16 look downhill: such steps are kept.)
        slack = 1e-12 * (1 + np.abs(current))
        for _ in range(60):
            worse = objective(u + step) < current - slack
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        u = u + step
        # The mode is needed to a small fraction of the integrand's width, 1 / sqrt(curvature).
        if np.max(np.abs(step) * np.sqrt(curvature)) < 1e-9:
            break
    p = special.expit(mu + tau * u)
    return u, 1 / np.sqrt(tau ** 2 * totals * p * (1 - p) + 1)


def study_log_likelihoods(events, totals, mu, tau):
    """Log of each study's likelihood with its random effect integrated out,
    log of the integral of Bin(x_i | n_i, expit(mu + tau u)) phi(u) du, by adaptive Gauss-Hermite
    quadrature (:data:`QUADRATURE_POINTS` nodes centred and scaled at the integrand's mode).
    ``mu`` and ``tau`` broadcast against each other; the study is the last axis of the result."""
    events = np.asarray(events, dtype=float)
    totals = np.asarray(totals, dtype=float)
    mu = np.asarray(mu, dtype=float)[..., None]
    tau = np.asarray(tau, dtype=float)[..., None]
    # Newton starts from the normal approximation: the study's escalc log odds y_i (variance v_i)
    # combined with N(mu, tau^2) puts theta at mu + tau^2 (y_i - mu) / (v_i + tau^2).
    yi, vi = logit_effect_sizes(events, totals)
    mode, scale = _random_effect_modes(events, totals, mu, tau, tau * (yi - mu) / (vi + tau ** 2))
    u = mode[..., None] + scale[..., None] * _NODES
    log_integrand = (_log_binomial(events[:, None], totals[:, None], mu[..., None] + tau[..., None] * u)
                     - u ** 2 / 2 + _LOG_WEIGHTS)
    peak = log_integrand.max(axis=-1)
    return peak + np.log(np.exp(log_integrand - peak[..., None]).sum(axis=-1)) + np.log(scale)


class BinomialNormalPosterior(_Posterior):
    """Posterior of the binomial-normal model on a grid of (log tau, mu).

    tau runs over a uniform grid of log tau up to :data:`HALF_NORMAL_REACH` prior scales. For
    each tau, mu runs over a uniform grid of its own, from ``low`` to ``high``: where the
    conditional posterior of mu given tau is not negligible. The first guess is the
    inverse-variance pool of the escalc log odds; each pass then trims or widens each range to
    where the density is, and the number of points doubles until every other point gives the
    same integrals (a skewed posterior, as with no events, falls off much faster on one side).
    Integrals are trapezoid sums on these grids; the conditional CDFs of mu are cubic splines of
    the conditional densities, integrated exactly.
    """

    def __init__(self, events, totals, prior_scale: float, mean_prior_sd: float = MEAN_PRIOR_SD):
        self.events = np.asarray(events, dtype=float)
        self.totals = np.asarray(totals, dtype=float)
        if self.events.ndim != 1 or self.events.shape != self.totals.shape or len(self.events) == 0:
            raise ValueError("one event count and one total per study, at least one study")
        if np.any(self.events < 0) or np.any(self.events > self.totals) or np.any(self.totals <= 0):
            raise ValueError("every study needs 0 <= events <= total and total > 0")
        self.prior_scale = _check_scale(prior_scale)
        self.mean_prior_sd = float(mean_prior_sd)
        log_tau = (math.log(HALF_NORMAL_REACH * self.prior_scale)
                   + np.linspace(-LOG_TAU_SPAN, 0.0, LOG_TAU_POINTS_BINOMIAL))
        tau = np.exp(log_tau)
        yi, vi = logit_effect_sizes(self.events, self.totals)
        precision = (1 / (vi[None, :] + tau[:, None] ** 2)).sum(axis=1) + 1 / self.mean_prior_sd ** 2
        centre = (yi[None, :] / (vi[None, :] + tau[:, None] ** 2)).sum(axis=1) / precision
        low, high = centre - MU_REACH / np.sqrt(precision), centre + MU_REACH / np.sqrt(precision)
        points = MU_POINTS_FIRST
        for _ in range(12):
            t = np.linspace(0.0, 1.0, points)
            log_joint = self._log_joint(low, high, t, tau, log_tau)
            row_peak = log_joint.max(axis=1, keepdims=True)
            density = np.exp(log_joint - row_peak)
            open_low, open_high = density[:, 0] >= END_DENSITY, density[:, -1] >= END_DENSITY
            width = high - low
            if open_low.any() or open_high.any():
                # Widen a side where the density has not yet fallen away.
                low, high = low - open_low * width / 2, high + open_high * width / 2
                continue
            # Where the density exceeds END_DENSITY / 1e4, one step more on either side: the
            # ends of that range fall below END_DENSITY.
            kept = density > END_DENSITY * 1e-4
            step = width / (points - 1)
            trimmed_low = low + np.maximum(np.argmax(kept, axis=1) - 1, 0) * step
            trimmed_high = high - np.maximum(np.argmax(kept[:, ::-1], axis=1) - 1, 0) * step
            if np.any(trimmed_high - trimmed_low < 0.75 * width) or points < MU_POINTS:
                low, high, points = trimmed_low, trimmed_high, max(points, MU_POINTS)
                continue
            # Resolved when every other point gives the same masses, weighted by the posterior
            # mass of each tau: that bounds the error of the marginal CDFs on every other point,
            # and the error on all of them is far smaller still (the trapezoid rule converges
            # geometrically for these smooth densities).
            mass = density.sum(axis=1) * np.exp(row_peak[:, 0] - row_peak.max())
            conditional = density / density.sum(axis=1, keepdims=True)
            if mass @ np.abs(2 * conditional[:, ::2].sum(axis=1) - 1) / mass.sum() < RESOLUTION:
                break
            points = 2 * points - 1
        else:
            raise ValueError("the posterior of mu given tau could not be located")
        self.low, self.high, self.t = low, high, t
        self.mu = low[:, None] + (high - low)[:, None] * t
        peak = log_joint.max()
        joint = np.exp(log_joint - peak)
        self.tau_grid = _TauGrid(log_tau, np.log(joint.sum(axis=1)) + peak)
        # Conditional density of mu given each tau, in the grid's coordinate t in [0, 1].
        self._conditional = joint / (joint.sum(axis=1, keepdims=True) * (t[1] - t[0]))
        cumulative = interpolate.CubicSpline(t, self._conditional, axis=1).antiderivative()
        self._cumulative_coefficients = cumulative.c  # shape (5, intervals, tau points)
        self._cumulative_start = cumulative(t[0])
        self._cumulative_total = cumulative(t[-1]) - self._cumulative_start
        conditional_mass = self._conditional * (t[1] - t[0])
        conditional_mean = (conditional_mass * self.mu).sum(axis=1)
        self._conditional_sd = np.sqrt((conditional_mass * (self.mu - conditional_mean[:, None]) ** 2).sum(axis=1))
        weights = self.tau_grid.weights
        self.mu_mean = float(weights @ conditional_mean)
        self.mu_sd = math.sqrt(float(weights @ (conditional_mass * self.mu ** 2).sum(axis=1)) - self.mu_mean ** 2)

    def _log_joint(self, low, high, t, tau, log_tau):
        """Log posterior density of (log tau, t), with mu = low + (high - low) t, up to a constant."""
        mu = low[:, None] + (high - low)[:, None] * t
        likelihood = study_log_likelihoods(self.events, self.totals, mu, tau[:, None]).sum(axis=-1)
        prior = (-mu ** 2 / (2 * self.mean_prior_sd ** 2)
                 + log_half_normal(tau, self.prior_scale)[:, None] + log_tau[:, None])
        return likelihood + prior + np.log(high - low)[:, None]

    def _conditional_cdf(self, mu: np.ndarray) -> np.ndarray:
        """CDF of mu given tau at points ``mu`` (one row of points per tau of the grid)."""
        t = self.t
        inside = np.clip((mu - self.low[:, None]) / (self.high - self.low)[:, None], 0.0, 1.0)
        interval = np.clip(np.searchsorted(t, inside, side="right") - 1, 0, len(t) - 2)
        offset = inside - t[interval]
        row = np.arange(len(self.tau_grid.tau))[:, None]
        value = np.zeros_like(offset)
        for order in range(self._cumulative_coefficients.shape[0]):
            value = value * offset + self._cumulative_coefficients[order][interval, row]
        cdf = (value - self._cumulative_start[:, None]) / self._cumulative_total[:, None]
        return np.clip(cdf, 0.0, 1.0)

    def mu_cdf(self, x: float) -> float:
        """Marginal posterior CDF of mu."""
        points = np.full((len(self.low), 1), float(x))
        return float(self.tau_grid.weights @ self._conditional_cdf(points)[:, 0])

    def theta_cdf(self, x: float) -> float:
        """Posterior predictive CDF of a new study's theta = mu + tau Z.

        Where tau is wider than the posterior of mu given tau, P(theta <= x | tau) is the
        integral of Phi((x - mu) / tau) over mu's grid, smooth on it; where it is narrower,
        Phi would be nearly a step on that grid, so the mean over Z of the conditional CDF of mu
        at x - tau Z is taken instead by Gauss-Hermite, smooth in Z."""
        tau = self.tau_grid.tau
        wide = tau >= self._conditional_sd
        given_tau = np.empty_like(tau)
        step = self.t[1] - self.t[0]
        given_tau[wide] = (self._conditional[wide] * step
                           * special.ndtr((x - self.mu[wide]) / tau[wide, None])).sum(axis=1)
        narrow = ~wide
        if narrow.any():
            points = x - tau[:, None] * _SMOOTHING_NODES
            given_tau[narrow] = (self._conditional_cdf(points)[narrow] @ _SMOOTHING_WEIGHTS)
        return float(self.tau_grid.weights @ given_tau)

    def _bracket(self) -> tuple[float, float]:
        return float(self.low.min()), float(self.high.max())


def binomial_normal_posterior(events, totals, prior_scale: float,
                              mean_prior_sd: float = MEAN_PRIOR_SD) -> BinomialNormalPosterior:
    """Posterior of the binomial-normal model (see :func:`binomial_normal`)."""
    return BinomialNormalPosterior(events, totals, prior_scale, mean_prior_sd)


def _binomial_key(events, totals, prior_scale: float, mean_prior_sd: float = MEAN_PRIOR_SD, level: float = 95.0,
                  labels: tuple[str, ...] = ()) -> bytes:
    return by_value(np.asarray(events, dtype=float).tolist(), np.asarray(totals, dtype=float).tolist(),
                    float(prior_scale), float(mean_prior_sd), float(level), tuple(labels))


@memoised(_binomial_key)
def binomial_normal(events, totals, prior_scale: float, mean_prior_sd: float = MEAN_PRIOR_SD, level: float = 95.0,
                    labels: tuple[str, ...] = ()) -> PooledEstimate:
    """Bayesian random-effects pool of proportions on the log-odds scale: the binomial-normal
    model with a half-normal(``prior_scale``) prior on tau and a N(0, ``mean_prior_sd``^2) prior
    on mu (see the module docstring for the fields; ``.as_proportion()`` gives rates).

    Studies with no events or only events need no correction; I^2 uses the escalc variances
    (1/2 added to such a study's cells), as the frequentist pools do.
    """
    posterior = BinomialNormalPosterior(events, totals, prior_scale, mean_prior_sd)
    _, vi = logit_effect_sizes(posterior.events, posterior.totals)
    return posterior.pooled(model_label(BINOMIAL_NORMAL, prior_scale), vi, level, labels)


# ---------------------------------------------------------------------------- summaries for pages

def tau_posterior_summary(pool, *columns, prior_scale: float, level: float = TAU_SUMMARY_LEVEL,
                          **options) -> TauSummary:
    """Posterior median of tau and its equal-tailed ``level``% interval for the data a pool takes:
    ``pool`` is :func:`normal_normal` (columns yi, vi) or :func:`binomial_normal` (columns
    events, totals; ``mean_prior_sd`` may be given)."""
    if pool is normal_normal:
        if options:
            raise TypeError(f"the normal-normal model takes no {', '.join(options)}")
        posterior = _normal_posterior(*columns, prior_scale)
    elif pool is binomial_normal:
        posterior = BinomialNormalPosterior(*columns, prior_scale, **options)
    else:
        raise ValueError("tau_posterior_summary takes normal_normal or binomial_normal")
    return posterior.tau_summary(level)


def prior_sensitivity(pool, *columns, scales, **options) -> list[tuple[float, PooledEstimate]]:
    """``pool`` (:func:`normal_normal` or :func:`binomial_normal`) refitted with each half-normal
    scale in ``scales``: [(scale, estimate), ...]."""
    return [(float(scale), pool(*columns, scale, **options)) for scale in scales]
