"""Shared fixtures: a valid curated data folder that tests copy and break."""

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
VALID_DATA = FIXTURES / "valid_data"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the valid fixture data folder."""
    target = tmp_path / "data"
    shutil.copytree(VALID_DATA, target)
    return target
