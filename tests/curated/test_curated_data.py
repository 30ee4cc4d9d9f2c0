"""The curated data of the review itself: valid, traceable and packaged."""

import re

import pytest

from livingreview import paths
from livingreview.curated.rowrefs import parse_row_refs
from livingreview.curated.studies import load_studies
from livingreview.curated.datapackage import render_datapackage
from livingreview.curated.integrity import load_screen
from livingreview.curated.risk_of_bias import load_judgement
from livingreview.audit.sources import SOURCES_ENV, quote_found, sources_dir
from livingreview.validation.data_folder import validate_data_dir

STUDIES = load_studies()


def test_curated_data_is_valid():
    problems = validate_data_dir()
    assert problems == [], "\n".join(map(str, problems))


def test_every_study_names_its_own_source_document():
    documents = [s.meta["source_document"] for s in STUDIES]
    assert STUDIES and all(documents) and len(set(documents)) == len(documents)


def test_datapackage_is_in_sync_with_dictionary_and_folders():
    assert paths.DATAPACKAGE_FILE.read_text(encoding="utf-8") == render_datapackage(), (
        "data/datapackage.json is stale: run `make datapackage`")


def test_datapackage_validates_with_frictionless():
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.Package(str(paths.DATAPACKAGE_FILE)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def _place_and_quote_columns(name: str) -> list[tuple[str, str]]:
    """(place, quote) columns of a table: a curator's finding has one pair per side."""
    return [("source_a", "quote_a"), ("source_b", "quote_b")] if name == "findings" else [("source", "quote")]


def test_every_number_has_a_place_and_a_quote():
    for study in STUDIES:
        for name, table in study.tables.items():
            place, quote = _place_and_quote_columns(name)[0]
            assert table[place].ne("").all() and table[quote].ne("").all(), (study.study_id, name)


def _quotes(studies=STUDIES):
    for study in studies:
        for name, table in study.tables.items():
            for _, row in table.iterrows():
                for _, quote in _place_and_quote_columns(name):
                    if row[quote]:
                        yield study, name, {"row": row["row"], "quote": row[quote]}
        # The risk-of-bias judgement's supporting sentences are quotes from the paper too.
        judgement = load_judgement(study.folder) or {}
        for i, judged in enumerate([*judgement.get("domains", []), judgement.get("overall", {})]):
            for support in judged.get("support", []):
                yield study, "risk_of_bias", {"row": f"domain {i + 1}", "quote": support["quote"]}
        # So is the integrity screen's evidence from the paper itself (outside records have a url).
        screen = load_screen(study.folder) or {}
        for check in screen.get("checks", []):
            for evidence in check["evidence"]:
                if "source" in evidence:
                    yield study, "integrity", {"row": check["check"], "quote": evidence["quote"]}


@pytest.mark.skipif(sources_dir() is None, reason=f"{SOURCES_ENV} does not point at the source texts")
@pytest.mark.parametrize("study", STUDIES, ids=[s.study_id for s in STUDIES])
def test_every_quote_is_found_in_its_source_text(study):
    if study.meta.get("source_text_held") is False:
        pytest.skip(f"{study.study_id}: its source text is not held (study.yaml source_text_held: false)")
    path = sources_dir() / study.meta["source_document"]
    assert path.is_file(), (f"{study.study_id}: source_document {path.name} is not in {sources_dir()}; "
                            "set source_text_held: false in its study.yaml if the review does not hold it")
    text = path.read_text(encoding="utf-8")
    missing = [f"{name} row {row['row']}: {row['quote']!r}" for s, name, row in _quotes([study])
               if not quote_found(row["quote"], text)]
    assert not missing, "\n".join(missing)


def test_quote_matching_folds_pdf_artefacts():
    assert quote_found("permanent discontinuation", "Only two patients experienced permanent discontinu-\nation")
    assert quote_found("95% CI, 61.2–87.4%", "95%\u00a0CI, 61.2-87.4%")
    assert not quote_found("ORR was 77.1%", "ORR was 76.1%")


# Words by which a note describes an inconsistency: each such note needs a finding the audit reports.
INCONSISTENCY_WORDS = re.compile(r"inconsistent|contradicts?|does not match|do not match|typo|misattributed|"
                                 r"conflicts?\b|disagrees?", re.IGNORECASE)


def _finding_refs(study) -> set[tuple[str, int]]:
    findings = study.tables["findings"]
    return {ref for column in ("rows_a", "rows_b") for text in findings[column] for ref in parse_row_refs(text)}


def test_no_inconsistency_is_described_only_in_a_note():
    unreported = []
    for study in STUDIES:
        referenced = _finding_refs(study)
        for name, table in study.tables.items():
            if "note" not in table:
                continue
            for _, row in table[table["note"].str.contains(INCONSISTENCY_WORDS)].iterrows():
                if (name, int(row["row"])) not in referenced:
                    unreported.append(f"{study.study_id} {name}:{row['row']}: {row['note'][:80]}")
    assert not unreported, "notes describing an inconsistency without a finding:\n" + "\n".join(unreported)


def test_every_integrity_concern_about_consistency_rests_on_reported_findings():
    for study in STUDIES:
        screen = load_screen(study.folder) or {}
        ids = set(study.tables["findings"]["finding_id"])
        for check in screen.get("checks", []):
            if check["check"] == "internal_consistency" and check["verdict"] == "concern":
                assert check.get("findings"), f"{study.study_id}: the concern names no finding"
                assert set(check["findings"]) <= ids
