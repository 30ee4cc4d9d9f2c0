"""The manifest of the last build (``<build>/cache/manifest.json``): for each run, the digests
of its inputs, its time and the data it read; and the digest of the published site's sources."""

from __future__ import annotations

import json
import os

from .plan import BuildLayout

MANIFEST_VERSION = 2


def _manifest(layout: BuildLayout) -> dict:
    """The manifest of the last build, or {} when there is none of this version."""
    try:
        content = json.loads(layout.manifest.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return content if content.get("version") == MANIFEST_VERSION else {}


def read_manifest(layout: BuildLayout) -> dict[str, dict]:
    """Run key -> {"inputs": hash, "parts": {kind: digest}, "seconds": time, "data":
    dependencies} of the last successful run of each notebook (empty when there is none); a
    run whose last execution failed is marked ``"failed": true`` (see
    :func:`livingreview.build.staleness.stale_reason`)."""
    return dict(_manifest(layout).get("runs", {}))


def read_manifest_site(layout: BuildLayout) -> str | None:
    """The digest of the published site's sources (see
    :func:`livingreview.build.assemble.site_digest`), if recorded."""
    return _manifest(layout).get("site")


def write_manifest(layout: BuildLayout, runs: dict[str, dict], site: str | None = None) -> None:
    """Record ``runs`` (run key -> entry) and the ``site`` digest, replacing the file at once."""
    layout.manifest.parent.mkdir(parents=True, exist_ok=True)
    content = {"version": MANIFEST_VERSION, "runs": dict(sorted(runs.items()))}
    if site:
        content["site"] = site
    text = json.dumps(content, indent=1)
    tmp = layout.manifest.with_suffix(".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, layout.manifest)
