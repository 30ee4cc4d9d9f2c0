"""The reader's layer: which analyses each integrity decision puts a study in, the findings per
setting and outcome, their certainty and plain-language wording, the summary-of-findings
tables, and the marking of every study that is not in the main analyses."""

from __future__ import annotations

import re
import shutil

import matplotlib
import pytest
import yaml

matplotlib.use("Agg")

from livingreview import paths  # noqa: E402
from livingreview.statistics import wording  # noqa: E402
from livingreview.statistics.arms import (CONTROL, INTERVENTION, comparison_population, control_arms,  # noqa: E402
                                          intervention_arms, two_arm_studies)
from livingreview.statistics import pooling  # noqa: E402
from livingreview.statistics.odds_ratios import grade3_odds_ratios  # noqa: E402
from livingreview.statistics.rate_tables import arm_rates  # noqa: E402
from livingreview.statistics.certainty import SYMBOLS, certainty_text  # noqa: E402
from livingreview.curated.studies import load_studies  # noqa: E402
from livingreview.pages.findings import result_html, summary_of_findings_html  # noqa: E402
from livingreview.curated.integrity import (EXCLUDED, MAIN, SENSITIVITY, analysis_set, decision,  # noqa: E402
                                    main_analysis_studies, sensitivity_analysis_studies, study_status)
from livingreview.pages.plotting import LEFT_OUT_COLOUR, LEFT_OUT_LEGEND  # noqa: E402
from livingreview.pages.study.page import StudyPage  # noqa: E402
from livingreview.pages.chapters.bias import BiasChapter  # noqa: E402
from livingreview.pages.chapters.comparative import ComparativeChapter  # noqa: E402
from livingreview.pages.chapters.evidence_map import EvidenceMapChapter  # noqa: E402
from livingreview.pages.chapters.response import ResponseChapter  # noqa: E402
from livingreview.pages.chapters.safety import SafetyChapter  # noqa: E402
from livingreview.pages.chapters.summary_of_findings import SummaryOfFindingsChapter  # noqa: E402

from ..conftest import FIXTURE_STUDY  # noqa: E402

# The exact value a stored figure is compared with: both are the same floating-point sum.
EXACT = 1e-9


@pytest.fixture(scope="module")
def summary() -> SummaryOfFindingsChapter:
    return SummaryOfFindingsChapter.load(paths.DATA_DIR)


@pytest.fixture(scope="module")
def response() -> ResponseChapter:
    return ResponseChapter.load(paths.DATA_DIR)


@pytest.fixture(scope="module")
def comparative() -> ComparativeChapter:
    return ComparativeChapter.load(paths.DATA_DIR)


@pytest.fixture(scope="module")
def safety() -> SafetyChapter:
    return SafetyChapter.load(paths.DATA_DIR)


@pytest.fixture(scope="module")
def bias() -> BiasChapter:
    return BiasChapter.load(paths.DATA_DIR)


@pytest.fixture(scope="module")
def evidence_map() -> EvidenceMapChapter:
    return EvidenceMapChapter.load(paths.DATA_DIR)


def _finding(summary, group: str, outcome: str):
    setting = summary.findings.setting(group)
    return next(f for f in setting.findings if f.outcome == outcome)


# ------------------------------------------------------------------ integrity decision rules

def _with_decision(data_copy, decision: str | None):
    """The fixture study with its integrity decision set to ``decision`` (None: not screened)."""
    screen = data_copy / FIXTURE_STUDY / "integrity.yaml"
    if decision is None:
        screen.unlink(missing_ok=True)
    else:
        template = paths.PROJECT_ROOT / "tests/fixtures/new_study/poe2026/integrity.yaml"
        content = yaml.safe_load(template.read_text(encoding="utf-8"))
        content.update({"study_id": "doe2024", "decision": decision})
        screen.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return load_studies(data_copy)[0]


@pytest.mark.parametrize(("decision", "expected_set", "in_main", "in_sensitivity"), [
    ("include", MAIN, True, True),
    (None, MAIN, True, True),  # not screened: in the main analyses, labelled as not screened
    ("sensitivity_only", SENSITIVITY, False, True),
    ("exclude", EXCLUDED, False, False),
])
def test_each_decision_rule_puts_the_study_in_its_analysis_set(data_copy, decision, expected_set, in_main,
                                                               in_sensitivity):
    study = _with_decision(data_copy, decision)
    assert analysis_set(study) == expected_set
    assert (study in main_analysis_studies([study])) == in_main
    assert (study in sensitivity_analysis_studies([study])) == in_sensitivity
    status = study_status(study)
    assert status.in_main == in_main
    assert bool(status.badge) == (not in_main)
    if decision is None:
        assert "not screened" in status.label


