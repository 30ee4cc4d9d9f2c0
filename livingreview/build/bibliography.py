"""BibTeX entries of the included studies, generated from their study.yaml citations.

The references page lists them with sphinxcontrib-bibtex, so adding a study adds its
reference without editing any bibliography by hand. Method references live in
``book/references.bib``.
"""

from __future__ import annotations

from ..curated.studies import Study

# Characters with a meaning in BibTeX/LaTeX, written so that they print as themselves.
_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
            "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def bibtex_escape(text: str) -> str:
    """Text as a BibTeX field value that prints literally."""
    return "".join(_ESCAPES.get(ch, ch) for ch in " ".join(str(text).split()))


def _authors(printed: str) -> str:
    # Printed author lists vary ("Xu, M., Pu, Y. et al."; "Doe J, Roe R"); BibTeX needs
    # "and" between names. Names are kept as printed, braced so BibTeX does not reparse them.
    has_more = "et al" in printed
    printed = printed.replace(" et al.", "").replace(" et al", "")
    parts = [p.strip() for p in (printed.split(".,") if ".," in printed else printed.split(","))]
    names = [p + ("." if ".," in printed and not p.endswith(".") else "") for p in parts if p]
    return " and ".join("{" + bibtex_escape(n) + "}" for n in names) + (" and others" if has_more else "")


def study_entry(study: Study) -> str:
    """One BibTeX entry, keyed by study id."""
    meta = study.meta
    citation = meta.get("citation") or {}
    fields = {}
    if citation.get("authors"):
        fields["author"] = _authors(str(citation["authors"]))
    fields["title"] = "{" + bibtex_escape(citation.get("title") or meta["label"]) + "}"
    if citation.get("journal"):
        fields["journal"] = bibtex_escape(citation["journal"])
    for key in ("year", "volume", "pages"):
        if citation.get(key):
            fields[key] = bibtex_escape(citation[key])
    if citation.get("doi"):
        fields["doi"] = bibtex_escape(citation["doi"])
    if not citation.get("title"):
        fields["note"] = bibtex_escape(f"No citation printed in the source document "
                                       f"({meta['source_document']}); title from the review's label")
    kind = "article" if citation.get("journal") else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    return f"@{kind}{{{study.study_id},\n{body}\n}}\n"


def study_bibtex(studies: list[Study]) -> str:
    """The bibliography of the included studies."""
    return "\n".join(study_entry(s) for s in studies)
