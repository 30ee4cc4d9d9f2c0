"""The search record: parsing RIS and PubMed exports, finding duplicates, importing a run
into records.csv and validating the search and screening record.

The exports under ``tests/fixtures/search/`` are synthetic records written in the formats the
databases use (see the README there)."""

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from livingreview import paths
from livingreview.cli import main
from livingreview.search.duplicates import TITLE_MATCH_THRESHOLD, _Known, deduplicate, find_duplicate
from livingreview.search.exports import SearchExportError, normalise_doi, parse_export, surname
from livingreview.search.importing import import_run
from livingreview.search.records import RECORD_COLUMNS, SCREENING_COLUMNS, SearchError, SearchRecord, load_records
from livingreview.validation.problems import Problem
from livingreview.validation.search_record import validate_search

FIXTURES = Path(__file__).parents[1] / "fixtures" / "search"
FIXTURE_FILE = "tests/fixtures/search"

PUBMED_RUN, EMBASE_RUN, ENDNOTE_RUN = "2024-01-pubmed", "2024-01-embase", "2024-02-medline"
STRATEGIES = [
    {"strategy_id": "pubmed-v1", "database": "PubMed", "query": "anlotinib[tiab]"},
    {"strategy_id": "embase-v1", "database": "Embase", "query": "'anlotinib'/exp"},
    {"strategy_id": "medline-v1", "database": "Ovid MEDLINE", "query": "anlotinib.mp."},
]


def _run(run_id: str, source: str, strategy_id: str, date_run: str, fixture: str, records: int) -> dict:
    return {"run_id": run_id, "update": run_id[:7], "method": "database", "source": source,
            "strategy_id": strategy_id, "date_run": date_run,
            "export": f"search/exports/{run_id}{Path(fixture).suffix}", "records_reported": records,
            "_fixture": fixture}


RUNS = {
    PUBMED_RUN: _run(PUBMED_RUN, "PubMed", "pubmed-v1", "2024-01-15", "pubmed.nbib", 4),
    EMBASE_RUN: _run(EMBASE_RUN, "Embase", "embase-v1", "2024-01-16", "embase.ris", 5),
    ENDNOTE_RUN: _run(ENDNOTE_RUN, "Ovid MEDLINE", "medline-v1", "2024-02-01", "endnote.ris", 4),
}

EXCLUSION_REASONS = {
    "wrong_population": {"label": "Wrong population", "criterion": "Not patients with advanced cancer"},
    "wrong_intervention": {"label": "Wrong intervention", "criterion": "Anlotinib not given"},
}

SCREENING = [
    (f"{PUBMED_RUN}:1", "title_abstract", "include", "", ""),
    (f"{PUBMED_RUN}:2", "title_abstract", "include", "", ""),
    (f"{PUBMED_RUN}:3", "title_abstract", "exclude", "", ""),
    (f"{PUBMED_RUN}:4", "title_abstract", "include", "", ""),
    (f"{EMBASE_RUN}:4", "title_abstract", "exclude", "wrong_population", ""),
    (f"{EMBASE_RUN}:5", "title_abstract", "exclude", "", ""),
    (f"{PUBMED_RUN}:1", "full_text", "include", "", "li2022"),
    (f"{PUBMED_RUN}:2", "full_text", "exclude", "wrong_intervention", ""),
    (f"{PUBMED_RUN}:4", "full_text", "not_retrieved", "", ""),
]


def record(title: str = "Anlotinib plus chemotherapy for advanced oesophageal squamous cell carcinoma: "
                        "a single-arm, multicentre phase II trial",
           first_author: str = "Li", year: str = "2022", journal: str = "Example journal of oncology",
           doi: str = "", pmid: str = "") -> SearchRecord:
    return SearchRecord(title=title, first_author=first_author, year=year, journal=journal, doi=doi, pmid=pmid)


def known(*records: SearchRecord) -> list[_Known]:
    return [_Known.of(f"run:{position}", "", item) for position, item in enumerate(records, start=1)]


def no_records() -> pd.DataFrame:
    return load_records(Path("/nonexistent-data-folder"))