def test_the_curated_decisions_as_the_analyses_apply_them(summary):
    sets = {s.study_id: analysis_set(s) for s in summary.studies}
    # An unidentified report whose decision reads "main analysis only once the record is
    # identified" is in the sensitivity analysis only.
    assert sets["zzu_anlotinib_pd1"] == SENSITIVITY
    assert sets["carter2022"] == EXCLUDED
    assert {"li2022", "xu2025", "zhu2025"} <= {s for s, v in sets.items() if v == MAIN}
    for study in summary.studies:  # any study: its decision sets its analyses
        assert (sets[study.study_id] == MAIN) == (decision(study) in ("include", "not_screened")), study.study_id
    main = {s.study_id for s in summary.main_studies}
    for endpoint, rates in summary.response_rates.items():
        assert set(rates["study_id"]) <= main, endpoint
    assert set(summary.grade3["study_id"]) <= main


# ------------------------------------------------------------------ wording by certainty

@pytest.mark.parametrize(("level", "verb", "tail"), [
    ("high", "respond", False), ("moderate", "probably respond", False), ("low", "may respond", False),
    ("very low", "may respond", True)])
def test_rate_statements_follow_the_certainty_level(level, verb, tail):
    sentence = wording.rate_statement("ORR", 81.9, 69.2, 90.1, level, "anlotinib")
    assert sentence.startswith("About 82 in 100 patients") and f" {verb} " in sentence
    assert sentence.endswith("but the evidence is very uncertain.") == tail


# GRADE guidance 26 (Santesso et al. 2020), certainty x where the 95% CI of the ratio lies. The
# intervals: PFS HR 0.39 (0.18-0.84) excludes 1 on the side of benefit; grade >=3 OR 1.9
# (1.3-2.8) on the side of harm; OS HR 0.97 (0.85-1.10) stays within the no-difference band
# 0.8-1.25; OS HR 0.75 (0.39-1.43) includes 1 and reaches beyond the band on both sides;
# OS HR 0.8 (0.1-6.0) spans a halving and a doubling.
DIRECTION_OF_BENEFIT = ("PFS", 0.39, 0.18, 0.84)
DIRECTION_OF_HARM = ("grade3", 1.9, 1.3, 2.8)
WITHIN_NO_DIFFERENCE = ("OS", 0.97, 0.85, 1.10)
BOTH_WAYS = ("OS", 0.75, 0.39, 1.43)
UNINFORMATIVE = ("OS", 0.8, 0.1, 6.0)
VERY_UNCERTAIN_OS = "The evidence is very uncertain about the effect of adding anlotinib on overall survival."
BOTH_WAYS_OS = ("The evidence does not show whether adding anlotinib changes overall survival: the 95% CI of the "
                "ratio (0.39 to 1.43) includes no difference and appreciable effects in both directions")
TOO_IMPRECISE_OS = ("The evidence is too imprecise to tell whether adding anlotinib changes overall survival: the "
                    "95% CI of the ratio runs from 0.10 to 6.00.")
