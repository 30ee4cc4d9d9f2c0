"""The audit's findings for the five papers, each asserted.

Every finding that is not ``ok`` is listed here with where it stands (study, table, data
row) and what it says. The list was reviewed against the papers: each entry is a real
inconsistency of the paper (mismatch) or a fact worth showing (info), never an extraction
error. A change to the data or to an audit rule that adds, removes or alters a finding fails
here, so it is reviewed rather than slipping through.

What the papers' mismatches are, in brief:
- carter2022: the data cut-off (31 May 2025) is after the paper was received and accepted
  (2021-2022); an ORR of 86.7% that no count out of 68 gives (59/68 = 86.8%); a multivariable
  HR of 2.023 printed with the CI 2.258-3.253 that excludes it; a Cox p-value of 0.039 where
  the CI implies 0.046.
- li2022: "36 (78.3%) patients with responses" beside an ORR of 35/46 (4 CR + 31 PR); "of the 42
  patients with evaluable imaging, 41 (89.1%)" where 89.1% is 41/46.
- xu2025: the ORR CIs are exact (Clopper-Pearson), not the stated Newcombe-Wilson; the DoR
  HR 0.37 (0.15-0.91) is printed with p = 0.009 where its CI implies about 0.03.
- zzu_anlotinib_pd1: ORR 21.8% and DCR 73.6% printed for the 82 evaluable patients are rates
  of 87; three Table 3 percentages that do not follow from count/87; the 12-month OS, the
  12-month PFS and the DoR CI differ between abstract, results and discussion; none of the
  Table 2 Cox rows has a p-value that fits its CI, and most HRs are off the centre of their CI.
"""

import pytest

from livingreview.audit import OK, audit_data_dir

