"""Every derived row of the results table names the analysis it comes from, and one analysis has
one value for each statistic wherever a page reports it (the response and safety chapters, the
sensitivity tables, the summary of findings, the certainty table)."""

from __future__ import annotations

import pandas as pd
import pytest

from livingreview import paths
from livingreview.analysis.records import analysis_id
from livingreview.pages.chapters.bias import BiasChapter
from livingreview.pages.chapters.response import ResponseChapter
from livingreview.pages.chapters.safety import SafetyChapter
from livingreview.pages.chapters.summary_of_findings import SummaryOfFindingsChapter
from livingreview.pages.chapters.survival import SurvivalChapter
from livingreview.results.table import RESULT_COLUMNS, combine_results

CHAPTERS = [(ResponseChapter, "write_response_results"), (SafetyChapter, "write_safety_results"),
            (BiasChapter, "write_bias_results"), (SummaryOfFindingsChapter, "write_sof_results"),
            (SurvivalChapter, "write_survival_results")]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("results")
    for chapter, write in CHAPTERS:
        getattr(chapter.load(paths.DATA_DIR), write)(folder / f"{chapter.__name__}.csv")
    return combine_results(sorted(folder.glob("*.csv")))


def test_ids_are_stable_and_readable():
    assert analysis_id("ORR", "first_line_advanced") == "orr.first_line_advanced.main"
    assert analysis_id("grade ≥3 adverse events", "all_settings", "sensitivity") == "grade3.all_settings.sensitivity"
    assert analysis_id("PFS hazard ratio", "first_line_advanced") == "pfs-hazard-ratio.first_line_advanced.main"
    assert (analysis_id("ORR", "later_line_advanced", "main", "without zhu2025", "")
            == "orr.later_line_advanced.main.without-zhu2025")


def test_every_pooled_row_names_its_analysis(results):
    assert list(results.columns) == RESULT_COLUMNS
    pooled = results[results["statistic"].str.startswith("pooled") | results["statistic"].eq(
        "certainty_level") | results["statistic"].str.startswith("per_1000")]
    assert not pooled.empty and pooled["analysis_id"].ne("").all()


def test_one_analysis_has_one_value_for_each_statistic(results):
    named = results[results["analysis_id"] != ""]
    values = named.groupby(["analysis_id", "statistic"])[["estimate", "ci_low", "ci_high"]].nunique(dropna=False)
    assert (values <= 1).all().all(), values[(values > 1).any(axis=1)]
    # The same analysis reported by several pages: the first-line ORR by the response chapter, the
    # sensitivity tables and the summary of findings; the all-settings pools by two chapters.
    shared = named.groupby("analysis_id")["scope"].nunique()
    assert shared.get("orr.first_line_advanced.main", 0) >= 3
    assert shared.get("grade3.first_line_advanced.main", 0) >= 3


def test_the_summary_of_findings_rate_is_the_chapter_pool(results):
    later = results[(results["analysis_id"] == "orr.all_settings.main") & (results["statistic"] == "pooled_percent")]
    assert set(later["scope"]) == {"synthesis/response", "synthesis/bias_integrity_certainty"}
    assert later["estimate"].nunique() == 1