EFFECT_WORDING = [
    ("high", DIRECTION_OF_BENEFIT, "Adding anlotinib prolongs progression-free survival."),
    ("moderate", DIRECTION_OF_BENEFIT, "Adding anlotinib likely prolongs progression-free survival."),
    ("low", DIRECTION_OF_BENEFIT, "Adding anlotinib may prolong progression-free survival."),
    ("very low", DIRECTION_OF_BENEFIT,
     "The evidence is very uncertain about the effect of adding anlotinib on progression-free survival."),
    (None, DIRECTION_OF_BENEFIT, "Adding anlotinib may prolong progression-free survival (the certainty of this "
                                 "evidence is not graded)."),
    ("high", DIRECTION_OF_HARM, "Adding anlotinib increases grade ≥3 adverse events."),
    ("moderate", DIRECTION_OF_HARM, "Adding anlotinib likely increases grade ≥3 adverse events."),
    ("low", DIRECTION_OF_HARM, "Adding anlotinib may increase grade ≥3 adverse events."),
    ("very low", DIRECTION_OF_HARM,
     "The evidence is very uncertain about the effect of adding anlotinib on grade ≥3 adverse events."),
    ("high", WITHIN_NO_DIFFERENCE, "Adding anlotinib results in little to no difference in overall survival."),
    ("moderate", WITHIN_NO_DIFFERENCE, "Adding anlotinib likely results in little to no difference in overall survival."),
    ("low", WITHIN_NO_DIFFERENCE, "Adding anlotinib may result in little to no difference in overall survival."),
    ("very low", WITHIN_NO_DIFFERENCE, VERY_UNCERTAIN_OS),
    ("high", BOTH_WAYS, BOTH_WAYS_OS + "."),
    ("moderate", BOTH_WAYS, BOTH_WAYS_OS + "."),
    ("low", BOTH_WAYS, BOTH_WAYS_OS + "."),
    ("very low", BOTH_WAYS, VERY_UNCERTAIN_OS),
    (None, BOTH_WAYS, BOTH_WAYS_OS + " (the certainty of this evidence is not graded)."),
    ("high", UNINFORMATIVE, TOO_IMPRECISE_OS),
    ("low", UNINFORMATIVE, TOO_IMPRECISE_OS),
    ("very low", UNINFORMATIVE, VERY_UNCERTAIN_OS),
]


@pytest.mark.parametrize(("level", "ratio", "expected"), EFFECT_WORDING)
def test_effect_statements_follow_certainty_and_where_the_interval_lies(level, ratio, expected):
    outcome, estimate, low, high = ratio
    assert wording.effect_statement(outcome, estimate, low, high, level, "anlotinib") == expected


def test_every_certainty_and_interval_location_is_covered_and_no_very_low_statement_claims_a_direction():
    covered = {(level, wording.interval_location(low, high) if not wording.ratio_is_uninformative(low, high)
                else "uninformative") for level, (_, _, low, high), _ in EFFECT_WORDING}
    locations = {wording.BENEFIT_OR_HARM, wording.NO_DIFFERENCE, wording.EITHER_WAY}
    assert {(level, location) for level in ("high", "moderate", "low", "very low") for location in locations} <= covered
    for level, _, expected in EFFECT_WORDING:
        if level == "very low":
            assert expected.startswith("The evidence is very uncertain about the effect of")


def test_rate_and_median_statements_say_when_they_are_uninformative_or_not_pooled():
    assert wording.rate_statement("ORR", 24.3, 2.0, 83.6, "low", "anlotinib").startswith("The evidence is too imprecise")
    assert wording.median_statement("PFS", ["8.38", "16.03"], "low", "anlotinib") == (
        "Median progression-free survival with anlotinib-containing regimens may be between 8.38 and 16.03 "
        "months (the medians of 2 studies, not pooled).")
    assert wording.median_statement("OS", ["10.37"], None, "anlotinib").endswith("(the certainty of this evidence is not graded).")


def test_certainty_is_shown_as_words_and_symbols():
    assert certainty_text("very low") == "Very low ⊕◯◯◯"
    assert certainty_text("high") == "High ⊕⊕⊕⊕"
    assert SYMBOLS["moderate"] == "⊕⊕⊕◯" and SYMBOLS["low"] == "⊕⊕◯◯"


# ------------------------------------------------------------------ the findings

def test_each_setting_has_every_main_outcome_and_its_comparison(summary):
    first = summary.findings.setting("first_line_advanced")
    assert [f.outcome for f in first.arm_findings] == ["ORR", "DCR", "PFS", "OS", "grade3"]
    assert [f.outcome for f in first.comparison_findings] == [
        "ORR odds ratio", "DCR odds ratio", "PFS hazard ratio", "OS hazard ratio", "grade3 odds ratio"]
    # A setting has comparison findings exactly when a study of its main analyses has a control arm.
    by_id = {s.study_id: s for s in summary.studies}
    for setting in summary.findings.settings:
        comparative = [s for s in setting.main_studies if control_arms(by_id[s])]
        assert bool(setting.comparison_findings) == bool(comparative), setting.setting_group
    assert not _finding(summary, "later_line_advanced", "grade3").reported
    assert _finding(summary, "later_line_advanced", "grade3").result == "not reported"
    nodal = summary.findings.setting("nodal_recurrence_crt")
    assert nodal.findings == [] and [s.study_id for s in nodal.left_out] == ["carter2022"]


