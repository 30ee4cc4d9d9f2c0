"""Confidence intervals for a single proportion, by the methods papers name, and which of
those methods reproduce a printed interval.

A thin layer over :func:`statsmodels.stats.proportion.proportion_confint`, with the method
names used in the data dictionary.
"""

from __future__ import annotations

from ..curated.printed import matches_printed

# Data-dictionary method name -> statsmodels method name.
PROPORTION_CI_METHODS = {
    "clopper_pearson": "beta",
    "wilson": "wilson",
    "wald": "normal",
    "agresti_coull": "agresti_coull",
    "jeffreys": "jeffreys",
}
# Names papers use for one of the methods above. "Newcombe-Wilson" names the Wilson score
# interval (Newcombe 1998 recommends it for a single proportion).
METHOD_ALIASES = {"newcombe_wilson": "wilson"}

METHOD_LABELS = {
    "clopper_pearson": "Clopper-Pearson (exact)",
    "wilson": "Wilson score",
    "wald": "Wald",
    "agresti_coull": "Agresti-Coull",
    "jeffreys": "Jeffreys",
    "newcombe_wilson": "Newcombe-Wilson (score)",
    "brookmeyer_crowley": "Brookmeyer-Crowley",
    "not_stated": "not stated",
}


def proportion_ci(count: int, n: int, method: str = "clopper_pearson", level: float = 95.0) -> tuple[float, float]:
    """CI of count/n in percent, by a data-dictionary method name."""
    # Imported here: the build imports this module's names, and statsmodels takes half a second.
    from statsmodels.stats.proportion import proportion_confint

    method = METHOD_ALIASES.get(method, method)
    low, high = proportion_confint(count, n, alpha=1 - level / 100, method=PROPORTION_CI_METHODS[method])
    return 100 * max(low, 0.0), 100 * min(high, 1.0)


def reproducing_methods(count: int, n: int, ci_low: str, ci_high: str, level: float = 95.0) -> list[str]:
    """Proportion-CI methods whose interval rounds to the printed limits."""
    found = []
    for method in PROPORTION_CI_METHODS:
        low, high = proportion_ci(count, n, method, level)
        if matches_printed(low, ci_low) and matches_printed(high, ci_high):
            found.append(method)
    return found
