"""Rates of 0% and 100%: every pool says what it could estimate, and the build never fails."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from livingreview.build.book import build_book

from .book_fixture import SECOND_STUDY, article, built_copy, page_text

pytestmark = pytest.mark.slow


def _all_or_nothing(data: Path, study: str) -> None:
    """Every patient of ``study`` has stable disease: objective response 0 of 38, disease
    control 38 of 38."""
    outcomes = data / "studies" / study / "outcomes.csv"
    with outcomes.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    values = {"CR": ("0", "0.0"), "PR": ("0", "0.0"), "SD": ("38", "100.0"), "PD": ("0", "0.0"),
              "ORR": ("0", "0.0")}
    for row in rows:
        if row["endpoint"] in values:
            row["count"], row["estimate"] = values[row["endpoint"]]
            row["ci_low"] = row["ci_high"] = row["ci_method_stated"] = row["ci_level"] = ""
    disease_control = next(dict(row) for row in rows if row["endpoint"] == "ORR")
    disease_control.update(endpoint="DCR", count="38", estimate="100.0", quote="disease control rate was 100%")
    rows.append(disease_control)
    with outcomes.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_rates_of_0_and_100_percent_build_and_each_pool_says_what_it_could_estimate(book, tmp_path):
    data, build = built_copy(book, tmp_path)
    response = build / "html/synthesis/response.html"
    # A third study, so that the setting has the frequentist pools beside its Bayesian one.
    third = data / "studies/moe2025"
    shutil.copytree(data / "studies" / SECOND_STUDY, third)
    meta = third / "study.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(f"study_id: {SECOND_STUDY}", "study_id: moe2025"),
                    encoding="utf-8")

    # One study at 0% and 100% beside two that are not: every model pools them.
    _all_or_nothing(data, "doe2024")
    build_book(data, build, jobs=2, log=lambda *_: None)
    page = article(response)
    assert "0/38" in page and "38/38" in page
    assert "0.0 (0.0–9.3)" in page and "100.0 (90.7–100.0)" in page  # exact CIs of 0/38 and 38/38
    assert "Binomial-normal GLMM" in page and "Bayesian binomial-normal" in page and "not pooled:" not in page
    # DCR: only the fixture's first study reports it, stated as the analysis model states it.
    assert "100.0% (95% CI 90.7–100.0; 1 study, 38 patients" in page_text(response)

    # Every study at 0% (and at 100%): the GLMM has no finite estimate, and the page says so
    # beside the continuity-corrected inverse-variance pool and the Bayesian pool (its priors
    # keep the posterior proper), which still exist.
    _all_or_nothing(data, SECOND_STUDY)
    _all_or_nothing(data, "moe2025")
    build_book(data, build, jobs=2, log=lambda *_: None)
    page = article(response)
    assert "not pooled: no study has an event" in page
    assert "not pooled: every patient in every study had the event" in page
    assert "Inverse variance, REML, Hartung-Knapp" in page and "1.3 (" in page  # 1/2 added to each 0/38
    assert "Bayesian binomial-normal" in page and "(CrI " in page
    results = (build / "results/results.csv").read_text(encoding="utf-8")
    assert "not pooled: no study has an event" in results
