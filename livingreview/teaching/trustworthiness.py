"""Appraising a paper's trustworthiness: the audit and the integrity screen on this review's
studies, for the teaching chapter.

The audit (:mod:`livingreview.audit.run`) recomputes printed numbers; the integrity screen
(:mod:`livingreview.curated.integrity`, ``integrity.yaml`` per study) records a reviewer's judgement
with its evidence and a decision. This module puts the two side by side and picks the
chapter's examples by their decisions, so the chapter follows the data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from ..audit.findings import INFO, MISMATCH, OK, RULE_LABELS, RULES
from ..audit.run import audit_studies
from ..curated.studies import Study, load_studies, load_vocabulary
from ..pages.display import table_label
from ..curated.integrity import (DECISION_LABELS, EXCLUDE, SENSITIVITY_ONLY, decision, load_checks, load_screen,
                         main_analysis_studies, sensitivity_analysis_studies)


def load_data(data_dir: str | Path | None = None) -> tuple[list[Study], pd.DataFrame, dict[str, dict]]:
    """The studies, their audit findings and the integrity screen's checks."""
    data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
    studies = load_studies(data_dir)
    findings = audit_studies(studies, load_vocabulary(data_dir=data_dir))
    return studies, findings, load_checks(data_dir)


def audit_overview(findings: pd.DataFrame, studies: list[Study]) -> pd.DataFrame:
    """Per study: checks run, verdict counts, mismatches per 100 checks, and the screen's decision."""
    rows = []
    for study in studies:
        own = findings[findings["study_id"] == study.study_id]
        counts = own["verdict"].value_counts()
        rows.append({"study_id": study.study_id, "checks": len(own), "ok": int(counts.get(OK, 0)),
                     "mismatch": int(counts.get(MISMATCH, 0)), "info": int(counts.get(INFO, 0)),
                     "mismatches per 100 checks": round(100 * counts.get(MISMATCH, 0) / len(own), 1) if len(own) else 0.0,
                     "integrity decision": DECISION_LABELS[decision(study)]})
    return pd.DataFrame(rows, columns=["study_id", "checks", "ok", "mismatch", "info", "mismatches per 100 checks",
                                       "integrity decision"])


def mismatches_by_rule(findings: pd.DataFrame) -> pd.DataFrame:
    """Mismatches per audit rule (rows) and study (columns), with what each rule checks."""
    mismatches = findings[findings["verdict"] == MISMATCH]
    if mismatches.empty:
        return pd.DataFrame(columns=["rule", "checks"])
    table = mismatches.groupby(["rule", "study_id"]).size().unstack(fill_value=0)
    table.insert(0, "checks", [RULES[r] for r in table.index])
    return table.reset_index()


def studies_with_decision(studies: list[Study], wanted: str) -> list[Study]:
    """Studies whose integrity screen reached the decision ``wanted``."""
    return [s for s in studies if decision(s) == wanted]


def first_with_decision(studies: list[Study], wanted: str) -> Study | None:
    """The first study (by id) whose screen reached ``wanted``; None when there is none."""
    chosen = studies_with_decision(studies, wanted)
    return chosen[0] if chosen else None


def concerns(study: Study | None, checks: dict[str, dict]) -> pd.DataFrame:
    """The checks of a study's screen judged a concern: the question, the summary and how many
    pieces of evidence (quotes from the paper, outside sources) support it; empty for None."""
    screen = (load_screen(study.folder) if study is not None else None) or {}
    rows = [{"check": checks[c["check"]]["label"], "question": checks[c["check"]]["question"],
             "summary": c["summary"], "evidence items": len(c.get("evidence", []))}
            for c in screen.get("checks", []) if c["verdict"] == "concern"]
    return pd.DataFrame(rows, columns=["check", "question", "summary", "evidence items"])


def audit_mismatches(findings: pd.DataFrame, study: Study | None, rule: str | None = None) -> pd.DataFrame:
    """A study's audit mismatches (optionally of one rule): where, what and why; empty for None."""
    study_id = None if study is None else study.study_id
    chosen = findings[(findings["study_id"] == study_id) & (findings["verdict"] == MISMATCH)]
    if rule is not None:
        chosen = chosen[chosen["rule"] == rule]
    shown = chosen[["table", "row", "source", "rule", "quantity", "detail"]].reset_index(drop=True)
    # Data files as readers know them: 'Outcomes', 'Study record', not 'outcomes.csv', 'study.yaml'.
    return shown.assign(table=shown["table"].map(table_label)).replace("study.yaml", table_label("study.yaml"))


def analysis_sets(studies: list[Study]) -> pd.DataFrame:
    """Which studies each kind of analysis uses, after the integrity decisions."""
    main = {s.study_id for s in main_analysis_studies(studies)}
    sensitivity = {s.study_id for s in sensitivity_analysis_studies(studies)}
    return pd.DataFrame([{"study_id": s.study_id, "decision": DECISION_LABELS[decision(s)],
                          "main analyses": "yes" if s.study_id in main else "no",
                          "sensitivity analyses": "yes" if s.study_id in sensitivity else "no"}
                         for s in studies])