def test_every_outcome_a_comparative_study_reports_is_in_its_summary_of_findings(summary):
    """Read from the data, independently of the findings: every ratio a comparative study of the
    main analyses prints, and every rate it prints in both arms, has a reported row."""
    for study in two_arm_studies(summary.main_studies):
        setting = summary.findings.setting(study.meta["setting_group"])
        reported = {f.outcome for f in setting.comparison_findings if f.reported}
        outcomes = study.table("outcomes", as_typed=False)
        treated, control = intervention_arms(study), control_arms(study)
        expected = set()
        ratios = outcomes[(outcomes["measure"] == "hazard_ratio") & outcomes["ci_low"].ne("")
                          & outcomes["arm"].isin(treated) & outcomes["comparator_arm"].isin(control)
                          & outcomes["endpoint"].isin(["PFS", "OS"])
                          & (outcomes["population"] == comparison_population(study))]
        expected |= {f"{e} hazard ratio" for e in ratios["endpoint"]}
        for endpoint in ("ORR", "DCR"):
            arms = set(arm_rates([study], endpoint, INTERVENTION)["arm"]) and \
                set(arm_rates([study], endpoint, CONTROL)["arm"])
            if arms:
                expected.add(f"{endpoint} odds ratio")
        if not grade3_odds_ratios([study], summary.vocabulary).empty:
            expected.add("grade3 odds ratio")
        assert expected and expected <= reported, (study.study_id, expected - reported)
    # The overall-survival hazard ratio of xu2025 sits beside its PFS ratio.
    os_ratio = _finding(summary, "first_line_advanced", "OS hazard ratio")
    assert (os_ratio.estimate, os_ratio.ci_low, os_ratio.ci_high) == (0.75, 0.39, 1.43)
    html = summary_of_findings_html(summary.findings.setting("first_line_advanced"), summary.names)
    assert "HR 0.75" in html and "HR 0.39" in html and "not reported by the comparative studies" in html


def test_findings_equal_the_chapters_statistics(summary):
    pooled = summary.response_pools["ORR"]
    primary = pooling.primary_pools(pooled, "first_line_advanced").iloc[0]
    orr = _finding(summary, "first_line_advanced", "ORR")
    # Two studies: the chapter's Bayesian pool is the finding, to the digit, with its interval's name.
    assert (orr.estimate, orr.ci_low, orr.ci_high) == (primary["estimate"], primary["ci_low"], primary["ci_high"])
    assert orr.interval == primary["interval"] == "CrI" and orr.model == primary["model"]
    assert (orr.patients, len(orr.studies)) == (76, 2)
    everywhere = summary.response_pools["DCR"]
    assert not pooling.primary_pools(everywhere, "first_line_advanced").size  # one first-line study of DCR
    # A single study's rate is its own count: 9 of 29.
    later = _finding(summary, "later_line_advanced", "ORR")
    assert later.estimate == pytest.approx(100 * 9 / 29, abs=EXACT) and later.method.startswith("one study")
    # The adjusted hazard ratio is preferred; the others are named.
    pfs = _finding(summary, "first_line_advanced", "PFS hazard ratio")
    assert (pfs.estimate, pfs.ci_low, pfs.ci_high) == (0.39, 0.18, 0.84)
    assert any("HR 0.35" in note for note in pfs.notes)


def test_absolute_effects_follow_from_the_relative_effect_and_the_comparator_risk(summary):
    orr = _finding(summary, "first_line_advanced", "ORR odds ratio")
    # One study with a cell below five: its conditional exact odds ratio (not the sample one)
    # applied to its own control risk, so close to, not equal to, its risk with the intervention, 27/30.
    assert "conditional exact OR and CI (Fisher)" in orr.method and orr.method.endswith("allow no adjustment)")
    assert orr.result.endswith("; RR 2.08 (95% CI 1.36–3.18)")  # the risk ratio beside the odds ratio
    p0 = 13 / 30
    assert orr.absolute.control == pytest.approx(1000 * p0)
    assert orr.absolute.treated == pytest.approx(1000 * p0 * orr.estimate / (1 - p0 + p0 * orr.estimate))
    assert orr.absolute.treated == pytest.approx(1000 * 27 / 30, abs=5)
    pfs = _finding(summary, "first_line_advanced", "PFS hazard ratio")
    survival = 1 - pfs.absolute.control / 1000
    assert pfs.absolute.treated == pytest.approx(1000 * (1 - survival ** 0.39))
    assert "reconstructed" in pfs.absolute.basis  # xu2025 prints no 12-month rate of its control arm


