"""The trustworthiness chapter's functions: audit overview, integrity decisions and the
examples chosen by decision on the real data and the fixture."""

from livingreview import paths
from livingreview.curated.integrity import EXCLUDE, SENSITIVITY_ONLY
from livingreview.teaching import trustworthiness as tw

from ..conftest import VALID_DATA


def test_real_data_examples_are_chosen_by_decision():
    studies, findings, checks = tw.load_data(paths.DATA_DIR)
    excluded = tw.first_with_decision(studies, EXCLUDE)
    flagged = tw.first_with_decision(studies, SENSITIVITY_ONLY)
    assert excluded.study_id == "carter2022"
    assert flagged.study_id == "zzu_anlotinib_pd1"
    # The audit finds carter2022's impossible dates on its own: received and accepted before the cut-off.
    dates = tw.audit_mismatches(findings, excluded, "dates")
    assert len(dates) == 2 and all("precedes data cut-off (2025-05-31)" in d for d in dates["detail"])
    assert {"Dates consistent", "Duplicate publication"} <= set(tw.concerns(excluded, checks)["check"])
    assert list(tw.concerns(flagged, checks)["check"]) == ["Internal consistency"]
    assert len(tw.audit_mismatches(findings, flagged, "ratio_p_value")) > 0
    sets = tw.analysis_sets(studies).set_index("study_id")
    assert sets.loc["carter2022", "main analyses"] == "no"
    # 'Sensitivity analyses only': out of the main analyses, back in the sensitivity analysis.
    assert (sets.loc["zzu_anlotinib_pd1", "main analyses"], sets.loc["zzu_anlotinib_pd1", "sensitivity analyses"]) == ("no", "yes")


def test_overview_counts_add_up():
    studies, findings, checks = tw.load_data(paths.DATA_DIR)
    overview = tw.audit_overview(findings, studies)
    assert (overview["ok"] + overview["mismatch"] + overview["info"] == overview["checks"]).all()
    assert overview["checks"].sum() == len(findings)
    by_rule = tw.mismatches_by_rule(findings)
    assert by_rule.drop(columns=["rule", "checks"]).to_numpy().sum() == (findings["verdict"] == "mismatch").sum()
    ranking = tw.mismatch_ranking(findings, studies)
    assert ranking["mismatches per 100 checks"].is_monotonic_decreasing
    facts = tw.facts(studies, findings, checks)
    assert facts["tw_excluded"] == "Carter 2022" and facts["tw_flagged"] == "Zhengzhou cohort"
    assert facts["tw_n_screened"] == len(studies)


def test_fixture_without_screens_says_so():
    studies, findings, checks = tw.load_data(VALID_DATA)
    assert tw.first_with_decision(studies, EXCLUDE) is None
    assert tw.concerns(None, checks).empty and tw.audit_mismatches(findings, None).empty
    facts = tw.facts(studies, findings, checks)
    assert facts["tw_n_screened"] == 0
    assert facts["tw_excluded"] == "no study in the current data"
    assert facts["tw_ex_reason"] == "no study is excluded in the current data"
    assert tw.analysis_sets(studies)["decision"].tolist() == ["not screened"]