def write_searches(data: Path, run_ids: list[str], changes: dict[tuple[str, str], object] | None = None) -> None:
    """searches.yaml with the runs named, each export copied from its fixture unless already
    there; ``changes`` maps (run_id, key) to a value replacing the run's own."""
    runs = []
    for run_id in run_ids:
        entry = {key: value for key, value in RUNS[run_id].items() if key != "_fixture"}
        target = data / entry["export"]
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(FIXTURES / RUNS[run_id]["_fixture"], target)
        runs.append(entry)
    for (run_id, key), value in (changes or {}).items():
        next(entry for entry in runs if entry["run_id"] == run_id)[key] = value
    (data / "search").mkdir(parents=True, exist_ok=True)
    (data / "search" / "searches.yaml").write_text(
        yaml.safe_dump({"strategies": STRATEGIES, "runs": runs}, sort_keys=False), encoding="utf-8")


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def located(problems: list[Problem]) -> list[tuple]:
    return [(p.file, p.row, p.column, p.value) for p in problems]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data folder with two search runs (PubMed, then Embase), nothing imported yet."""
    folder = tmp_path / "data"
    write_searches(folder, [PUBMED_RUN, EMBASE_RUN])
    return folder


@pytest.fixture
def screened(data: Path) -> Path:
    """Both runs imported, every unique record screened, the included report's study folder
    present and the exclusion reasons defined: a complete, valid search record."""
    import_run(data, PUBMED_RUN)
    import_run(data, EMBASE_RUN)
    write_rows(data / "search" / "screening.csv", SCREENING_COLUMNS,
               [{"record_id": record_id, "stage": stage, "decision": decision, "reason": reason,
                 "reviewer": "AB", "date": "2024-01-20", "study_id": study_id, "note": ""}
                for record_id, stage, decision, reason, study_id in SCREENING])
    (data / "vocabulary").mkdir()
    (data / "vocabulary" / "exclusion_reasons.yaml").write_text(yaml.safe_dump(EXCLUSION_REASONS, sort_keys=False),
                                                                encoding="utf-8")
    (data / "studies" / "li2022").mkdir(parents=True)
    return data


def shown(path: Path) -> str:
    return paths.relative_to_root(path)


# ----------------------------------------------------------------------------- parsing


def test_fixture_exports_keep_the_bytes_databases_write():
    assert b"\r\n" in (FIXTURES / "embase.ris").read_bytes()
    assert (FIXTURES / "endnote.ris").read_bytes().startswith(b"\xef\xbb\xbfTY  - JOUR\n")
    assert (FIXTURES / "pubmed.nbib").read_bytes().startswith(b"\nPMID- 99900001\nOWN - NLM\n")
    assert (FIXTURES / "embase.ris").read_bytes().endswith(b"ER  - \r\n")


def test_nbib_records_give_one_line_title_surname_year_journal_doi_and_pmid():
    records = parse_export(FIXTURES / "pubmed.nbib")

    assert records[0] == SearchRecord(
        title="Anlotinib plus docetaxel as second-line treatment for advanced non-small cell lung cancer: "
              "a single-arm phase II trial.",
        first_author="Li", year="2022", journal="Example journal of oncology",
        doi="10.5555/lrt.2022.0001", pmid="99900001")
    assert records[3] == SearchRecord(
        title="Anlotinib combined with chemotherapy for advanced oesophageal squamous cell carcinoma: "
              "a multicentre, phase III study.",
        first_author="García-López", year="2021", journal="Example cancers",
        doi="10.5555/lrt.2021.0044", pmid="99900004")


def test_nbib_group_author_is_kept_whole_and_year_comes_from_a_full_date():
    group = parse_export(FIXTURES / "pubmed.nbib")[1]

    assert group.first_author == "Example Thoracic Oncology Trials Group"
    assert group.year == "2023"
    assert (group.doi, group.pmid) == ("10.5555/lrt.2023.0002", "99900002")


def test_nbib_record_with_only_short_author_names_takes_the_first_au_surname():
    old = parse_export(FIXTURES / "pubmed.nbib")[2]

    assert old == SearchRecord(title="Angiogenesis inhibitors in solid tumours: a review.", first_author="Smith",
                               year="2001", journal="Example oncology reviews", doi="", pmid="99900003")


def test_ris_with_crlf_line_ends_gives_every_record_and_its_fields():
    records = parse_export(FIXTURES / "embase.ris")

    assert [(r.first_author, r.year, r.doi, r.pmid) for r in records] == [
        ("Li", "2022", "10.5555/lrt.2022.0001", ""),
        ("Example Thoracic Oncology Trials Group", "2023", "", "99900002"),
        ("Garcia-Lopez", "2021", "", ""),
        ("Li", "2023", "10.5555/lrt.2023.0107", ""),
        ("Okafor", "2020", "", ""),
    ]
    assert records[0].title == ("Anlotinib plus docetaxel as second-line treatment for advanced non-small cell "
                                "lung cancer: a single-arm phase II trial")
    assert records[0].journal == "Example Journal of Oncology"
    assert not any("\r" in r.title or "\r" in r.journal for r in records)


def test_ris_with_byte_order_mark_reads_its_first_record():
    records = parse_export(FIXTURES / "endnote.ris")

    assert len(records) == 4
    assert records[0] == SearchRecord(
        title="Anlotinib plus docetaxel as second-line treatment for advanced non-small cell lung cancer: "
              "a single-arm phase II trial",
        first_author="Li", year="2022", journal="Example J Oncol", doi="10.5555/lrt.2022.0001", pmid="99900001")


def test_ris_doi_is_taken_from_a_doi_org_link_when_there_is_no_do_tag():
    assert parse_export(FIXTURES / "endnote.ris")[2].doi == "10.5555/lrt.2021.0044"


def test_ris_accession_number_is_the_pmid_only_when_the_database_is_pubmed_or_medline(tmp_path):
    def accession_pmid(database: str) -> str:
        path = tmp_path / f"{database}.ris"
        path.write_text(f"TY  - JOUR\nAU  - Li, Yuan\nTI  - A title\nPY  - 2022\nAN  - 99900001\n"
                        f"DB  - {database}\nER  - \n", encoding="utf-8")
        return parse_export(path)[0].pmid

    assert accession_pmid("PubMed") == "99900001"
    assert accession_pmid("MEDLINE") == "99900001"
    assert accession_pmid("Embase") == ""


@pytest.mark.parametrize("tags, year", [
    ("PY  - 2019\nDA  - 2018/12/01", "2019"),
    ("Y1  - 2019//", "2019"),
    ("DA  - 2019/05/01/", "2019"),
    ("N1  - no date at all", ""),
])
def test_ris_year_comes_from_py_then_y1_then_da(tmp_path, tags, year):
    path = tmp_path / "year.ris"
    path.write_text(f"TY  - JOUR\nAU  - Li, Yuan\nTI  - A title\n{tags}\nER  - \n", encoding="utf-8")

    assert parse_export(path)[0].year == year


@pytest.mark.parametrize("name, expected", [
    ("Li, Yuan", "Li"),
    ("Li Y", "Li"),
    ("Li Y.", "Li"),
    ("Li Y.-H.", "Li"),
    ("García-López M", "García-López"),
    ("van der Berg, Anna", "van der Berg"),
    ("O'Brien, Siobhán", "O'Brien"),
    ("Example Thoracic Oncology Trials Group", "Example Thoracic Oncology Trials Group"),
])
def test_surname_of_an_author_name_as_exports_print_it(name, expected):
    assert surname(name) == expected


@pytest.mark.parametrize("value", [
    "10.5555/LRT.2022.0001",
    "https://doi.org/10.5555/LRT.2022.0001",
    "http://dx.doi.org/10.5555/lrt.2022.0001",
    "doi:10.5555/LRT.2022.0001",
    "DOI: 10.5555/lrt.2022.0001",
    "10.5555/lrt.2022.0001 [doi]",
    " 10.5555/lrt.2022.0001\n",
])
def test_doi_is_normalised_to_lower_case_without_prefix_or_tag(value):
    assert normalise_doi(value) == "10.5555/lrt.2022.0001"


# ----------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize("name, record_number, line", [
    ("missing_er.ris", 2, 18),
    ("text_before_ty.ris", 1, 1),
    ("missing_title.ris", 3, 19),
    ("missing_pmid.nbib", 2, 17),
    ("malformed_line.nbib", 2, 20),
])
def test_malformed_export_names_the_file_record_and_line(name, record_number, line):
    with pytest.raises(SearchExportError) as caught:
        parse_export(FIXTURES / name)

    assert (caught.value.record, caught.value.line) == (record_number, line)
    assert str(caught.value).startswith(f"{FIXTURE_FILE}/{name}, record {record_number}, line {line}: ")


def test_missing_end_tag_says_where_the_unfinished_record_started():
    with pytest.raises(SearchExportError, match="the record starting on line 10 has no end tag 'ER  - ' "
                                                "before the next 'TY  - ' on line 18"):
        parse_export(FIXTURES / "missing_er.ris")


def test_non_utf8_export_names_the_file_and_asks_for_utf8():
    with pytest.raises(SearchExportError) as caught:
        parse_export(FIXTURES / "latin1.ris")

    assert str(caught.value).startswith(f"{FIXTURE_FILE}/latin1.ris: not UTF-8 text")
    assert "UTF-8 (Unicode)" in str(caught.value)
    assert caught.value.record is None


def test_unknown_export_extension_names_the_file_and_the_formats_read():
    with pytest.raises(SearchExportError) as caught:
        parse_export(FIXTURES / "scopus.csv")

    assert str(caught.value) == (f"{FIXTURE_FILE}/scopus.csv: unknown export format '.csv'; "
                                 "expected one of .ris, .nbib")


def test_missing_export_file_is_named():
    with pytest.raises(SearchExportError, match=f"^{FIXTURE_FILE}/absent.nbib: the export file does not exist$"):
        parse_export(FIXTURES / "absent.nbib")


# ----------------------------------------------------------------------------- deduplication


def test_same_doi_in_different_case_and_prefix_is_a_duplicate():
    first = record(doi=normalise_doi("https://doi.org/10.5555/LRT.2022.0001"))
    again = record(title="A different title", year="2023", first_author="Wang",
                   doi=normalise_doi("doi: 10.5555/lrt.2022.0001"))

    match = find_duplicate(again, known(first))

    assert (match.duplicate_of, match.match, match.score) == ("run:1", "doi", None)


def test_same_pmid_is_a_duplicate_when_the_dois_differ_or_are_missing():
    match = find_duplicate(record(title="Another title", pmid="99900001"),
                           known(record(doi="10.5555/lrt.2022.0001", pmid="99900001")))

    assert (match.duplicate_of, match.match) == ("run:1", "pmid")


BASE = ("Anlotinib plus chemotherapy for advanced oesophageal squamous cell carcinoma: a single-arm, "
        "multicentre phase II trial")


@pytest.mark.parametrize("variant", [
    "Anlotinib plus chemotherapy for advanced esophageal squamous cell carcinoma: a single-arm, "
    "multicentre phase II trial",
    "Anlotinib plus chemotherapy for advanced oesophageal squamous-cell carcinoma - a single arm "
    "multicentre phase II trial.",
    "ANLOTINIB PLUS CHEMOTHERAPY FOR ADVANCED OESOPHAGEAL SQUAMOUS CELL CARCINOMA: A SINGLE-ARM, "
    "MULTICENTRE PHASE II TRIAL",
    "Anlotinib plus chemotherapy for advanced oesophageal squamous cell carcinoma: a single-arm, "
    "multicentre phase II trial",
    "Anlotinib plus chemotherapy for advanced oesophageal squamous cell carcinoma: single-arm, "
    "multicentre phase II trial",
], ids=["spelling", "punctuation", "case", "same", "dropped-article"])
def test_near_identical_title_with_same_year_and_first_author_is_a_title_duplicate(variant):
    match = find_duplicate(record(title=variant, first_author="Li"), known(record(title=BASE, first_author="Li")))

    assert (match.duplicate_of, match.match) == ("run:1", "title")
    assert TITLE_MATCH_THRESHOLD <= match.score <= 100


def test_title_duplicate_ignores_accents_in_title_and_author():
    first = record(title="Anlotinib in Sjögren-associated lymphoma: a phase II trial of the Grupo Español",
                   first_author="García-López")
    again = record(title="Anlotinib in Sjogren-associated lymphoma: a phase II trial of the Grupo Espanol",
                   first_author="Garcia-Lopez")

    match = find_duplicate(again, known(first))

    assert match.match == "title" and match.score >= TITLE_MATCH_THRESHOLD


def test_title_match_score_is_rounded_to_one_decimal_in_its_text():
    match = find_duplicate(record(title=BASE.replace("oesophageal", "esophageal")), known(record(title=BASE)))

    assert match.score_text == f"{match.score:.1f}"
    assert match.score == round(match.score, 1)


@pytest.mark.parametrize("changed", [{"year": "2023"}, {"first_author": "Wang"}])
def test_same_title_with_a_different_year_or_first_author_is_not_a_duplicate(changed):
    assert find_duplicate(record(title=BASE, **changed), known(record(title=BASE))) is None


def test_phase_ii_and_phase_iii_reports_of_different_years_are_not_duplicates():
    phase_two = record(title="Anlotinib plus docetaxel in advanced non-small cell lung cancer: "
                             "the ALTER-X phase II trial", year="2021")
    phase_three = record(title="Anlotinib plus docetaxel in advanced non-small cell lung cancer: "
                               "the ALTER-X phase III trial", year="2023")

    assert find_duplicate(phase_three, known(phase_two)) is None


@pytest.mark.parametrize("missing", [{"year": ""}, {"first_author": ""}])
def test_record_without_year_or_author_matches_only_by_doi_or_pmid(missing):
    assert find_duplicate(record(title=BASE, **missing), known(record(title=BASE))) is None
    assert find_duplicate(record(title=BASE, doi="10.5555/x.1", **missing),
                          known(record(doi="10.5555/x.1"))).match == "doi"
    assert find_duplicate(record(title=BASE, pmid="99900009", **missing),
                          known(record(pmid="99900009"))).match == "pmid"


def test_doi_rule_is_tried_before_pmid_and_title():
    first = record(title=BASE, doi="10.5555/x.1", pmid="99900001")
    match = find_duplicate(record(title=BASE, doi="10.5555/x.1", pmid="99900001"), known(first))

    assert match.match == "doi"


def test_duplicate_of_names_the_earliest_unique_record_along_a_chain():
    unique = record(title="First report", doi="10.5555/chain.1")
    by_doi = record(title="Second report", doi="10.5555/chain.1", pmid="99900077", year="2023")
    by_pmid = record(title="Third report", pmid="99900077", year="2024")

    rows = deduplicate("run", [unique, by_doi, by_pmid], no_records())

    assert [(r["record_id"], r["duplicate_of"], r["match"]) for r in rows] == [
        ("run:1", "", ""), ("run:2", "run:1", "doi"), ("run:3", "run:1", "pmid")]


def test_duplicate_of_names_the_root_across_runs_and_existing_rows_are_not_returned():
    first = deduplicate("one", [record(title="First report", doi="10.5555/chain.1")], no_records())
    second = deduplicate("two", [record(title="Second report", doi="10.5555/chain.1", pmid="99900077")],
                         pd.DataFrame(first))
    third = deduplicate("three", [record(title="Third report", pmid="99900077")],
                        pd.DataFrame(first + second))

    assert [r["record_id"] for r in third] == ["three:1"]
    assert (third[0]["duplicate_of"], third[0]["match"]) == ("one:1", "pmid")


def test_deduplicate_compares_records_within_one_export():
    rows = deduplicate("run", [record(title=BASE), record(title=BASE.replace("oesophageal", "esophageal"))],
                       no_records())

    assert (rows[1]["duplicate_of"], rows[1]["match"]) == ("run:1", "title")
    assert float(rows[1]["match_score"]) >= TITLE_MATCH_THRESHOLD


def test_fixture_exports_deduplicate_by_doi_pmid_and_title():
    pubmed = deduplicate(PUBMED_RUN, parse_export(FIXTURES / "pubmed.nbib"), no_records())
    embase = deduplicate(EMBASE_RUN, parse_export(FIXTURES / "embase.ris"), pd.DataFrame(pubmed))

    assert [(r["duplicate_of"], r["match"]) for r in embase] == [
        (f"{PUBMED_RUN}:1", "doi"), (f"{PUBMED_RUN}:2", "pmid"), (f"{PUBMED_RUN}:4", "title"), ("", ""), ("", "")]


# ----------------------------------------------------------------------------- importing


def test_first_import_creates_records_csv_with_header_and_one_row_per_record(data):
    report = import_run(data, PUBMED_RUN)

    path = data / "search" / "records.csv"
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(RECORD_COLUMNS)
    rows = read_rows(path)
    assert [r["record_id"] for r in rows] == [f"{PUBMED_RUN}:{n}" for n in range(1, 5)]
    assert rows[0] == {"record_id": f"{PUBMED_RUN}:1", "run_id": PUBMED_RUN, "position": "1",
                       "title": "Anlotinib plus docetaxel as second-line treatment for advanced non-small cell "
                                "lung cancer: a single-arm phase II trial.",
                       "first_author": "Li", "year": "2022", "journal": "Example journal of oncology",
                       "doi": "10.5555/lrt.2022.0001", "pmid": "99900001",
                       "duplicate_of": "", "match": "", "match_score": ""}
    assert (report.already_imported, report.records_read, report.new_unique, report.duplicates_found) == \
        (False, 4, 4, 0)


def test_second_run_marks_records_that_repeat_the_first_as_duplicates(data):
    import_run(data, PUBMED_RUN)
    report = import_run(data, EMBASE_RUN)

    rows = read_rows(data / "search" / "records.csv")[4:]
    assert [(r["record_id"], r["duplicate_of"], r["match"]) for r in rows] == [
        (f"{EMBASE_RUN}:1", f"{PUBMED_RUN}:1", "doi"),
        (f"{EMBASE_RUN}:2", f"{PUBMED_RUN}:2", "pmid"),
        (f"{EMBASE_RUN}:3", f"{PUBMED_RUN}:4", "title"),
        (f"{EMBASE_RUN}:4", "", ""),
        (f"{EMBASE_RUN}:5", "", ""),
    ]
    assert float(rows[2]["match_score"]) >= TITLE_MATCH_THRESHOLD
    assert [r["match_score"] for r in rows if r["match"] != "title"] == ["", "", "", ""]
    assert report.duplicates == {"doi": 1, "pmid": 1, "title": 1}
    assert [r["record_id"] for r in report.new_records] == [f"{EMBASE_RUN}:4", f"{EMBASE_RUN}:5"]


def test_importing_the_same_run_again_changes_nothing(data):
    import_run(data, PUBMED_RUN)
    import_run(data, EMBASE_RUN)
    before = (data / "search" / "records.csv").read_bytes()

    report = import_run(data, EMBASE_RUN)

    assert (data / "search" / "records.csv").read_bytes() == before
    assert (report.already_imported, report.records_read) == (True, 5)
    assert report.summary() == (f"Run {EMBASE_RUN} is already imported: its 5 records are in "
                                "search/records.csv; nothing changed.")


def test_reviewer_edit_of_a_duplicate_survives_a_later_import(data):
    import_run(data, PUBMED_RUN)
    import_run(data, EMBASE_RUN)
    path = data / "search" / "records.csv"
    rows = read_rows(path)
    edited = next(r for r in rows if r["record_id"] == f"{EMBASE_RUN}:3")
    edited.update(duplicate_of="", match="reviewer", match_score="")
    write_rows(path, RECORD_COLUMNS, rows)
    hand_edited = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(hand_edited, encoding="utf-8")
    write_searches(data, [PUBMED_RUN, EMBASE_RUN, ENDNOTE_RUN])

    import_run(data, ENDNOTE_RUN)

    text = path.read_text(encoding="utf-8")
    assert text.startswith(hand_edited + "\n")
    after = read_rows(path)
    assert after[:9] == rows
    assert [(r["record_id"], r["duplicate_of"], r["match"]) for r in after[9:]] == [
        (f"{ENDNOTE_RUN}:1", f"{PUBMED_RUN}:1", "doi"),
        (f"{ENDNOTE_RUN}:2", f"{PUBMED_RUN}:3", "pmid"),
        (f"{ENDNOTE_RUN}:3", f"{PUBMED_RUN}:4", "doi"),
        (f"{ENDNOTE_RUN}:4", "", ""),
    ]


def test_import_report_summary_lists_counts_and_each_new_unique_record(data):
    import_run(data, PUBMED_RUN)
    report = import_run(data, EMBASE_RUN)

    assert report.summary().splitlines() == [
        f"Imported run {EMBASE_RUN} from {shown(data / 'search' / 'exports' / f'{EMBASE_RUN}.ris')}: "
        "5 records read.",
        "Duplicates found: 3 (1 by DOI, 1 by PMID, 1 by title).",
        "New unique records since the last run: 2:",
        "  - Li 2023: Anlotinib for recurrent small cell lung cancer after two lines of chemotherapy: "
        "a real-world cohort",
        "  - Okafor 2020: Anlotinib in advanced soft-tissue sarcoma: a phase II trial",
    ]


def test_paths_outside_the_project_are_shown_whole(tmp_path):
    assert shown(tmp_path / "data" / "x.ris") == (tmp_path / "data" / "x.ris").resolve().as_posix()
    assert shown(FIXTURES / "pubmed.nbib") == f"{FIXTURE_FILE}/pubmed.nbib"


def test_unknown_run_id_raises_search_error_naming_the_known_runs(data):
    with pytest.raises(SearchError) as caught:
        import_run(data, "2024-02-scopus")

    assert str(caught.value) == (f"{shown(data / 'search' / 'searches.yaml')} has no run '2024-02-scopus' "
                                 f"(runs: {PUBMED_RUN}, {EMBASE_RUN})")


def test_malformed_export_stops_the_import_before_records_csv_is_written(data):
    shutil.copyfile(FIXTURES / "missing_er.ris", data / "search" / "exports" / f"{EMBASE_RUN}.ris")
    import_run(data, PUBMED_RUN)
    before = (data / "search" / "records.csv").read_bytes()

    with pytest.raises(SearchExportError) as caught:
        import_run(data, EMBASE_RUN)

    export = shown(data / "search" / "exports" / f"{EMBASE_RUN}.ris")
    assert str(caught.value).startswith(f"{export}, record 2, line 18: ")
    assert (data / "search" / "records.csv").read_bytes() == before


def test_cli_import_search_exits_1_naming_file_and_record_of_a_malformed_export(data, capsys):
    shutil.copyfile(FIXTURES / "missing_title.ris", data / "search" / "exports" / f"{EMBASE_RUN}.ris")

    status = main(["--data-dir", str(data), "import-search", EMBASE_RUN])

    captured = capsys.readouterr()
    export = shown(data / "search" / "exports" / f"{EMBASE_RUN}.ris")
    assert status == 1
    assert captured.err == (f"import-search: {export}, record 3, line 19: the record has no title (TI or T1)\n")
    assert not (data / "search" / "records.csv").exists()


def test_cli_import_search_exits_0_and_prints_the_summary(data, capsys):
    status = main(["--data-dir", str(data), "import-search", PUBMED_RUN])

    captured = capsys.readouterr()
    assert status == 0
    assert captured.out.startswith(f"Imported run {PUBMED_RUN} from ")
    assert "New unique records since the last run: 4:\n" in captured.out
    assert len(read_rows(data / "search" / "records.csv")) == 4


def test_cli_import_search_exits_1_for_an_unknown_run(data, capsys):
    status = main(["--data-dir", str(data), "import-search", "no-such-run"])

    assert status == 1
    assert "has no run 'no-such-run'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- validation


def edit_table(path: Path, record_id: str, stage: str | None = None, **values) -> int:
    """Set cells of the row with ``record_id`` (and ``stage``); its 1-based data row."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, list(reader)
    number = next(n for n, row in enumerate(rows, start=1)
                  if row["record_id"] == record_id and (stage is None or row["stage"] == stage))
    rows[number - 1].update(values)
    write_rows(path, columns, rows)
    return number


