"""Source documents: checking that each curated quote is found in the text it came from.

The source texts are not part of the data (they are the publishers' text); point
``LIVINGREVIEW_SOURCES`` at a folder holding them, named as each study's
``source_document``, to check every quote.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

SOURCES_ENV = "LIVINGREVIEW_SOURCES"

# Characters that text extraction from PDFs renders in several ways.
_EQUIVALENT = str.maketrans({
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
})


def sources_dir() -> Path | None:
    """The folder of source texts, if configured and present."""
    value = os.environ.get(SOURCES_ENV)
    return Path(value) if value and Path(value).is_dir() else None


def normalise(text: str) -> str:
    """Text folded for quote matching: unicode compatibility forms, dashes, spaces, and
    words broken across lines ("discontinu- ation") joined."""
    text = unicodedata.normalize("NFKC", text).translate(_EQUIVALENT)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"(\w)- (\w)", r"\1\2", text)
    return text.strip().lower()


@lru_cache(maxsize=16)
def _folded(text: str) -> tuple[str, str]:
    """A text normalised, with and without hyphens (cached: each source is folded once)."""
    folded = normalise(text)
    return folded, folded.replace("-", "")


def quote_found(quote: str, source_text: str) -> bool:
    """Whether a curated quote occurs in the source text (after :func:`normalise`)."""
    quote_folded, quote_unhyphenated = _folded(quote)
    source_folded, source_unhyphenated = _folded(source_text)
    return quote_folded in source_folded or quote_unhyphenated in source_unhyphenated