def test_a_sensitivity_only_study_is_reported_beside_the_estimate_and_never_inside_it(summary):
    orr = _finding(summary, "later_line_advanced", "ORR")
    assert [s.study_id for s in orr.studies] == ["zhu2025"]
    assert orr.sensitivity.startswith("With Zhengzhou cohort added (sensitivity analysis)")
    assert [s.study_id for s in orr.left_out] == ["zzu_anlotinib_pd1"]


def test_one_studys_rate_is_the_same_number_on_its_page_in_the_synthesis_and_the_summary(summary):
    zzu = StudyPage.load("zzu_anlotinib_pd1")
    sentence = zzu.facts()["orr_intervention"]
    assert sentence.startswith("21.8% (19 of 87, all analysed patients")
    assert "23.2% (19 of 82) over patients evaluable for response" in sentence  # the other population, named
    # The sensitivity analysis pools the same count the page shows.
    pooled = arm_rates([zzu.data.study], "ORR")
    assert (int(pooled["events"].iloc[0]), int(pooled["total"].iloc[0])) == (19, 87)
    zhu = StudyPage.load("zhu2025").facts()["orr_intervention"]
    assert zhu.startswith(f"{_finding(summary, 'later_line_advanced', 'ORR').estimate:.1f}%")


def test_a_pool_of_different_partner_regimens_is_flagged_unless_indirectness_is_rated_down(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, data)
    certainty = yaml.safe_load((data / "certainty.yaml").read_text(encoding="utf-8"))
    first_orr = next(o for o in certainty["outcomes"]
                     if o["outcome"] == "ORR" and o["setting_group"] == "first_line_advanced")
    assert first_orr["indirectness"]["downgrade"] == 1  # as curated: the reason names the regimens
    first_orr["indirectness"] = {"downgrade": 0, "reason": "No indirectness."}
    (data / "certainty.yaml").write_text(yaml.safe_dump(certainty, sort_keys=False, allow_unicode=True),
                                         encoding="utf-8")
    finding = _finding(SummaryOfFindingsChapter.load(data), "first_line_advanced", "ORR")
    assert any("different partners" in n for n in finding.notes)
    assert any("Indirectness is not rated down" in n for n in finding.notes)


def test_the_curated_judgements_need_no_revision(summary):
    """A review gate, like the reviewed audit findings: when the studies behind a finding change
    (a study added, a decision changed), its GRADE judgement must be revised in the data."""
    for finding in summary.findings.all_findings():
        if finding.reported:
            where = f"{finding.setting}, {finding.label}"
            assert finding.judgement is not None, f"{where}: add its GRADE judgement to data/certainty.yaml"
            assert not finding.stale, (f"{where}: its judgement in data/certainty.yaml rests on other studies "
                                       "than the analysis now uses; revise its studies and reasons")
            assert not any("must be revisited" in n for n in finding.notes), (finding.label, finding.notes)


def test_an_uninformative_estimate_is_said_in_words_and_never_bold(summary):
    finding = _finding(summary, "later_line_advanced", "ORR")
    finding = type(finding)(**{**finding.__dict__, "ci_low": 1.0, "ci_high": 99.0})
    assert not finding.informative
    assert "<strong>" not in result_html(finding) and "too imprecise to inform" in result_html(finding)
    assert finding.sentence.startswith("The evidence is too imprecise")
    assert "too imprecise to inform" in finding.brief


# ------------------------------------------------------------------ marking left-out studies

def test_every_figure_that_shows_a_left_out_study_greys_it_with_a_legend_entry(bias, comparative, evidence_map):
    import matplotlib.pyplot as plt

    left_out = {study_status(s).badge: s for s in bias.studies if not study_status(s).in_main}
    assert set(left_out) == {"excluded", "sensitivity analyses only"}
    figures = {"traffic light": bias.traffic_light(), "comparisons": comparative.comparison_forest(),
               "timeline": evidence_map.timeline_figure()}
    for name, fig in figures.items():
        texts = [t for ax in fig.axes for t in ax.get_yticklabels()]
        grey = [t.get_text() for t in texts if matplotlib.colors.same_color(t.get_color(), LEFT_OUT_COLOUR)]
        legends = [t.get_text() for legend in [*(ax.get_legend() for ax in fig.axes), *fig.legends]
                   if legend is not None for t in legend.get_texts()]
        assert grey, name
        assert all(re.search("excluded|sensitivity analyses only", g) for g in grey), (name, grey)
        assert LEFT_OUT_LEGEND in legends, (name, legends)
        plt.close(fig)
    # A study page's own figures say so across their top.
    page = StudyPage.load("carter2022")
    for fig in page.reconstruction.km_figures() + [page.safety.figure()]:
        assert any("excluded" in t.get_text() for t in fig.texts)
        plt.close(fig)