def test_complete_search_record_has_no_problems(screened):
    assert validate_search(screened) == []


def test_data_folder_without_a_search_record_has_no_search_problems(tmp_path):
    assert validate_search(tmp_path) == []


def test_export_edited_after_import_is_named_by_records_row_and_column(screened):
    export = screened / "search" / "exports" / f"{EMBASE_RUN}.ris"
    export.write_bytes(export.read_bytes().replace(b"soft-tissue sarcoma", b"soft tissue sarcomas"))

    problems = validate_search(screened)

    assert located(problems) == [(shown(screened / "search" / "records.csv"), 9, "title",
                                  "Anlotinib in advanced soft-tissue sarcoma: a phase II trial")]
    assert "record 5 of" in problems[0].expected


def test_records_reported_that_differs_from_the_export_is_named(screened):
    write_searches(screened, [PUBMED_RUN, EMBASE_RUN], {(EMBASE_RUN, "records_reported"): 6})

    problems = validate_search(screened)

    assert located(problems) == [(shown(screened / "search" / "searches.yaml"), None,
                                  "runs[1].records_reported", "6")]
    assert "(5)" in problems[0].expected


def test_duplicate_of_pointing_at_a_duplicate_is_named(screened):
    path = screened / "search" / "records.csv"
    number = edit_table(path, f"{EMBASE_RUN}:2", duplicate_of=f"{EMBASE_RUN}:1")

    problems = validate_search(screened)

    assert located(problems) == [(shown(path), number, "duplicate_of", f"{EMBASE_RUN}:1")]
    assert number == 6
    assert f"is itself a duplicate of {PUBMED_RUN}:1" in problems[0].expected


