"""Unit tests of what the pages compute and show: response rates, AE rates, results table,
HTML escaping, bibliography, risk-of-bias tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from livingreview.build.bibliography import bibtex_escape, study_entry
from livingreview.curated.studies import load_study, load_vocabulary
from livingreview.pages.display import GlueText, Link, doi_link, table_html
from livingreview.statistics.response import response_rates
from livingreview.results.table import RESULT_COLUMNS, combine_results, study_results, write_results
from livingreview.curated.risk_of_bias import domain_table, load_judgement, load_tools, total_score
from livingreview.statistics.safety import GRADE_3_PLUS, ANY_GRADE, ae_rates
from livingreview.pages.study.page import StudyPage

from ..conftest import FIXTURE_STUDY, VALID_DATA, append_row

# Exact (Clopper-Pearson) limits are quantiles of beta distributions; computed here from
# their definition, independently of statsmodels, they must agree to floating precision.
EXACT_TOLERANCE = 1e-9


def _study(data=VALID_DATA):
    return load_study(data / FIXTURE_STUDY)


def test_response_rates_recompute_percent_and_exact_ci():
    rates = response_rates(_study())
    orr = rates[rates["endpoint"] == "ORR"].iloc[0]
    assert (orr["count"], orr["denominator"]) == (26, 38)
    assert orr["percent"] == pytest.approx(100 * 26 / 38)
    low = 100 * stats.beta.ppf(0.025, 26, 38 - 26 + 1)
    high = 100 * stats.beta.ppf(0.975, 26 + 1, 38 - 26)
    assert orr["exact_low"] == pytest.approx(low, abs=EXACT_TOLERANCE)
    assert orr["exact_high"] == pytest.approx(high, abs=EXACT_TOLERANCE)
    assert orr["printed_ci"] == "51.3–82.5"
    assert "Clopper-Pearson" in orr["reproduced_by"]


def test_response_count_implied_by_a_printed_percentage(data_copy):
    append_row(data_copy, "outcomes.csv", {
        "arm": "examplinib_chemo", "population": "efficacy", "endpoint": "DCR", "measure": "proportion",
        "denominator": "38", "estimate": "92.1", "unit": "percent", "source_type": "body",
        "source": "Results", "quote": "DCR was 92.1%"})
    rates = response_rates(_study(data_copy))
    dcr = rates[rates["endpoint"] == "DCR"].iloc[0]
    assert dcr["count"] == 35 and dcr["count_origin"] == "implied"


def test_ae_rates_take_grade_3_plus_from_separate_grades_and_prefer_tables(data_copy):
    rows = [
        {"grade": "3", "count": "4", "percent": "10.0", "source_type": "table"},
        {"grade": "4", "count": "1", "percent": "2.5", "source_type": "table"},
        {"grade": "3", "count": "9", "percent": "22.5", "source_type": "abstract"},
    ]
    for row in rows:
        append_row(data_copy, "adverse_events.csv", {
            "arm": "examplinib_chemo", "population": "enrolled", "category": "TEAE",
            "term": "Hypertension", "denominator": "40", "source": "Table 3", "quote": "Hypertension",
            **row})
    rates = ae_rates(_study(data_copy), load_vocabulary(data_dir=data_copy))
    hypertension = rates[rates["term"] == "Hypertension"].set_index("band")
    assert hypertension.loc[GRADE_3_PLUS, "count"] == 5  # table grade 3 + grade 4, not the abstract
    assert hypertension.loc[GRADE_3_PLUS, "basis"] == "sum of grades 3 + 4"
    assert hypertension.loc[ANY_GRADE, "percent"] == pytest.approx(25.0)


def test_results_rows_have_the_documented_columns_and_write_reproducibly(tmp_path):
    study = _study()
    results = study_results(study, load_vocabulary(data_dir=VALID_DATA))
    assert list(results.columns) == RESULT_COLUMNS
    assert set(results["scope"]) == {"doe2024"}
    orr = results[(results["endpoint"] == "ORR") & results["method"].str.startswith("clopper_pearson")]
    assert orr["printed"].iloc[0] == "68.4"
    write_results(results, tmp_path / "a.csv")
    write_results(results, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    combined = combine_results([tmp_path / "a.csv"])
    assert len(combined) == len(results)


def test_tables_escape_text_and_links():
    frame = pd.DataFrame({"text": ["<script>alert(1)</script>"],
                          "link": [Link("a<b", 'x" onmouseover="y', 'q"<')]})
    rendered = table_html(frame)
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered
    assert 'x&quot; onmouseover=&quot;y' in rendered and "a&lt;b" in rendered
    assert repr(GlueText("a 'b'")) == "a 'b'"
    assert doi_link("10.1/x y").href == "https://doi.org/10.1/x%20y"
    assert doi_link("") == ""


def test_bibtex_escapes_special_characters():
    assert bibtex_escape("50% & {x}_y #1") == r"50\% \& \{x\}\_y \#1"
    entry = study_entry(_study())
    assert entry.startswith("@article{doe2024,") and "author = {{Doe J} and {Roe R}}" in entry


def test_risk_of_bias_table_and_minors_score():
    tools = load_tools(VALID_DATA)
    judgement = load_judgement(VALID_DATA / FIXTURE_STUDY)
    table = domain_table(judgement, tools)
    assert list(table["domain"])[-1] == "Overall" and len(table) == len(tools["minors"]["domains"]) + 1
    assert total_score(judgement, tools) == (12, 16)


def test_study_page_facts_are_glued_values(tmp_path):
    page = StudyPage.load("doe2024", VALID_DATA)
    facts = page.facts()
    assert facts["orr_intervention"].startswith("68.4% (26 of 38, efficacy-evaluable patients, the study's main analysis "
                                             "population; exact 95% CI 51.3–82.5)")
    assert facts["rob_tool"] == "MINORS (non-comparative items)"
    assert facts["rob_overall"].endswith("(item score 12 of 16)")
    assert facts["n_patients"] == 40
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in facts.values())


def test_a_study_with_no_outcome_rows_says_so_first(data_copy):
    from livingreview.validation.data_folder import data_warnings

    outcomes = data_copy / "studies/doe2024/outcomes.csv"
    outcomes.write_text(outcomes.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    message = StudyPage.load("doe2024", data_copy).first_screen.key_message().data
    assert "No outcome data: this study&#x27;s outcomes table has no rows yet" in message
    (warning,) = data_warnings(data_copy)
    assert "outcomes.csv has no rows: Doe 2024 (doe2024) is left out of" in warning