def test_every_table_row_of_a_left_out_study_carries_its_badge(bias, comparative, evidence_map):
    html = "".join(view.data for view in [comparative.comparison_table(), bias.integrity_decisions(),
                                          bias.integrity_table(), evidence_map.evidence_table()])
    for status in map(study_status, bias.studies):
        name = bias.names[status.study_id]
        cells = re.findall(rf'<a href="[^"]*{status.study_id}\.html">{re.escape(name)}</a>( <span class="lr-badge[^>]*>'
                           r"([^<]*)</span>)?", html)
        assert cells, name
        for _, badge in cells:
            assert badge == status.badge, (name, badge)


def test_a_study_page_says_its_status_first_and_its_title_carries_it():
    for study_id, badge in (("carter2022", "excluded"), ("zzu_anlotinib_pd1", "sensitivity analyses only")):
        page = StudyPage.load(study_id)
        message = page.first_screen.key_message().data
        status = message.index('class="lr-status')
        assert status < message.index("<p>"), study_id  # before design and findings
        assert page.first_screen.title().startswith(f"{page.data.study.name} ({badge})")
    li = StudyPage.load("li2022")
    assert li.first_screen.title() == li.data.study.meta["label"]
    assert 'class="lr-status' not in li.first_screen.key_message().data


# ------------------------------------------------------------------ figures as shown

def test_every_text_of_a_figure_is_at_least_ten_pixels_where_it_is_shown(response, comparative, safety, bias):
    """At the narrowest width a figure is shown at (its box scrolls below it), no text is
    smaller than 10 CSS pixels; the figure is SVG with its description as alt text."""
    from livingreview.pages.display import (CSS_PX_PER_INCH, FIGURE_NARROW_PX, MIN_FONT_PX, POINTS_PER_INCH,
                                      figure_html)

    for fig in (response.response_forest("ORR"), comparative.comparison_forest(), safety.heatmap("grade ≥3"),
                bias.traffic_light()):
        markup = figure_html(fig)
        assert markup.count("<img ") == 1 and 'src="data:image/svg+xml;base64,' in markup
        scale = min(1.0, FIGURE_NARROW_PX / (fig.get_figwidth() * CSS_PX_PER_INCH))
        sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
                 if t.get_text()]
        assert min(sizes) * CSS_PX_PER_INCH / POINTS_PER_INCH * scale >= MIN_FONT_PX - 1e-9
        assert 'alt="' in markup and fig.lr_description[:20] in markup


def test_a_figure_without_a_description_is_refused():
    import matplotlib.pyplot as plt

    from livingreview.pages.display import figure_html

    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="description"):
        figure_html(fig)
    plt.close(fig)


def test_forest_plots_keep_odds_and_hazard_ratios_apart_with_the_direction_of_benefit(comparative):
    fig = comparative.comparison_forest()
    labels = [ax.get_xlabel() for ax in fig.axes if ax.get_xlabel()]
    assert any(label.startswith("Odds ratio") and "favours the anlotinib arm" in label for label in labels)
    assert any(label.startswith("Hazard ratio") and "below 1 favours" in label for label in labels)
    for ax in (a for a in fig.axes if a.get_xscale() == "log"):
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert all(b / a >= 2 for a, b in zip(ticks, ticks[1:])), ticks  # labels never collide


def test_an_outcome_reported_only_for_single_events_is_not_read_as_none(summary):
    """Zhu 2025 prints grade 3-4 rates of single events (lymphopenia), not of any event: the
    later-line finding says so, and which grades it counts, instead of a bare "not reported"."""
    finding = _finding(summary, "later_line_advanced", "grade3")
    assert not finding.reported
    assert finding.sentence == (
        "No study in the main analyses reports the share of patients with any grade ≥3 adverse event in this "
        "setting. Zhu 2025 reports rates of single severe events only, not of any event (lymphopenia 6.9%, grade "
        "3–4), shown in the safety chapter.")