def test_screened_duplicate_is_named(screened):
    path = screened / "search" / "screening.csv"
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(
            [f"{EMBASE_RUN}:1", "title_abstract", "include", "", "AB", "2024-01-20", "", ""])

    problems = validate_search(screened)

    assert located(problems) == [(shown(path), 10, "record_id", f"{EMBASE_RUN}:1")]
    assert "duplicates are not screened" in problems[0].expected


def test_unique_record_without_a_title_abstract_decision_is_named(screened):
    path = screened / "search" / "screening.csv"
    rows = [r for r in read_rows(path) if r["record_id"] != f"{EMBASE_RUN}:5"]
    write_rows(path, SCREENING_COLUMNS, rows)

    problems = validate_search(screened)

    assert located(problems) == [(shown(screened / "search" / "records.csv"), 9, "record_id",
                                  f"{EMBASE_RUN}:5")]
    assert "title_abstract" in problems[0].expected


def test_full_text_exclusion_without_a_reason_is_named(screened):
    path = screened / "search" / "screening.csv"
    number = edit_table(path, f"{PUBMED_RUN}:2", "full_text", reason="")

    problems = validate_search(screened)

    assert located(problems) == [(shown(path), number, "reason", None)]
    assert number == 8


def test_reason_not_in_the_vocabulary_is_named(screened):
    path = screened / "search" / "screening.csv"
    number = edit_table(path, f"{PUBMED_RUN}:2", "full_text", reason="wrong_phase")

    problems = validate_search(screened)

    assert located(problems) == [(shown(path), number, "reason", "wrong_phase")]
    assert "wrong_population, wrong_intervention" in problems[0].expected


