"""Curated files are UTF-8 text: reading one, or the problem naming its first byte that is
not UTF-8."""

from __future__ import annotations

from pathlib import Path

from .. import paths
from .problems import Problem


def utf8_text(path: Path) -> tuple[str, Problem | None]:
    """The text of ``path``, or "" and a problem naming its first byte that is not UTF-8 (its
    offset and line)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return "", Problem(paths.relative_to_root(path), None, None, f"byte 0x{raw[exc.start]:02x}",
                           f"UTF-8 text (the byte at offset {exc.start}, on line {line}, is not UTF-8: save the "
                           "file as UTF-8)")