def check_list(checks: dict[str, dict]) -> pd.DataFrame:
    """The screen's checks: label and question."""
    return pd.DataFrame([{"check": c["label"], "question": c["question"]} for c in checks.values()],
                        columns=["check", "question"])


def mismatch_ranking(findings: pd.DataFrame, studies: list[Study]) -> pd.DataFrame:
    """:func:`audit_overview` ranked by mismatches per 100 checks, highest first."""
    overview = audit_overview(findings, studies)
    return overview.sort_values(["mismatches per 100 checks", "study_id"], ascending=[False, True]).reset_index(drop=True)


def _join(items: list[str], empty: str) -> str:
    return ", ".join(items) if items else empty


def facts(studies: list[Study], findings: pd.DataFrame, checks: dict[str, dict]) -> dict[str, object]:
    """Every data-dependent value the chapter's prose states, by glue key."""
    counts = findings["verdict"].value_counts()
    screened = [s for s in studies if load_screen(s.folder) is not None]
    excluded = studies_with_decision(studies, EXCLUDE)
    flagged = studies_with_decision(studies, SENSITIVITY_ONLY)
    facts: dict[str, object] = {
        "tw_n_studies": len(studies), "tw_n_checks": len(findings), "tw_n_ok": int(counts.get(OK, 0)),
        "tw_n_mismatch": int(counts.get(MISMATCH, 0)), "tw_n_info": int(counts.get(INFO, 0)),
        "tw_n_rules": len(RULES), "tw_n_screen_checks": len(checks), "tw_n_screened": len(screened),
        "tw_excluded": _join([s.name for s in excluded], "no study in the current data"),
        "tw_flagged": _join([s.name for s in flagged], "no study in the current data"),
        "tw_n_main": len(main_analysis_studies(studies)), "tw_n_sensitivity": len(sensitivity_analysis_studies(studies)),
    }
    ranking = mismatch_ranking(findings, studies)
    names = {s.study_id: s.name for s in studies}
    if len(ranking):
        top = ranking.iloc[0]
        facts["tw_rank_top"] = (f"{names[top['study_id']]} ({top['mismatches per 100 checks']:g} per 100 checks; "
                                f"{top['integrity decision']})")
        facts["tw_rank_excluded"] = "; ".join(
            f"{s.name} ranks {int(ranking.index[ranking['study_id'] == s.study_id][0]) + 1} of {len(ranking)}"
            for s in excluded) or "no study is excluded"
    else:
        facts["tw_rank_top"], facts["tw_rank_excluded"] = "no audit checks", "no study is excluded"
    if excluded:
        study = excluded[0]
        screen = load_screen(study.folder)
        dates = audit_mismatches(findings, study, "dates")
        own = findings[findings["study_id"] == study.study_id]
        facts.update({
            "tw_ex_study": study.name,
            "tw_ex_concerns": _join(list(concerns(study, checks)["check"]), "none"),
            "tw_ex_dates": "; ".join(dates["detail"]) or "no date check of the audit fails",
            "tw_ex_n_ok": int((own["verdict"] == OK).sum()), "tw_ex_n_checks": len(own),
            "tw_ex_clean": f"The study the review excludes, {study.name}, passes "
                           f"{int((own['verdict'] == OK).sum())} of its {len(own)} audit checks.",
            "tw_ex_reason": " ".join(str(screen.get("decision_reason", "")).split()),
        })
    else:
        facts.update({"tw_ex_study": "no excluded study", "tw_ex_concerns": "none", "tw_ex_dates": "not applicable",
                      "tw_ex_n_ok": 0, "tw_ex_n_checks": 0,
                      "tw_ex_clean": "No study is excluded in the current data.", "tw_ex_reason": "no study is excluded in the current data"})
    if flagged:
        study = flagged[0]
        screen = load_screen(study.folder)
        own = findings[(findings["study_id"] == study.study_id) & (findings["verdict"] == MISMATCH)]
        facts.update({
            "tw_fl_study": study.name,
            "tw_fl_concerns": _join(list(concerns(study, checks)["check"]), "none"),
            "tw_fl_n_mismatch": len(own),
            "tw_fl_rules": _join([f"{RULE_LABELS[rule].lower()} ({n})"
                                  for rule, n in own["rule"].value_counts().sort_index().items()], "none"),
            "tw_fl_reason": " ".join(str(screen.get("decision_reason", "")).split()),
        })
    else:
        facts.update({"tw_fl_study": "no flagged study", "tw_fl_concerns": "none", "tw_fl_n_mismatch": 0,
                      "tw_fl_rules": "none", "tw_fl_reason": "no study is flagged in the current data"})
    return facts
