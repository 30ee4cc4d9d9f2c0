"""The audit's findings for every study, each reviewed and asserted.

Every finding that is not ``ok`` is a row of ``tests/fixtures/reviewed_findings.csv`` with where
it stands (study, table, data row), its rule and verdict, a phrase of what it says and an
optional note. The rows were reviewed against the papers: each is a real inconsistency of the
paper (mismatch) or a fact worth showing (info), never an extraction error. A change to the
data or to an audit rule that adds, removes or alters a finding fails here, so it is reviewed
rather than slipping through. The tests hold for whatever studies ``data/studies`` holds: a
study with no reviewed rows must have no finding that is not ok, and when a new study has
some the failure lists them as rows to add to the file once they are read against the paper.

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
- zhu2025 prints few numbers and they are consistent: every check is ok (it has no rows).
"""

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from livingreview.audit.findings import INFO, MISMATCH, OK
from livingreview.audit.run import audit_data_dir
from livingreview.curated.studies import study_folders

REVIEWED_FILE = Path(__file__).parents[1] / "fixtures" / "reviewed_findings.csv"
REVIEWED_COLUMNS = ["study_id", "table", "row", "rule", "verdict", "phrase", "note"]
KEY_COLUMNS = REVIEWED_COLUMNS[:5]
# How much of a finding's detail goes into the phrase of a row proposed for review.
PHRASE_LENGTH = 70


def read_reviewed(path: Path = REVIEWED_FILE) -> list[dict[str, str]]:
    """The reviewed findings, one dict per row, every cell as text."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _reviewed_header(path: Path = REVIEWED_FILE) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


REVIEWED = read_reviewed()
FINDINGS = audit_data_dir()
NON_OK = FINDINGS[FINDINGS["verdict"] != OK]
STUDY_IDS = [folder.name for folder in study_folders()]
REVIEWED_STUDY_IDS = sorted({r["study_id"] for r in REVIEWED})


def _key(row) -> tuple[str, ...]:
    return tuple(str(row[c]) for c in KEY_COLUMNS)


def _as_csv_rows(findings) -> str:
    """Findings as rows of the reviewed file (no header), to paste once reviewed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for _, f in findings.iterrows():
        writer.writerow([*_key(f), str(f["detail"])[:PHRASE_LENGTH].strip(), ""])
    return out.getvalue()


def test_reviewed_file_is_well_formed():
    assert _reviewed_header() == REVIEWED_COLUMNS
    for line, row in enumerate(REVIEWED, start=2):
        assert None not in row and None not in row.values(), f"line {line}: wrong number of cells"
        assert all(row[c] for c in KEY_COLUMNS + ["phrase"]), f"line {line}: an empty cell: {row}"
        assert row["verdict"] in (MISMATCH, INFO), f"line {line}: verdict {row['verdict']!r} is not reviewed"
    unknown = set(REVIEWED_STUDY_IDS) - set(STUDY_IDS)
    assert not unknown, f"reviewed rows for studies with no folder in data/studies: {sorted(unknown)}"


def test_audit_ran_on_every_study():
    assert sorted(set(FINDINGS["study_id"])) == STUDY_IDS


@pytest.mark.parametrize("study_id", sorted(set(STUDY_IDS) | set(REVIEWED_STUDY_IDS)))
def test_no_finding_appears_or_disappears_unreviewed(study_id):
    found_rows = NON_OK[NON_OK["study_id"] == study_id]
    reviewed = Counter(_key(r) for r in REVIEWED if r["study_id"] == study_id)
    if not reviewed:
        if not found_rows.empty:
            pytest.fail(f"study {study_id} has {len(found_rows)} findings not yet reviewed: add them to "
                        "tests/fixtures/reviewed_findings.csv after reading them against the paper\n"
                        + _as_csv_rows(found_rows), pytrace=False)
        return
    found = Counter(_key(f) for _, f in found_rows.iterrows())
    appeared = found - reviewed
    unreviewed = found_rows[[_key(f) in appeared for _, f in found_rows.iterrows()]]
    disappeared = sorted((reviewed - found).elements())
    problems = []
    if appeared:
        problems.append(f"study {study_id} has {sum(appeared.values())} findings not in "
                        "tests/fixtures/reviewed_findings.csv (read them against the paper before adding them):\n"
                        + _as_csv_rows(unreviewed))
    if disappeared:
        problems.append(f"study {study_id} has {len(disappeared)} reviewed findings the audit no longer reports:\n"
                        + "\n".join(",".join(k) for k in disappeared))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.parametrize("study_id, table, row, rule, verdict, phrase",
                         [tuple(r[c] for c in REVIEWED_COLUMNS[:6]) for r in REVIEWED],
                         ids=[f"{r['study_id']}-{r['table']}-{r['row']}-{r['rule']}" for r in REVIEWED])
def test_finding(study_id, table, row, rule, verdict, phrase):
    match = NON_OK[(NON_OK["study_id"] == study_id) & (NON_OK["table"] == table) & (NON_OK["row"] == row)
                   & (NON_OK["rule"] == rule) & (NON_OK["verdict"] == verdict)]
    assert not match.empty, "finding missing"
    assert any(phrase in detail for detail in match["detail"]), list(match["detail"])
