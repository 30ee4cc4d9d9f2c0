"""The curated data: reading ``data/`` (study folders, tables, the data dictionary, the review
question, vocabularies, integrity decisions, risk-of-bias tools), the data package and the
new-study scaffold. The lowest stage: it imports nothing else of the package but ``paths``."""