def test_study_folder_not_traced_to_an_included_report_is_named(screened):
    (screened / "studies" / "zhang2023").mkdir()

    problems = validate_search(screened)

    assert located(problems) == [(shown(screened / "studies" / "zhang2023"), None, None, None)]
    assert "included at full_text" in problems[0].expected


@pytest.mark.parametrize("date", ["2024-02-30", "20/01/2024", ""])
def test_bad_screening_date_is_named(screened, date):
    path = screened / "search" / "screening.csv"
    number = edit_table(path, f"{PUBMED_RUN}:3", date=date)

    problems = validate_search(screened)

    assert located(problems) == [(shown(path), number, "date", date or None)]
    assert number == 3


def test_bad_run_date_is_named(screened):
    write_searches(screened, [PUBMED_RUN, EMBASE_RUN], {(PUBMED_RUN, "date_run"): "2024-01-32"})

    problems = validate_search(screened)

    assert located(problems) == [(shown(screened / "search" / "searches.yaml"), None, "runs[0].date_run",
                                  "2024-01-32")]


def test_runs_out_of_date_order_are_named(screened):
    write_searches(screened, [PUBMED_RUN, EMBASE_RUN], {(EMBASE_RUN, "date_run"): "2024-01-10"})

    problems = validate_search(screened)

    assert located(problems) == [(shown(screened / "search" / "searches.yaml"), None, "runs[1].date_run",
                                  "2024-01-10")]
    assert "2024-01-15" in problems[0].expected


def test_a_strategy_without_its_query_or_with_a_repeated_id_is_named(screened):
    searches_path = screened / "search" / "searches.yaml"
    searches = yaml.safe_load(searches_path.read_text(encoding="utf-8"))
    first, second, third = searches["strategies"]
    searches["strategies"] = [{**first, "query": " "}, second, third, {**first, "database": "Embase"}]
    searches_path.write_text(yaml.safe_dump(searches, sort_keys=False), encoding="utf-8")

    problems = validate_search(screened)

    file = shown(searches_path)
    assert located(problems) == [(file, None, "strategies[0].query", None),
                                 (file, None, "strategies[3].strategy_id", first["strategy_id"])]
