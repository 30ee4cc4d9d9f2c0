"""The review's regimen rules are applied once, by the analysis model, and every finding obeys
them: a trial of the intervention alone enters no finding while review.yaml keeps monotherapy
apart from combinations, and enters the rows the rule allows when it does not; a placebo control
is named placebo."""

from __future__ import annotations

import shutil

import pytest

from livingreview.pages.chapters.summary_of_findings import SummaryOfFindingsChapter

from ..conftest import FIXTURES

MONOTHERAPY_TRIAL = FIXTURES / "new_study" / "rct2027"


def _review_with_monotherapy_trial(data_copy, combine: bool | None) -> SummaryOfFindingsChapter:
    """The fixture review with the placebo-controlled trial of the intervention alone moved into
    the setting of its combination study, and the pooling rule set to ``combine`` (None: unset)."""
    target = data_copy / "studies" / MONOTHERAPY_TRIAL.name
    shutil.copytree(MONOTHERAPY_TRIAL, target)
    meta = target / "study.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("setting_group: later_line_advanced",
                                                             "setting_group: first_line_advanced"), encoding="utf-8")
    if combine is not None:
        review = data_copy / "review.yaml"
        review.write_text(review.read_text(encoding="utf-8") + f"pooling:\n  combine_monotherapy: {str(combine).lower()}\n",
                          encoding="utf-8")
    return SummaryOfFindingsChapter.load(data_copy)


def _studies_in_findings(setting) -> set[str]:
    return {value.study_id for finding in setting.findings for value in finding.studies}


@pytest.mark.parametrize("combine", [False, None], ids=["false", "unset"])
def test_a_monotherapy_trial_enters_no_finding_while_the_review_keeps_it_apart(data_copy, combine):
    chapter = _review_with_monotherapy_trial(data_copy, combine)
    setting = chapter.findings.setting("first_line_advanced")
    assert "rct2027" in setting.main_studies  # in the main analyses: its own page shows it
    assert _studies_in_findings(setting) == {"doe2024"}
    assert not setting.comparison_findings and not setting.comparisons
    assert setting.kept_apart == ["Rct 2027"]
    sentence = chapter.findings.summary_sentence(setting)
    assert "Rct 2027 gives examplinib alone, which the review keeps apart from its combinations" in sentence
    for finding in setting.findings:  # no row sets a monotherapy value beside a combination
        assert len(finding.studies) <= 1, finding.outcome
        assert "Rct 2027" not in finding.result and "Rct 2027" not in finding.sentence


def test_a_monotherapy_trial_enters_the_rows_the_rule_allows_when_the_review_combines_them(data_copy):
    chapter = _review_with_monotherapy_trial(data_copy, True)
    setting = chapter.findings.setting("first_line_advanced")
    assert _studies_in_findings(setting) == {"doe2024", "rct2027"} and not setting.kept_apart
    orr = next(f for f in setting.findings if f.outcome == "ORR")
    assert [v.study_id for v in orr.studies] == ["doe2024", "rct2027"] and orr.pooled and orr.bayesian
    # Its comparison is its own: the intervention alone against placebo, named as such.
    assert [(i, c, s) for i, c, s, _ in setting.comparisons] == [("examplinib", "placebo", "Rct 2027")]
    assert {v.study_id for f in setting.comparison_findings for v in f.studies} == {"rct2027"}
    assert "no treatment" not in setting.comparison


def test_the_design_control_names_a_control_arm_without_partner_treatment():
    from livingreview.analysis.model import regimen_label

    arm = {"receives_intervention": False, "partners": []}
    assert regimen_label(arm, "examplinib", "placebo") == "placebo"
    assert regimen_label(arm, "examplinib", "best_supportive_care") == "best supportive care"
    assert regimen_label(arm, "examplinib") == "no treatment"
    assert regimen_label({"receives_intervention": False, "partners": ["chemotherapy"]}, "examplinib",
                         "placebo") == "chemotherapy"
