"""Every path the project uses, in one place (built from this file's location).

Functions that read data take a ``data_dir`` argument defaulting to :data:`DATA_DIR`, so
tests can point them at a copy.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
STUDIES_DIRNAME = "studies"
DICTIONARY_FILE = DATA_DIR / "dictionary.yaml"
STUDY_SCHEMA_FILE = DATA_DIR / "study.schema.yaml"
DATAPACKAGE_FILE = DATA_DIR / "datapackage.json"
RISK_OF_BIAS_SCHEMA_FILE = DATA_DIR / "risk_of_bias.schema.yaml"
REVIEW_FILE_NAME = "review.yaml"
REVIEW_SCHEMA_FILE = DATA_DIR / "review.schema.yaml"
ROB_TOOLS_FILE_NAME = "vocabulary/rob_tools.yaml"
INTEGRITY_SCHEMA_FILE = DATA_DIR / "integrity.schema.yaml"
CERTAINTY_SCHEMA_FILE = DATA_DIR / "certainty.schema.yaml"
CERTAINTY_FILE_NAME = "certainty.yaml"
INTEGRITY_CHECKS_FILE_NAME = "vocabulary/integrity_checks.yaml"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
BOOK_DIR = PROJECT_ROOT / "book"
BOOK_CONFIG_FILE = PROJECT_ROOT / "_config.yml"
BOOK_TOC_FILE = PROJECT_ROOT / "_toc.yml"
PACKAGE_DIR = PROJECT_ROOT / "livingreview"
REQUIREMENTS_FILE = PROJECT_ROOT / "requirements.txt"
TEMPLATES_DIR = PACKAGE_DIR / "curated" / "templates"  # files the new-study scaffold starts from
CHANGELOG_FILE = PROJECT_ROOT / "CHANGELOG.md"  # its newest release heading is the review's version
BUILD_DIR = PROJECT_ROOT / "_build"
SITE_DIRNAME = "html"  # the published site: <build dir>/html
RESULTS_DIRNAME = "results"  # <build dir>/results/results.csv
RESULTS_FILE_NAME = "results.csv"
RELEASE_FILE_NAME = "release.json"  # beside results.csv: the release and studies it was built from
PREVIOUS_DIRNAME = "previous"  # <build dir>/results/previous/: what the "What changed" page compares with


def studies_dir(data_dir: Path = DATA_DIR) -> Path:
    """Folder holding one sub-folder per study."""
    return Path(data_dir) / STUDIES_DIRNAME


def relative_to_root(path: Path) -> str:
    """A path as shown in messages: relative to the project root when inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path.as_posix()