# (study_id, table, row, rule, verdict, a phrase of the detail)
EXPECTED_FINDINGS = [
    # carter2022
    ('carter2022', 'baseline', '127;128;129', 'baseline_sum', 'info', 'levels add up to 74 of 291: they overlap or are not all printed (no pe'),
    ('carter2022', 'baseline', '146;147;148', 'baseline_sum', 'info', 'levels add up to 422 of 291: they overlap or are not all printed (no p'),
    ('carter2022', 'baseline', '133;134;135', 'baseline_sum', 'info', 'levels add up to 243 of 291: they overlap or are not all printed (no p'),
    ('carter2022', 'baseline', '60;64;68', 'baseline_sum', 'info', 'levels add up to 16 of 68: they overlap or are not all printed (no per'),
    ('carter2022', 'baseline', '58;62;66', 'baseline_sum', 'info', 'levels add up to 54 of 215: they overlap or are not all printed (no pe'),
    ('carter2022', 'baseline', '59;63;67', 'baseline_sum', 'info', 'levels add up to 17 of 68: they overlap or are not all printed (no per'),
    ('carter2022', 'baseline', '155;156;157;158', 'baseline_sum', 'info', 'levels add up to 12 of 76: they overlap or are not all printed (no per'),
    ('carter2022', 'baseline', '57;61;65', 'baseline_sum', 'info', 'levels add up to 20 of 76: they overlap or are not all printed (no per'),
    ('carter2022', 'study', 'study.yaml', 'dates', 'mismatch', 'received (2021-11-04) precedes data cut-off (2025-05-31)'),
    ('carter2022', 'study', 'study.yaml', 'dates', 'mismatch', 'accepted (2022-01-26) precedes data cut-off (2025-05-31)'),
    ('carter2022', 'subgroups', '12', 'implausible_value', 'mismatch', "printed values break 'ci_low <= estimate <= ci_high' (verified as prin"),
    ('carter2022', 'outcomes', '34', 'percent', 'mismatch', '59/68 is 86.8%, not 86.7%'),
    ('carter2022', 'outcomes', '3', 'percent_attainable', 'mismatch', 'no whole count out of 68 gives 86.7%'),
    ('carter2022', 'outcomes', '38', 'percent_attainable', 'mismatch', 'no whole count out of 68 gives 86.7%'),
    ('carter2022', 'outcomes', '65', 'percent_attainable', 'mismatch', 'no whole count out of 68 gives 86.7%'),
    ('carter2022', 'outcomes', '67', 'percent_attainable', 'mismatch', 'no whole count out of 68 gives 86.7%'),
    ('carter2022', 'subgroups', '12', 'ratio_ci_symmetry', 'mismatch', '2.023 is not the geometric centre of 2.258-3.253 (expected 2.71-2.71)'),
    ('carter2022', 'subgroups', '12', 'ratio_p_value', 'mismatch', 'the CI implies p between 3.6e-14 and 4.2e-14, but p 0.004 is printed'),
    ('carter2022', 'subgroups', '17', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.046 and 0.047, but p 0.039 is printed'),
    # li2022
    ('li2022', 'baseline', '23;24;25', 'baseline_sum', 'info', 'levels add up to 63 of 46: they overlap or are not all printed (no per'),
    ('li2022', 'baseline', '11;12;13;14', 'baseline_sum', 'info', 'levels add up to 74 of 46: they overlap or are not all printed (no per'),
    ('li2022', 'outcomes', '3;19;24;31;35;38', 'cross_location', 'mismatch', 'count: 35 (Results, Efficacy paragraph 2) vs 36 (Results, Efficacy par'),
    ('li2022', 'outcomes', '53', 'percent', 'mismatch', '41/42 is 97.6%, not 89.1%'),
    ('li2022', 'outcomes', '24', 'response_components', 'mismatch', 'ORR count 36 differs from CR + PR = 35'),
    ('li2022', 'outcomes', '20;21;22', 'response_sum', 'info', 'categories printed here add up to 42 of 46'),
    # xu2025
    ('xu2025', 'outcomes', '12', 'ci_method', 'mismatch', 'stated Newcombe-Wilson (score) does not reproduce the CI'),
    ('xu2025', 'outcomes', '13', 'ci_method', 'mismatch', 'stated Newcombe-Wilson (score) does not reproduce the CI'),
    ('xu2025', 'outcomes', '27', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.025 and 0.037, but p 0.009 is printed'),
    # zzu_anlotinib_pd1
    ('zzu_anlotinib_pd1', 'baseline', '15;16;17;18', 'baseline_sum', 'info', 'levels add up to 186 of 87: they overlap or are not all printed (no pe'),
    ('zzu_anlotinib_pd1', 'outcomes', '6', 'ci_method', 'info', 'no method stated'),
    ('zzu_anlotinib_pd1', 'outcomes', '7', 'ci_method', 'info', 'no method stated'),
    ('zzu_anlotinib_pd1', 'outcomes', '14', 'ci_method', 'mismatch', 'no method stated'),
    ('zzu_anlotinib_pd1', 'outcomes', '11;28;34;45', 'cross_location', 'mismatch', 'estimate: 49.0 (Abstract) vs 49.0 (Results, Survival Outcomes paragrap'),
    ('zzu_anlotinib_pd1', 'outcomes', '25;26;31;44', 'cross_location', 'mismatch', 'estimate: 28.6 (Results, Survival Outcomes paragraph 1) vs 21.8 (Resul'),
    ('zzu_anlotinib_pd1', 'outcomes', '8;18;20', 'cross_location', 'mismatch', 'ci_low: 2.3 (Abstract) vs 3.4 (Results, Tumor Response paragraph 2) vs'),
    ('zzu_anlotinib_pd1', 'adverse_events', '36', 'percent', 'mismatch', '33/87 is 37.9%, not 38.0%'),
    ('zzu_anlotinib_pd1', 'adverse_events', '42', 'percent', 'mismatch', '35/87 is 40.2%, not 40.3%'),
    ('zzu_anlotinib_pd1', 'adverse_events', '61', 'percent', 'mismatch', '1/87 is 1.1%, not 1.2%'),
    ('zzu_anlotinib_pd1', 'outcomes', '14', 'percent', 'mismatch', '19/82 is 23.2%, not 21.8%'),
    ('zzu_anlotinib_pd1', 'adverse_events', '29', 'percent_attainable', 'mismatch', 'no whole count out of 87 gives 1.2%'),
    ('zzu_anlotinib_pd1', 'outcomes', '16', 'percent_attainable', 'mismatch', 'no whole count out of 82 gives 73.6%'),
    ('zzu_anlotinib_pd1', 'subgroups', '3', 'ratio_ci_symmetry', 'mismatch', '1.09 is not the geometric centre of 0.89-1.23 (expected 1.04-1.05)'),
    ('zzu_anlotinib_pd1', 'subgroups', '6', 'ratio_ci_symmetry', 'mismatch', '1.11 is not the geometric centre of 0.78-1.45 (expected 1.06-1.07)'),
    ('zzu_anlotinib_pd1', 'subgroups', '9', 'ratio_ci_symmetry', 'mismatch', '0.63 is not the geometric centre of 0.26-0.85 (expected 0.46-0.48)'),
    ('zzu_anlotinib_pd1', 'subgroups', '10', 'ratio_ci_symmetry', 'mismatch', '0.65 is not the geometric centre of 0.31-0.89 (expected 0.52-0.53)'),
    ('zzu_anlotinib_pd1', 'subgroups', '14', 'ratio_ci_symmetry', 'mismatch', '1.03 is not the geometric centre of 0.77-1.92 (expected 1.21-1.22)'),
    ('zzu_anlotinib_pd1', 'subgroups', '17', 'ratio_ci_symmetry', 'mismatch', '0.93 is not the geometric centre of 0.55-1.47 (expected 0.89-0.90)'),
    ('zzu_anlotinib_pd1', 'subgroups', '20', 'ratio_ci_symmetry', 'mismatch', '0.91 is not the geometric centre of 0.44-1.12 (expected 0.70-0.71)'),
    ('zzu_anlotinib_pd1', 'subgroups', '23', 'ratio_ci_symmetry', 'mismatch', '0.68 is not the geometric centre of 0.30-0.89 (expected 0.51-0.52)'),
    ('zzu_anlotinib_pd1', 'subgroups', '24', 'ratio_ci_symmetry', 'mismatch', '0.70 is not the geometric centre of 0.33-0.93 (expected 0.55-0.56)'),
    ('zzu_anlotinib_pd1', 'subgroups', '27', 'ratio_ci_symmetry', 'mismatch', '0.68 is not the geometric centre of 0.29-0.89 (expected 0.50-0.51)'),
    ('zzu_anlotinib_pd1', 'subgroups', '28', 'ratio_ci_symmetry', 'mismatch', '0.69 is not the geometric centre of 0.31-0.91 (expected 0.53-0.54)'),
    ('zzu_anlotinib_pd1', 'subgroups', '31', 'ratio_ci_symmetry', 'mismatch', '0.95 is not the geometric centre of 0.74-1.37 (expected 1.00-1.01)'),
    ('zzu_anlotinib_pd1', 'subgroups', '34', 'ratio_ci_symmetry', 'mismatch', '0.98 is not the geometric centre of 0.67-1.66 (expected 1.05-1.06)'),
    ('zzu_anlotinib_pd1', 'subgroups', '3', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.26 and 0.34, but p 0.638 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '6', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.48 and 0.53, but p 0.417 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '9', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.11 and 0.14, but p 0.011 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '10', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.096 and 0.12, but p 0.019 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '14', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.88 and 0.92, but p 0.524 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '17', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.75 and 0.79, but p 0.411 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '20', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.67 and 0.71, but p 0.218 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '23', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.15 and 0.18, but p 0.023 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '24', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.16 and 0.19, but p 0.031 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '27', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.16 and 0.19, but p 0.019 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '28', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.16 and 0.19, but p 0.025 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '31', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.71 and 0.77, but p 0.432 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '34', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.91 and 0.95, but p 0.518 is printed'),
    ('zzu_anlotinib_pd1', 'subgroups', '38', 'ratio_p_value', 'mismatch', 'the CI implies p between 0.87 and 0.91, but p 0.553 is printed'),
    # Claims the tables test, one comparison from several models, and the curators' findings
    # (claims.csv, outcomes/subgroups, findings.csv): read against the papers.
    ('carter2022', 'findings', '1', 'curator_finding', 'mismatch', "Table 3's CI 2.258–3.253 excludes its HR 2.02"),
    ('carter2022', 'findings', '2', 'curator_finding', 'mismatch', 'The two docetaxel + cisplatin schedules add u'),
    ('carter2022', 'findings', '3', 'curator_finding', 'mismatch', 'Five toxicities are listed (hypertension, han'),
    ('carter2022', 'findings', '4', 'curator_finding', 'mismatch', '59/68 = 86.76%, which rounds to 86.8%, not 86'),
    ('carter2022', 'findings', '5', 'curator_finding', 'mismatch', 'Follow-up was censored on 31 May 2025, more t'),
    ('carter2022', 'findings', '6', 'curator_finding', 'mismatch', 'A paper accepted on 26 January 2022 cites pap'),
    ('carter2022', 'findings', '7', 'curator_finding', 'mismatch', 'Table 1 puts every patient at 50–50.4 Gy or >'),
    ('carter2022', 'findings', '8', 'curator_finding', 'mismatch', 'The p = 0.007 difference in Table 1 is for ma'),
    ('carter2022', 'findings', '9', 'curator_finding', 'mismatch', 'For 60/76 vs 191/215 progressed, chi-square P'),
    ('carter2022', 'findings', '10', 'curator_finding', 'mismatch', 'Two deaths during CRT on anlotinib (pulmonary'),
    ('carter2022', 'findings', '11', 'curator_finding', 'mismatch', '39.5% and 30.7% are 30/76 and 66/215 of the u'),
    ('carter2022', 'findings', '12', 'curator_finding', 'mismatch', 'Days 22–36 are 15 days against 14 for days 1–'),
    ('carter2022', 'findings', '13', 'curator_finding', 'mismatch', 'The back matter\'s ethics statement reads "Non'),
    ('carter2022', 'outcomes', '62;63;64', 'multiple_estimates', 'info', 'one comparison, several models: read each est'),
    ('li2022', 'findings', '1', 'curator_finding', 'mismatch', 'Responders are 4 CR + 31 PR = 35 (35/46 = 76.'),
    ('li2022', 'findings', '2', 'curator_finding', 'mismatch', 'Disposition: 8.5% of 47 = 4 patients stopped'),
    ('li2022', 'findings', '3', 'curator_finding', 'mismatch', 'Discussion: only two patients discontinued du'),
    ('li2022', 'findings', '4', 'curator_finding', 'mismatch', 'Results count 2 permanent discontinuations in'),
    ('li2022', 'findings', '5', 'curator_finding', 'mismatch', 'The starting dose is 10 mg, so the one permit'),
    ('li2022', 'findings', '6', 'curator_finding', 'mismatch', 'Read as a daily dose on days 1–3, 60–75 mg/m2'),
    ('li2022', 'findings', '7', 'curator_finding', 'mismatch', 'Stage IIIb (2) and IVa (3) disease is M0, so'),
    ('li2022', 'findings', '8', 'curator_finding', 'mismatch', 'Median OS 23.03 vs 14.78 months by liver meta'),
    ('li2022', 'findings', '9', 'curator_finding', 'mismatch', 'The paper defines a serious TEAE as fatal or'),
    ('li2022', 'findings', '10', 'curator_finding', 'mismatch', 'A multivariable HR of 0.032 (CI 0.002–0.606)'),
    ('li2022', 'findings', '11', 'curator_finding', 'mismatch', 'Under exponential PFS a median of 6 -> 10.5 m'),
    ('xu2025', 'claims', '2', 'claim_fold', 'mismatch', 'the two rates give 2.50-fold, not 2-fold'),
    ('xu2025', 'findings', '1', 'curator_finding', 'mismatch', 'The Abstract prints "P < 0 0.001" for the ORR'),
    ('xu2025', 'findings', '2', 'curator_finding', 'mismatch', 'Printed "P = 0 0.009" (typo for 0.009); the C'),
    ('xu2025', 'findings', '3', 'curator_finding', 'mismatch', 'The improvement is 16.03 - 7.30 = 8.73 months'),
    ('xu2025', 'findings', '4', 'curator_finding', 'mismatch', 'The printed CIs are the exact Clopper-Pearson'),
    ('xu2025', 'findings', '5', 'curator_finding', 'mismatch', 'A grade >=3 rash and a grade >=3 proteinuria'),
    ('xu2025', 'findings', '6', 'curator_finding', 'mismatch', 'The study is said to have been initiated in 2'),
    ('xu2025', 'findings', '7', 'curator_finding', 'mismatch', 'Adding anlotinib raised grade >=3 TRAEs from'),
    ('xu2025', 'findings', '8', 'curator_finding', 'mismatch', "Schoenfeld's formula gives events: 4(1.96+0.8"),
    ('xu2025', 'outcomes', '5;22;23;24;47', 'multiple_estimates', 'info', 'one comparison, several models: read each est'),
    ('xu2025', 'outcomes', '14;15', 'multiple_estimates', 'info', 'one comparison, several models: read each est'),
    ('zzu_anlotinib_pd1', 'claims', '1', 'claim_all_none', 'mismatch', "the table does not bear out 'none': Pneumonia"),
    ('zzu_anlotinib_pd1', 'findings', '1', 'curator_finding', 'mismatch', 'Among the 82 evaluable patients ORR is 19/82'),
    ('zzu_anlotinib_pd1', 'findings', '2', 'curator_finding', 'mismatch', 'The same median DoR of 6.6 months (19 respond'),
    ('zzu_anlotinib_pd1', 'findings', '3', 'curator_finding', 'mismatch', 'Three 1-year PFS figures: Kaplan-Meier 28.6%,'),
    ('zzu_anlotinib_pd1', 'findings', '4', 'curator_finding', 'mismatch', 'The 1-year OS is 49.0% in the Abstract, Resul'),
    ('zzu_anlotinib_pd1', 'findings', '5', 'curator_finding', 'mismatch', '87 - 66 = 21 ICI-naive patients and no count'),
    ('zzu_anlotinib_pd1', 'findings', '6', 'curator_finding', 'mismatch', 'Table 3 and the Results report 4 grade >=3 pn'),
    ('zzu_anlotinib_pd1', 'findings', '7', 'curator_finding', 'mismatch', 'Cox CIs are symmetric on the log scale, but s'),
    ('zzu_anlotinib_pd1', 'findings', '8', 'curator_finding', 'mismatch', 'Primary site and PD-1 agent have three levels'),
    ('zzu_anlotinib_pd1', 'findings', '9', 'curator_finding', 'mismatch', 'The Discussion says the PFS comparison by pri'),
    ('zzu_anlotinib_pd1', 'findings', '10', 'curator_finding', 'mismatch', '57.5% = 32.2% with two prior lines (third lin'),
    ('zzu_anlotinib_pd1', 'findings', '11', 'curator_finding', 'mismatch', 'The tislelizumab median OS CI is 11.5 - 2.9 /'),
    ('zzu_anlotinib_pd1', 'findings', '12', 'curator_finding', 'mismatch', 'In a second- or later-line cohort (75.9% ICI-'),
    ('zzu_anlotinib_pd1', 'findings', '13', 'curator_finding', 'mismatch', 'A "mean shrinkage" printed as negative (-8.07'),
    ('zzu_anlotinib_pd1', 'findings', '14', 'curator_finding', 'mismatch', 'A patient starting in January 2019 and alive'),
]

FINDINGS = audit_data_dir()
NON_OK = FINDINGS[FINDINGS["verdict"] != OK]


def _key(entry):
    return entry[:5]


def test_audit_ran_on_every_study():
    assert set(FINDINGS["study_id"]) == {"carter2022", "li2022", "xu2025", "zhu2025", "zzu_anlotinib_pd1"}


def test_no_finding_appears_or_disappears_unreviewed():
    found = sorted(NON_OK[["study_id", "table", "row", "rule", "verdict"]].itertuples(index=False, name=None))
    expected = sorted(_key(e) for e in EXPECTED_FINDINGS)
    assert found == expected


@pytest.mark.parametrize("study_id, table, row, rule, verdict, phrase", EXPECTED_FINDINGS,
                         ids=[f"{e[0]}-{e[1]}-{e[2]}-{e[3]}" for e in EXPECTED_FINDINGS])
def test_finding(study_id, table, row, rule, verdict, phrase):
    match = NON_OK[(NON_OK["study_id"] == study_id) & (NON_OK["table"] == table) & (NON_OK["row"] == row)
                   & (NON_OK["rule"] == rule) & (NON_OK["verdict"] == verdict)]
    assert not match.empty, "finding missing"
    assert any(phrase in detail for detail in match["detail"]), list(match["detail"])


def test_clean_abstract_has_no_finding():
    """zhu2025 prints few numbers and they are consistent: every check is ok."""
    assert set(FINDINGS.loc[FINDINGS["study_id"] == "zhu2025", "verdict"]) == {OK}
